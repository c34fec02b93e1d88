"""Record what a notebook found, compare it with what the sources printed, write it deterministically.

A notebook creates ``Findings(region, notebook, output_dir)``, calls
:meth:`Findings.record` for every number it reproduces (passing the
``published_values`` row when the source prints one) and :meth:`Findings.save`
at the end. The JSON in ``outputs/findings/<notebook>.json`` is what the book
quotes and what ``verify`` diffs (:func:`load_findings`, :func:`compare_findings`).

Status of a finding: the vocabulary and the one rounding rule of :mod:`analysis.reproduce`
(:func:`analysis.reproduce.judge`): ``match`` (rule ``exact``, ``within-rounding`` or
``approximate``), ``source-inconsistent`` (the errata record the contradiction), ``mismatch``,
``unprinted-base``/``not-testable`` for rates over a base the source never prints, and
``no-published-value`` when the source prints nothing to compare with.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from analysis.data.documents import SHORT_NAMES as DOC_SHORT_NAMES  # captions and citations
from analysis.files import atomic_write_text
from analysis.reproduce import STATUSES as REPRODUCTION_STATUSES
from analysis.reproduce import COUNT_UNITS, Evaluation, judge

STATUSES = (*REPRODUCTION_STATUSES, "no-published-value")
PUBLISHED_FIELDS = ("pv_id", "value", "decimals", "qualifier", "doc", "source", "lines", "errata_id")
# Counts and ranks must be reproduced exactly by `verify`; everything else to float noise.
# counts (the units reproduce treats as exact) and ranks, years and tallies: compared exactly by verify
EXACT_UNITS = COUNT_UNITS | frozenset({"count", "rank", "items", "inhabitants", "people", "events", "year", "answers"})
FLOAT_RTOL = 1e-9
SIGNIFICANT_DIGITS = 10


def _clean(value):
    """JSON-ready scalar: NA -> None, numpy -> Python, floats to 10 significant digits."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return None
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}")
    return str(value)


def _finite(value, what: str) -> float:
    if isinstance(value, bool) or value is None or value is pd.NA:
        raise ValueError(f"{what} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{what} is {value}: record a finite number (an undefined indicator is not a finding)")
    return value


def _published(row) -> dict | None:
    if row is None:
        return None
    row = dict(row) if isinstance(row, Mapping) else row.to_dict()
    missing = [f for f in ("value", "decimals") if f not in row or _clean(row[f]) is None]
    if missing:
        raise ValueError(f"published row {row.get('pv_id')!r} lacks {missing}")
    return {f: _clean(row.get(f)) for f in PUBLISHED_FIELDS}


def status_of(value: float, published: dict | None, interval: tuple[float, float] | None = None) -> tuple[str, str]:
    """(status, rule) of a reproduced value against a published row; see :func:`analysis.reproduce.judge`.

    ``interval`` is the range the value can take when its inputs are themselves rounded prints
    (percentages, indexes); without it the inputs are exact counts.
    """
    if published is None:
        return "no-published-value", ""
    lo, hi = interval if interval is not None else (value, value)
    verdict = judge(Evaluation(value, lo, hi, interval is not None, False), published)
    return verdict.status, verdict.rule


def _citation(published: dict | None) -> str | None:
    if not published or not published.get("doc"):
        return None
    doc = DOC_SHORT_NAMES.get(published["doc"], published["doc"])
    parts = [doc, published.get("source"), f"lines {published['lines']}" if published.get("lines") else None]
    return ", ".join(p for p in parts if p)


