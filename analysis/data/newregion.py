"""Add a region to the registry (``data/regions.csv``) with empty data templates.

A user-added region has no source document. Its registry row says so (``doc =
user-registry``) and cites the lines of ``data/correspondence/municipality_numbers.csv``
that define its municipality numbers; every ``has_*`` flag is false until data exist. The
new registry is validated against the schema in a temporary copy of the data package
before it replaces the real one, and the templates are written first and removed again if
the registry cannot be replaced, so the registry is never left half-edited.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from analysis import config
from analysis.data.correspondence import check_number, common_vintage, load_table, municipality_table_path
from analysis.data.package import forget_descriptors, validate_package
from analysis.data.regions import SECTIONS
from analysis.data.sources import USER_REGISTRY
from analysis.errors import AnalysisError, RegistryError
from analysis.files import atomic_dir, atomic_write_text
from analysis.names import check_slug

TEMPLATES = "templates"
# Folders of outputs/ that are not a region's: a region of that id would mix its results with theirs (cross-region
# results, notebooks run by hand, the HTML reports, what verify found)
OUTPUT_FOLDERS = ("cross-region", "interactive", "html", "verification")
# which rows make a section's has_* flag true (tests/test_data.py::test_registry_flags_match_data)
SECTION_DATA = {
    "history": "history_events",
    "production_system": "largest_firms, or case_content with section = production-system",
    "innovation_sources": "survey_rankings with question = information-sources, or case_content with section = innovation-sources",
    "innovation_barriers": "survey_rankings with question = innovation-barriers, or case_content with section = innovation-barriers",
}


@dataclass(frozen=True)
class NewRegion:
    region_id: str
    registry: Path
    templates: Path
    numbers: tuple[str, ...]
    vintage: int


def _region_datasets(descriptor: dict) -> list[dict]:
    """Resources keyed by region (a foreign key to the registry): the ones a region's data go to."""
    return [r for r in descriptor["resources"]
            if any(fk["reference"]["resource"] == "regions" for fk in r["schema"].get("foreignKeys", []))]


def _registry_row(header: list[str], region_id: str, name: str, kind: str, numbers: list[str], vintage: int,
                  table, today: str) -> dict[str, str]:
    rows = [table[n] for n in numbers]
    counties = sorted({r.county for r in rows})
    row = {col: "" for col in header}
    row.update({
        "region_id": region_id, "name": name, "kind": kind, "case": "true", "presentation": "case-study",
        "municipality_numbers": ";".join(numbers), "municipality_vintage": str(vintage),
        "county": counties[0] if len(counties) == 1 else "", "reference_areas": "norway",
        "documents": USER_REGISTRY,
        "notes": (f"Added with `python -m analysis new-region` on {today}: "
                  f"{', '.join(f'{r.number} {r.name}' for r in rows)}. No source document; municipality numbers "
                  "checked against data/correspondence/municipality_numbers.csv (SSB KLASS 131)."),
        "doc": USER_REGISTRY, "source": "data/correspondence/municipality_numbers.csv",
        "lines": ";".join(str(r.line) for r in sorted(rows, key=lambda r: r.line)),
    })
    for section in SECTIONS:
        row[f"has_{section}"] = "false"
    return row


def _csv_text(header: list[str], row: dict[str, str]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow([row[c] for c in header])
    return buf.getvalue()


def _validate_copy(data_dir: Path, registry_text: str) -> list[str]:
    """Validate the data package with the new registry, in a temporary copy."""
    with tempfile.TemporaryDirectory(prefix="new-region-") as tmp:
        copy = Path(tmp) / "data"
        copy.mkdir()
        shutil.copy2(data_dir / "datapackage.json", copy / "datapackage.json")
        for res in json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))["resources"]:
            src = data_dir / res["path"]
            if src.exists():
                shutil.copy2(src, copy / res["path"])
        (copy / "regions.csv").write_text(registry_text, encoding="utf-8")
        try:
            return validate_package(copy / "datapackage.json")
        finally:
            forget_descriptors()  # the copy's declaration must not shadow the real one


