"""One table of the source documents (analysis/data/documents.py); every other list of them agrees with it."""

from __future__ import annotations

import json
import re

from analysis import findings, plots
from analysis.config import PROJ_ROOT
from analysis.data import documents
from analysis.data.sources import USER_REGISTRY
from analysis.datacheck import replace_block

IDS = [d.doc_id for d in documents.DOCUMENTS]


def _rows(text: str, header: str) -> list[list[str]]:
    """The cells of the Markdown table that starts with ``header``."""
    lines = text[text.index(header):].splitlines()[2:]
    rows = []
    for line in lines:
        if not line.startswith("|"):
            break
        rows.append([c.strip().strip("`") for c in line.strip("|").split("|")])
    return rows


def test_readme_table_is_generated_from_the_table():
    text = (PROJ_ROOT / "README.md").read_text(encoding="utf-8")
    assert "<!-- documents:start -->" in text and "<!-- documents:end -->" in text
    assert replace_block(text, "documents", documents.markdown_table()) == text, \
        "README.md's table of documents differs: run `python -m analysis check-data --write-readme`"
    assert [r[0] for r in _rows(text, "| id | document |")] == IDS


def test_data_readme_names_the_same_ids_and_files():
    text = (PROJ_ROOT / "data" / "README.md").read_text(encoding="utf-8")
    assert [(r[0], r[1]) for r in _rows(text, "| id | file | document |")] == [(d.doc_id, d.file) for d in documents.DOCUMENTS]


def test_book_cites_each_document_with_its_bibliography_key():
    text = (PROJ_ROOT / "book" / "sources-and-methods.qmd").read_text(encoding="utf-8")
    assert [(r[0], r[1]) for r in _rows(text, "| id | document | what it gives |")] == [
        (d.doc_id, f"@{d.bib_key}") for d in documents.DOCUMENTS]
    bib = (PROJ_ROOT / "book" / "references.bib").read_text(encoding="utf-8")
    assert {d.bib_key for d in documents.DOCUMENTS} <= set(re.findall(r"@\w+\{([^,]+),", bib))


def test_the_schema_allows_exactly_these_documents():
    package = json.loads((PROJ_ROOT / "data" / "datapackage.json").read_text(encoding="utf-8"))
    for res in package["resources"]:
        for field in res["schema"]["fields"]:
            if field["name"] == "doc":
                allowed = field["constraints"]["enum"]
                expected = IDS + ([USER_REGISTRY] if res["name"] == "regions" else [])
                assert allowed == expected, res["name"]


def test_captions_and_citations_use_the_table():
    assert findings.DOC_SHORT_NAMES is documents.SHORT_NAMES
    assert plots.source_caption("sarpsborg-2023", "s. 4") == f"Source: {documents.BY_ID['sarpsborg-2023'].short}, s. 4"
