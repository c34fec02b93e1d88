"""The region registry (``data/regions.csv``): which regions exist and how the sources present them.

``presentation`` decides what a region gets, here and nowhere else: a ``case-study`` (a case with
its own chapter, article or report) runs through the per-region notebooks (:func:`case_regions`);
a ``short-example`` (a paragraph inside an article on something else) is presented with the others
in the cross-region short-cases notebook (:func:`short_examples`); a ``reference`` area is what the
cases are compared with. The registry's ``case`` column must agree (true exactly for a case study).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from analysis import config
from analysis.errors import DataError, RegionError
from analysis.names import check_slug

SECTIONS = ("history", "production_system", "innovation_sources", "innovation_barriers")
CASE_STUDY, SHORT_EXAMPLE, REFERENCE = "case-study", "short-example", "reference"
PRESENTATIONS = (CASE_STUDY, SHORT_EXAMPLE, REFERENCE)
REQUIRED_COLUMNS = ("region_id", "name", "kind", "case", *(f"has_{s}" for s in SECTIONS))


@dataclass(frozen=True)
class Region:
    region_id: str
    name: str
    kind: str
    case: bool  # runs through the per-region notebooks: presentation == case-study
    sections: dict  # section -> bool (the sources have data for it)
    documents: tuple[str, ...]
    reference_areas: tuple[str, ...]
    presentation: str = ""  # "" in a hand-built Region: taken from ``case``

    def __post_init__(self):
        if not self.presentation:
            object.__setattr__(self, "presentation", CASE_STUDY if self.case else REFERENCE)
        if self.presentation not in PRESENTATIONS:
            raise DataError(f"region {self.region_id}: presentation {self.presentation!r} is not one of "
                            f"{', '.join(PRESENTATIONS)}")
        if self.case != (self.presentation == CASE_STUDY):
            raise DataError(f"region {self.region_id}: case is {str(self.case).lower()} but presentation is "
                            f"{self.presentation} (case must be true exactly for a case-study)")


def registry_path() -> Path:
    return config.data_dir() / "regions.csv"


def _read(path: Path | None) -> list[Region]:
    path = Path(path) if path is not None else registry_path()
    if not path.exists():
        raise DataError(f"region registry {path} is missing")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise DataError(f"{path} is not UTF-8 text (line {line}: byte {exc.object[exc.start]:#x}); "
                        "save it as UTF-8, as every file in data/ is") from None
    except OSError as exc:
        raise DataError(f"cannot read the region registry {path}: {exc.strerror or exc}") from None
    out = []
    reader = csv.DictReader(io.StringIO(text, newline=""))
    for row in reader:
        missing = [c for c in REQUIRED_COLUMNS if row.get(c) is None]
        if missing:
            raise DataError(f"{path}, line {reader.line_num}: no {missing[0]!r} column (or the row is short); "
                            f"the registry needs {', '.join(REQUIRED_COLUMNS)}")
        case = row["case"].strip().lower() == "true"
        out.append(Region(
            region_id=row["region_id"], name=row["name"], kind=row["kind"], case=case,
            sections={s: row[f"has_{s}"].strip().lower() == "true" for s in SECTIONS},
            documents=tuple(x for x in (row.get("documents") or "").split(";") if x),
            reference_areas=tuple(x for x in (row.get("reference_areas") or "").split(";") if x),
            presentation=(row.get("presentation") or "").strip(),
        ))
    return out


def all_regions(path: Path | None = None) -> list[Region]:
    return _read(path)


def case_regions(path: Path | None = None) -> list[Region]:
    """Case studies: the regions that get the per-region notebooks, in registry order."""
    return [r for r in _read(path) if r.presentation == CASE_STUDY]


def short_examples(path: Path | None = None) -> list[Region]:
    """Short examples: places the sources give a paragraph or two, presented together, in registry order."""
    return [r for r in _read(path) if r.presentation == SHORT_EXAMPLE]


def get_region(region_id: str, path: Path | None = None) -> Region:
    check_slug(region_id)
    regions = {r.region_id: r for r in _read(path)}
    if region_id not in regions:
        valid = ", ".join(r.region_id for r in regions.values() if r.case)
        raise RegionError(f"unknown region {region_id!r}; valid case regions: {valid}")
    return regions[region_id]
