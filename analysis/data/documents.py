"""The source documents: the one table of their ids, text files and names.

Every row of ``data/`` cites one of these by id (``doc``). The text files are not part
of the repository (:func:`analysis.config.seeds_dir`). The tables in ``README.md``,
``data/README.md`` and ``book/sources-and-methods.qmd`` list the same documents;
``tests/test_documents.py`` checks them against this one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Document:
    doc_id: str
    file: str  # the extracted text, in the seeds folder
    short: str  # in captions and citations: "Source: NIBR-rapport 2005:11, Tabell 4.1"
    title: str  # author or publisher, title, series, year (Markdown)
    bib_key: str  # book/references.bib


DOCUMENTS: tuple[Document, ...] = (
    Document("nibr-2005-11", "001_449c11867c928ba7.txt", "NIBR-rapport 2005:11",
             "Knut Onsager (red.), *Teknologibyene. Omstilling, innovasjon og utfordringer*, NIBR-rapport 2005:11",
             "onsager2005"),
    Document("tf-2012-sandefjord", "000_3eac1dcd89cb5c16.txt", "Telemarksforsking 2012, Sandefjord 2020",
             "Telemarksforsking, *Sandefjord 2020. Jakten på framtidens næringsliv – prosessrapport*, 2012",
             "kobro2012"),
    Document("of-2013-nedre-glomma", "003_2ffb95d89d074af7.txt",
             "Østfoldforskning 2013, Klynger og klyngemekanismer i Nedre Glomma",
             "Østfoldforskning, *Klynger og klyngemekanismer i Nedre Glomma*, 2013", "normann2013"),
    Document("sarpsborg-2023", "004_3f84f744fdb36599.txt", "Sarpsborg kommune 2023, Oppstartsnotat",
             "Sarpsborg kommune, *Oppstartsnotat – handlingsprogram for næringsutvikling*, 2023", "sarpsborg2023"),
    Document("distriktssenteret-2018", "002_047406fd7a2b6035.txt", "Distriktssenteret 2018, Livskraftige lokalsamfunn",
             "Distriktssenteret, *Livskraftige lokalsamfunn – tilfeldig og planlagt?*, 2018", "distriktssenteret2018"),
)

BY_ID: dict[str, Document] = {d.doc_id: d for d in DOCUMENTS}
# document id -> text file in the seeds folder
FILES: dict[str, str] = {d.doc_id: d.file for d in DOCUMENTS}
# document id -> short name for captions and citations
SHORT_NAMES: dict[str, str] = {d.doc_id: d.short for d in DOCUMENTS}


def markdown_table() -> str:
    """The README's table of the documents (id, document, the name its text file must have)."""
    rows = ["| id | document | text file |", "|---|---|---|"] + [
        f"| `{d.doc_id}` | {d.title} | `{d.file}` |" for d in DOCUMENTS]
    return "\n".join(rows) + "\n"


def missing(folder: Path) -> list[Document]:
    """The documents whose text file is not in ``folder`` (the seeds folder, :func:`analysis.config.seeds_dir`)."""
    return [d for d in DOCUMENTS if not (Path(folder) / d.file).is_file()]
