"""The region registry (``data/regions.csv``): which regions exist and which are cases."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from analysis import config
from analysis.errors import DataError, RegionError
from analysis.names import check_slug

SECTIONS = ("history", "production_system", "innovation_sources", "innovation_barriers")


@dataclass(frozen=True)
class Region:
    region_id: str
    name: str
    kind: str
    case: bool
    sections: dict  # section -> bool (the sources have data for it)
    documents: tuple[str, ...]
    reference_areas: tuple[str, ...]


def registry_path() -> Path:
    return config.data_dir() / "regions.csv"


def _read(path: Path | None) -> list[Region]:
    path = Path(path) if path is not None else registry_path()
    if not path.exists():
        raise DataError(f"region registry {path} is missing")
    out = []
    with open(path, encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            out.append(Region(
                region_id=row["region_id"], name=row["name"], kind=row["kind"],
                case=row["case"].strip().lower() == "true",
                sections={s: row[f"has_{s}"].strip().lower() == "true" for s in SECTIONS},
                documents=tuple(x for x in row.get("documents", "").split(";") if x),
                reference_areas=tuple(x for x in row.get("reference_areas", "").split(";") if x),
            ))
    return out


def all_regions(path: Path | None = None) -> list[Region]:
    return _read(path)


def case_regions(path: Path | None = None) -> list[Region]:
    """Regions that get the per-region notebooks, in registry order."""
    return [r for r in _read(path) if r.case]


def get_region(region_id: str, path: Path | None = None) -> Region:
    check_slug(region_id)
    regions = {r.region_id: r for r in _read(path)}
    if region_id not in regions:
        valid = ", ".join(r.region_id for r in regions.values() if r.case)
        raise RegionError(f"unknown region {region_id!r}; valid case regions: {valid}")
    return regions[region_id]