def _template_readme(region_id: str, name: str, datasets: list[dict]) -> str:
    lines = [
        f"# Data templates for {name} (`{region_id}`)",
        "",
        f"`{region_id}` was added with `python -m analysis new-region`. It runs through every notebook now;",
        "each section without data says so. These header-only CSV files have the columns of the",
        "datasets in `data/datapackage.json` (same order) that a region's data go to.",
        "",
        "## How to fill them",
        "",
        "1. **Register data from Statistics Norway** (employment by industry, population) do not go here:",
        f"   `python -m analysis fetch-ssb --region {region_id}` writes them to `data/external/{region_id}/`",
        "   with the table id, the query and the retrieval time, and the production-system chapter shows them.",
        "2. **Numbers and facts from a document** (a report, a plan, a survey): one row per value, with",
        "   `doc`, `source` (table/figure/section as printed) and `lines` (line range in the document's",
        "   text). Add the document first: its id to the `doc` enums in `data/datapackage.json`, its text",
        "   file, names and bibliography key to `DOCUMENTS` in `analysis/data/documents.py`, and a row to the",
        "   documents tables of `data/README.md`, `README.md` and `book/sources-and-methods.qmd`.",
        "3. **Merge**: append the filled rows to `data/<dataset>.csv` (never edit the templates' header),",
        f"   add the document id to `documents` of `{region_id}` in `data/regions.csv`, and set the",
        "   section flags (`has_*`) to `true` exactly for the sections that now have data:",
        "",
        "| flag | true when there are rows in |",
        "|---|---|",
    ]
    lines += [f"| `has_{s}` | {what} |" for s, what in SECTION_DATA.items()]
    lines += [
        "",
        "4. Check: `python -m analysis check-data` (schema, keys, every value on its cited lines), then",
        f"   `python -m analysis run --region {region_id}` and `python -m analysis report`.",
        "",
        "## Templates",
        "",
        "| file | dataset |",
        "|---|---|",
    ]
    lines += [f"| `{r['path']}` | {r.get('title', r['name'])} |" for r in datasets]
    return "\n".join(lines) + "\n"


def _write_templates(target: Path, region_id: str, name: str, datasets: list[dict]) -> None:
    """Write the templates into a staging folder, then rename it into place (all or nothing)."""
    with atomic_dir(target) as staging:
        for res in datasets:
            header = [f["name"] for f in res["schema"]["fields"]]
            with open(staging / res["path"], "w", encoding="utf-8", newline="") as fh:
                csv.writer(fh, lineterminator="\n").writerow(header)
        (staging / "README.md").write_text(_template_readme(region_id, name, datasets), encoding="utf-8")


def add_region(region_id: str, name: str, numbers: list[str], data_dir: Path | None = None, kind: str | None = None,
               today: str | None = None) -> NewRegion:
    """Add case region ``region_id`` with municipalities ``numbers`` to ``data_dir/regions.csv``.

    Refuses (``RegistryError``) an invalid id, an empty name, malformed or unknown
    municipality numbers, numbers of different vintages, and an id already registered.
    """
    data_dir = Path(data_dir) if data_dir is not None else config.data_dir()
    try:
        check_slug(region_id)
    except AnalysisError as exc:
        raise RegistryError(str(exc)) from None
    if region_id in OUTPUT_FOLDERS:
        raise RegistryError(f"{region_id!r} is the name of a folder of outputs/ that is not a region's "
                            f"({', '.join(OUTPUT_FOLDERS)}); choose another id")
    name = (name or "").strip()
    if not name or "\n" in name:
        raise RegistryError("--name must be a non-empty display name on one line")
    if not numbers:
        raise RegistryError("give at least one municipality number (--municipality 3901)")
    dupes = sorted({n for n in numbers if numbers.count(n) > 1})
    if dupes:
        raise RegistryError(f"municipality number(s) {', '.join(dupes)} given twice")
    table_path = municipality_table_path(data_dir)
    try:
        table = load_table(table_path)
        for n in numbers:
            check_number(n, table, table_path)
        vintage = common_vintage(numbers, table)
    except AnalysisError as exc:
        raise RegistryError(str(exc)) from None

    registry = data_dir / "regions.csv"
    if not registry.exists():
        raise RegistryError(f"region registry {registry} is missing")
    text = registry.read_text(encoding="utf-8")
    existing = list(csv.DictReader(io.StringIO(text)))
    header = next(csv.reader(io.StringIO(text)))
    if any(r["region_id"] == region_id for r in existing):
        raise RegistryError(f"region {region_id!r} is already in {registry.name}; choose another id")
    templates = data_dir / TEMPLATES / region_id
    if templates.exists():
        raise RegistryError(f"{templates} already exists (left from an earlier region?); remove it or choose another id")

    kind = kind or ("municipality" if len(numbers) == 1 else "aggregate")
    row = _registry_row(header, region_id, name, kind, numbers, vintage, table,
                        today or dt.date.today().isoformat())
    new_text = (text if text.endswith("\n") else text + "\n") + _csv_text(header, row)
    errors = _validate_copy(data_dir, new_text)
    if errors:
        raise RegistryError(f"the new registry row would be invalid: {errors[0]}"
                            + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""))

    descriptor = json.loads((data_dir / "datapackage.json").read_text(encoding="utf-8"))
    _write_templates(templates, region_id, name, _region_datasets(descriptor))
    try:
        atomic_write_text(registry, new_text)
    except BaseException as exc:
        shutil.rmtree(templates, ignore_errors=True)
        if isinstance(exc, OSError):
            raise RegistryError(f"could not write {registry}: {exc}; nothing was changed") from None
        raise
    return NewRegion(region_id, registry, templates, tuple(numbers), vintage)
