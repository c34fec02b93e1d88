"""The region registry (``data/regions.csv``): which regions exist and which are cases."""

from __future__ import annotations

import re
from dataclasses import dataclass

from analysis.config import DATA_DIR

SLUG_RE = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
SECTIONS = ("history", "production_system", "innovation_sources", "innovation_barriers")


class RegionError(ValueError):
    """Unknown or malformed region id."""


@dataclass(frozen=True)
class Region:
    region_id: str
    name: str
    kind: str
    case: bool
    sections: dict  # section -> bool (the sources have data for it)
    documents: tuple[str, ...]
    reference_areas: tuple[str, ...]


def check_slug(value: str, what: str = "region id") -> str:
    if not isinstance(value, str) or not SLUG_RE.match(value):
        raise RegionError(f"{what} {value!r} is not a plain slug (lowercase letters, digits and '-', 2-40 chars, starting with a letter)")
    return value


def _read(path=DATA_DIR / "regions.csv") -> list[Region]:
    import csv

    if not path.exists():
        raise RegionError(f"region registry {path} is missing")
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


def all_regions(path=DATA_DIR / "regions.csv") -> list[Region]:
    return _read(path)


def case_regions(path=DATA_DIR / "regions.csv") -> list[Region]:
    """Regions that get the per-region notebooks, in registry order."""
    return [r for r in _read(path) if r.case]


def get_region(region_id: str, path=DATA_DIR / "regions.csv") -> Region:
    check_slug(region_id)
    regions = {r.region_id: r for r in _read(path)}
    if region_id not in regions:
        valid = ", ".join(r.region_id for r in regions.values() if r.case)
        raise RegionError(f"unknown region {region_id!r}; valid case regions: {valid}")
    return regions[region_id]
