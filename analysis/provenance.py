"""Where does a number come from, and does every number check out?

``where``: the rows of a dataset matching some key values, with their citation
and the cited lines of the source document.
``data_report``: validation, the source-line check and the reproduction of the
printed derived numbers, summarised (and optionally written into the README).
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pandas as pd

from analysis import data as D
from analysis.config import PROJ_ROOT
from analysis.reproduce import reproduce_all
from analysis.sources import (
    SourceError,
    check_dataset,
    cited_text,
    document_lines,
    parse_lines,
    seeds_available,
)


def where(dataset: str, keys: list[str], context: int = 0) -> str:
    """Citation and source text of the rows of ``dataset`` whose key fields start with ``keys``."""
    frame = D.load(dataset)
    pk = [k for k in D.resource_descriptor(dataset)["schema"].get("primaryKey", []) if k not in ("source", "lines")]
    rows = frame
    for col, key in zip(pk, keys):
        rows = rows[rows[col].astype("string") == key]
    if rows.empty:
        raise KeyError(f"no row of {dataset} with {dict(zip(pk, keys))}; key fields are {pk}")
    out = []
    for row in rows.to_dict("records"):
        head = ", ".join(f"{k}={row[k]}" for k in pk)
        vals = ", ".join(f"{f['name']}={row[f['name']]}" for f in D.fields(dataset)
                         if f.get("cited") and pd.notna(row[f["name"]]))
        out.append(f"{dataset}[{head}] {vals}\n  cited: {row['doc']}, {row['source']}, lines {row['lines']}")
        try:
            lines = document_lines(row["doc"])
            for lo, hi in parse_lines(row["lines"]):
                for n in range(max(1, lo - context), min(len(lines), hi + context) + 1):
                    out.append(f"  {n:>6} | {lines[n - 1]}")
        except SourceError as exc:
            out.append(f"  (source text not available: {exc})")
    return "\n".join(out)


def line_checks(datasets: dict[str, pd.DataFrame]) -> list:
    """Every cited value and verbatim term of every dataset, checked on its source lines."""
    return [c for name, frame in datasets.items() for c in check_dataset(name, frame, D.fields(name))]


def data_report(datasets: dict[str, pd.DataFrame] | None = None) -> dict:
    """Counts for the README: datasets, rows, cited values, line-check and reproduction results."""
    datasets = datasets or D.load_all()
    checks = line_checks(datasets) if seeds_available() else []
    repro = Counter(r.status for r in reproduce_all(datasets))
    return {
        "datasets": len(datasets),
        "rows": int(sum(len(f) for f in datasets.values())),
        "cited_checks": len(checks),
        "cited_pass": sum(c.ok for c in checks),
        "failures": [f"{c.dataset} row {c.row} {c.column}: {c.reason}" for c in checks if not c.ok],
        "errata": len(datasets["errata"]),
        "published_values": len(datasets["published_values"]),
        "reproduction": dict(sorted(repro.items())),
        "seeds": seeds_available(),
    }


def summary_markdown(rep: dict) -> str:
    repro = ", ".join(f"{v} {k}" for k, v in rep["reproduction"].items())
    return (
        f"- **{rep['datasets']} datasets, {rep['rows']} rows** (`data/*.csv`, declared in `data/datapackage.json`).\n"
        f"- **{rep['cited_checks']} cited values and verbatim terms**; **{rep['cited_pass']} of {rep['cited_checks']}** "
        "are found on their cited source lines (`tests/test_data.py`).\n"
        f"- **{rep['published_values']} printed derived numbers** (changes, shares, totals, rates) with what they are "
        f"computed from; recomputed from the printed levels: {repro}.\n"
        f"- **{rep['errata']} contradictions** inside the sources recorded in `data/errata.csv`.\n"
    )


def write_readme_summary(rep: dict, readme: Path = PROJ_ROOT / "README.md") -> None:
    text = readme.read_text(encoding="utf-8")
    new = re.sub(r"(<!-- data-summary:start -->\n).*?(<!-- data-summary:end -->)",
                 lambda m: m.group(1) + summary_markdown(rep) + m.group(2), text, flags=re.DOTALL)
    readme.write_text(new, encoding="utf-8")


__all__ = ["cited_text", "data_report", "line_checks", "summary_markdown", "where", "write_readme_summary"]
