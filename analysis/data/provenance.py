"""Where does a number come from, and is every cited number on its source lines?

:func:`where`: the rows of a dataset matching some key values, with their citation
and the cited lines of the source document. :func:`line_checks`: the source-line
check of every dataset.
"""

from __future__ import annotations

import pandas as pd

from analysis.data import package as D
from analysis.data.sources import check_dataset, document_lines, parse_lines
from analysis.errors import InputError, SourceError


def where(dataset: str, keys: list[str], context: int = 0) -> str:
    """Citation and source text of the rows of ``dataset`` whose key fields start with ``keys``."""
    frame = D.load(dataset)
    pk = [k for k in D.resource_descriptor(dataset)["schema"].get("primaryKey", []) if k not in ("source", "lines")]
    rows = frame
    for col, key in zip(pk, keys):
        rows = rows[rows[col].astype("string") == key]
    if rows.empty:
        raise InputError(f"no row of {dataset} with {dict(zip(pk, keys))}; key fields are {pk}")
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