class Findings:
    """The findings of one notebook run for one region."""

    def __init__(self, region: str, notebook: str, output_dir):
        self.region, self.notebook, self.output_dir = region, notebook, Path(output_dir)
        self._items: dict[str, dict] = {}

    def record(self, finding_id: str, value, unit: str, description: str, published=None,
               citation: str | None = None, interval: tuple[float, float] | None = None,
               status: tuple[str, str] | None = None) -> dict:
        """Record one reproduced number and return the record (with its status and the rule that decided it).

        ``published`` is a ``published_values`` row (dict or Series); ``interval`` the value's range
        when its inputs are rounded prints (see :func:`status_of`); ``status`` a (status, rule) pair
        already decided by :mod:`analysis.reproduce` (rates over an unprinted base). Raises on a
        duplicate id or a non-finite value.
        """
        if not isinstance(finding_id, str) or not finding_id.strip():
            raise ValueError(f"finding id must be a non-empty string, got {finding_id!r}")
        if finding_id in self._items:
            raise ValueError(f"finding {finding_id!r} is recorded twice in {self.notebook}")
        value = _finite(value, f"finding {finding_id!r}")
        if interval is not None:
            interval = (_finite(interval[0], "interval low"), _finite(interval[1], "interval high"))
            if interval[0] > interval[1]:
                raise ValueError(f"interval {interval} runs backwards")
        pub = _published(published)
        state, rule = status if status is not None else status_of(value, pub, interval)
        if state not in STATUSES:
            raise ValueError(f"unknown status {state!r}; statuses: {', '.join(STATUSES)}")
        item = {
            "id": finding_id, "region": self.region, "notebook": self.notebook, "value": _clean(value),
            "unit": unit, "description": description, "status": state, "rule": rule or None, "published": pub,
            "difference": _clean(value - pub["value"]) if pub else None,
            "interval": [_clean(x) for x in interval] if interval is not None else None,
            "citation": citation or _citation(pub), "errata_id": (pub or {}).get("errata_id"),
        }
        self._items[finding_id] = item
        return item

    def published_ids(self) -> set[str]:
        """pv_ids of the published values already compared with."""
        return {r["published"]["pv_id"] for r in self._items.values() if r["published"] and r["published"]["pv_id"]}

    def records(self) -> list[dict]:
        return [self._items[k] for k in sorted(self._items)]

    def to_json(self) -> str:
        # a list of self-describing records: pipeline.merge_findings concatenates the notebooks' lists
        return json.dumps(self.records(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"

    def save(self) -> Path:
        """Write ``output_dir/findings/<notebook>.json`` atomically; same findings -> same bytes."""
        path = self.output_dir / "findings" / f"{self.notebook}.json"
        atomic_write_text(path, self.to_json())
        return path

    def summary(self) -> pd.DataFrame:
        """One row per finding: id, value, unit, published, decimals, status, difference, citation."""
        rows = [{"id": r["id"], "value": r["value"], "unit": r["unit"],
                 "published": (r["published"] or {}).get("value"), "decimals": (r["published"] or {}).get("decimals"),
                 "status": r["status"], "rule": r["rule"], "difference": r["difference"], "citation": r["citation"]}
                for r in self.records()]
        cols = ["id", "value", "unit", "published", "decimals", "status", "rule", "difference", "citation"]
        return pd.DataFrame(rows, columns=cols)


def write_table(df: pd.DataFrame, output_dir, notebook: str, name: str, float_format: str = "%.10g") -> Path:
    """Write ``output_dir/tables/<notebook>--<name>.csv``: no index, fixed float format, '\\n', atomic."""
    for value, what in ((notebook, "notebook"), (name, "name")):
        if not isinstance(value, str) or not value or "/" in value or os.sep in value:
            raise ValueError(f"{what} {value!r} must be a plain file-name part")
    path = Path(output_dir) / "tables" / f"{notebook}--{name}.csv"
    atomic_write_text(path, df.to_csv(index=False, float_format=float_format, lineterminator="\n"))
    return path


def load_findings(path) -> dict[str, dict]:
    """Read a findings JSON (one notebook's or a region's merged list) into {finding id: record}.

    Ids repeat across notebooks in a merged file, so keys there are '<notebook>/<id>'.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise FileNotFoundError(f"no findings file at {path}: run the notebook first") from exc
    records = doc["findings"] if isinstance(doc, dict) else doc
    notebooks = {r.get("notebook") for r in records}
    key = (lambda r: r["id"]) if len(notebooks) <= 1 else (lambda r: f"{r['notebook']}/{r['id']}")
    out: dict[str, dict] = {}
    for r in records:
        if key(r) in out:
            raise ValueError(f"{path}: finding {key(r)!r} appears twice")
        out[key(r)] = r
    return out


def _as_records(obj) -> dict[str, dict]:
    if isinstance(obj, Findings):
        return {r["id"]: r for r in obj.records()}
    if isinstance(obj, str | os.PathLike):
        return load_findings(obj)
    return dict(obj)


def default_tolerance(record: dict) -> tuple[float, float]:
    """(absolute, relative) tolerance: exact for counts and ranks, float noise otherwise."""
    return (0.0, 0.0) if record.get("unit") in EXACT_UNITS else (0.0, FLOAT_RTOL)


def compare_findings(reproduced, recorded, tolerances: Mapping[str, float] | None = None) -> pd.DataFrame:
    """Diff a new run against the recorded findings (``verify``).

    Both sides may be a :class:`Findings`, a path or a {id: record} mapping.
    ``tolerances`` maps finding id -> absolute tolerance, overriding the
    default (exact for counts and ranks). A finding is ``ok`` when the values
    agree within tolerance and the status is unchanged; ids on one side only
    are not ok ('missing' / 'new').
    """
    new, old = _as_records(reproduced), _as_records(recorded)
    rows = []
    for fid in sorted(set(new) | set(old)):
        a, b = new.get(fid), old.get(fid)
        row = {"id": fid, "reproduced": a and a["value"], "recorded": b and b["value"],
               "status_reproduced": a and a["status"], "status_recorded": b and b["status"]}
        if a is None or b is None:
            row.update(difference=None, tolerance=None, ok=False, change="missing" if a is None else "new")
        else:
            abs_tol, rel_tol = default_tolerance(b)
            if tolerances and fid in tolerances:
                abs_tol, rel_tol = float(tolerances[fid]), 0.0
            diff = a["value"] - b["value"]
            same = abs(diff) <= abs_tol + rel_tol * max(abs(a["value"]), abs(b["value"]))
            ok = same and a["status"] == b["status"]
            row.update(difference=diff, tolerance=abs_tol or rel_tol, ok=ok,
                       change="" if ok else ("value" if not same else "status"))
        rows.append(row)
    cols = ["id", "reproduced", "recorded", "difference", "tolerance", "status_reproduced", "status_recorded",
            "ok", "change"]
    return pd.DataFrame(rows, columns=cols)


__all__ = [
    "EXACT_UNITS",
    "STATUSES",
    "Findings",
    "compare_findings",
    "default_tolerance",
    "load_findings",
    "status_of",
    "write_table",
]
