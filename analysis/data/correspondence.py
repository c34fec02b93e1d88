"""Correspondences: municipality numbers across the reforms, and SN2007 divisions to technology classes.

Both tables live in ``data/correspondence/`` with their citations (see the README there).
Numbers change at county reforms (a renumbering: the series continues) and at mergers
(a boundary change: the series breaks). :func:`current_number` follows a number to the one
valid in a given year and says whether the area changed on the way, so a region's series
is either continuous or visibly broken.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from analysis import config
from analysis.errors import MunicipalityError

MUNICIPALITY_FILE = "municipality_numbers.csv"
NACE_FILE = "nace2_hightech.csv"
NUMBER_RE = re.compile(r"^[0-9]{4}$")
OPEN_END = 9999  # valid_to of a number still in use


@dataclass(frozen=True)
class Municipality:
    number: str
    name: str
    county: str
    valid_from: int | None
    valid_to: int | None
    successor: str | None
    boundary_change: bool
    line: int  # line of the correspondence file, for citations

    def valid_in(self, year: int) -> bool:
        return (self.valid_from or 0) <= year <= (self.valid_to or OPEN_END)


def _int(text: str) -> int | None:
    return int(text) if text.strip() else None


def municipality_table_path(data_dir: Path | None = None) -> Path:
    return (Path(data_dir) / "correspondence" if data_dir is not None else config.correspondence_dir()) / MUNICIPALITY_FILE


def load_table(path: Path | None = None) -> dict[str, Municipality]:
    """The correspondence table, number -> :class:`Municipality`."""
    path = Path(path) if path is not None else municipality_table_path()
    if not path.exists():
        raise MunicipalityError(f"the municipality correspondence table {path} is missing")
    out = {}
    with open(path, encoding="utf-8", newline="") as fh:
        for line, row in enumerate(csv.DictReader(fh), start=2):
            out[row["number"]] = Municipality(
                number=row["number"], name=row["name"], county=row["county"],
                valid_from=_int(row["valid_from"]), valid_to=_int(row["valid_to"]),
                successor=row["successor"] or None, boundary_change=row["boundary_change"] == "true", line=line)
    return out


def check_number(number: str, table: dict[str, Municipality] | None = None,
                 path: Path | None = None) -> Municipality:
    """The row of ``number``; a clear error when it is malformed or not in the table."""
    if not isinstance(number, str) or not NUMBER_RE.match(number):
        raise MunicipalityError(f"malformed municipality number {number!r}: expected four digits, e.g. 0701 or 3901")
    path = Path(path) if path is not None else municipality_table_path()
    table = load_table(path) if table is None else table
    if number not in table:
        raise MunicipalityError(
            f"unknown municipality {number}; the correspondence table {_shown(path)} knows {len(table)} "
            f"municipality numbers; add it there with its KLASS 131 citation")
    return table[number]


def _shown(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(config.data_dir().resolve().parent))
    except ValueError:
        return str(path)


def common_vintage(numbers: list[str], table: dict[str, Municipality]) -> int:
    """The latest year in which all ``numbers`` are valid together (their vintage)."""
    rows = [table[n] for n in numbers]
    start = max(r.valid_from or 0 for r in rows)
    end = min(r.valid_to or OPEN_END for r in rows)
    if start > end:
        spans = ", ".join(f"{r.number} ({r.valid_from or '…'}–{r.valid_to or 'today'})" for r in rows)
        raise MunicipalityError(f"the municipality numbers are not valid in the same year: {spans}; "
                                "give all numbers of one vintage")
    return end if end != OPEN_END else max(start, 2024)


def current_number(number: str, year: int, table: dict[str, Municipality]) -> tuple[str, bool]:
    """The number ``number`` has in ``year`` (following successors), and whether its area changed on the way."""
    row = table[number]
    broken = False
    while not row.valid_in(year) and row.successor and (row.valid_to or OPEN_END) < year:
        broken = broken or row.boundary_change
        row = table[row.successor]
    return row.number, broken


@dataclass(frozen=True)
class TechClass:
    class_id: str
    label: str
    technology: bool


def nace_classes(path: Path | None = None) -> dict[str, TechClass]:
    """SN2007 (NACE Rev. 2) division -> Eurostat high-tech aggregation class."""
    path = Path(path) if path is not None else config.correspondence_dir() / NACE_FILE
    with open(path, encoding="utf-8", newline="") as fh:
        return {r["nace2"]: TechClass(r["class_id"], r["class_label"], r["technology"] == "true")
                for r in csv.DictReader(fh)}


def _boundary_changes_ahead(number: str, table: dict[str, Municipality]) -> int:
    """Boundary changes between ``number`` and the end of its chain of successors."""
    count, row = 0, table[number]
    while row.successor:
        count += row.boundary_change
        row = table[row.successor]
    return count


def chain(number: str, table: dict[str, Municipality]) -> dict[str, bool]:
    """The numbers that are ``number`` in other years: its successors, and every number that flowed
    into it; each with ``True`` when it covers the same area as ``number`` and ``False`` across a merger.
    Numbers merged into a successor later (e.g. Andebu into 0710 Sandefjord for 0706) are not included."""
    ahead = _boundary_changes_ahead(number, table)
    out: dict[str, bool] = {}
    row = table[number]
    while row.successor:
        row = table[row.successor]
        out[row.number] = _boundary_changes_ahead(row.number, table) == ahead
    todo = [number]
    while todo:
        n = todo.pop()
        if n not in out:
            out[n] = _boundary_changes_ahead(n, table) == ahead
            todo += [m.number for m in table.values() if m.successor == n]
    return out
