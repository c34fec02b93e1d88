"""Checking the data: the whole package for ``check-data``, one file while transcribing.

:func:`data_report` (``python -m analysis check-data``): validation, the source-line
check and the reproduction of the printed derived numbers, summarised for the README.

:func:`check_file` (``python -m analysis.datacheck employment [path/to/staging.csv]``):
validates one CSV against its declared schema (without foreign keys, so a file can be
checked before the others exist) and prints every cited value or term not found on its
cited lines; for ``claims``, also that every evidence reference resolves and every test
evaluates.

Both recompute printed numbers (:mod:`analysis.reproduce`), which is why this module
sits above the methods and not in the data layer.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

import pandas as pd

from analysis import data as D
from analysis.config import PROJ_ROOT
from analysis.data import documents
from analysis.data.provenance import line_checks
from analysis.data.sources import check_dataset, seeds_available
from analysis.errors import NotComputable
from analysis.files import atomic_write_text
from analysis.progress import Progress
from analysis.reproduce import REASONS, REF_RE, RULE_LABELS, STATUSES, DataIndex, evaluate_test, lookup, reproduce_all


def data_report(datasets: dict[str, pd.DataFrame] | None = None, progress: Progress | None = None) -> dict:
    """Counts for the README: datasets, rows, cited values, line-check and reproduction results
    (by status, by the rule that decided each status, and by the reason a value cannot be computed).

    ``progress``: told when each of the three steps (load, line checks, recomputing) has finished.
    """
    progress = progress or Progress(mode=None)
    progress.started("loading the datasets")
    datasets = datasets or D.load_all()
    progress.finished(f"loaded {len(datasets)} datasets")
    progress.started("checking cited values on their source lines")
    checks = line_checks(datasets) if seeds_available() else []
    progress.finished(f"checked {len(checks)} cited values on their source lines" if checks
                      else "source documents not found: line checks skipped")
    progress.started("recomputing the printed derived numbers")
    results = reproduce_all(datasets)
    progress.finished(f"recomputed {len(results)} printed derived numbers")
    rules: dict[str, Counter] = {}
    for r in results:
        rules.setdefault(r.status, Counter())[r.reason if r.status == "not-computable" else r.rule] += 1
    return {
        "datasets": len(datasets),
        "rows": int(sum(len(f) for f in datasets.values())),
        "cited_checks": len(checks),
        "cited_pass": sum(c.ok for c in checks),
        "failures": [f"{c.dataset} row {c.row} {c.column}: {c.reason}" for c in checks if not c.ok],
        "errata": len(datasets["errata"]),
        "published_values": len(datasets["published_values"]),
        "reproduction": dict(sorted(Counter(r.status for r in results).items())),
        "reproduction_by": {status: dict(sorted(c.items())) for status, c in sorted(rules.items())},
        "seeds": seeds_available(),
    }


def _decided_by(status: str, counts: dict[str, int]) -> str:
    labels = REASONS if status == "not-computable" else RULE_LABELS
    parts = [f"{labels.get(k, k or 'no reason given')} {n}" for k, n in sorted(counts.items(), key=lambda kv: -kv[1])]
    return ", ".join(parts) + (" (each with its errata row)" if status == "source-inconsistent" else "")


def summary_markdown(rep: dict) -> str:
    table = ["| status | values | decided by (rule, or why not computable) |", "|---|---:|---|"]
    for status in STATUSES:
        if rep["reproduction"].get(status):
            table.append(f"| {status} | {rep['reproduction'][status]} | "
                         f"{_decided_by(status, rep['reproduction_by'].get(status, {}))} |")
    return (
        f"- **{rep['datasets']} datasets, {rep['rows']} rows** (`data/*.csv`, declared in `data/datapackage.json`).\n"
        f"- **{rep['cited_checks']} cited values and verbatim terms**; **{rep['cited_pass']} of {rep['cited_checks']}** "
        "are found on their cited source lines (`tests/test_data.py`).\n"
        f"- **{rep['errata']} contradictions** inside the sources recorded in `data/errata.csv`.\n"
        f"- **{rep['published_values']} printed derived numbers** (changes, shares, totals, rates) with what they are "
        "computed from, recomputed from the printed numbers (`analysis/reproduce.py`; "
        "`uncomputable_reason` says why one cannot be):\n"
        "\n" + "\n".join(table) + "\n"
    )


def write_readme_summary(rep: dict, readme: Path | None = None) -> None:
    """Rewrite the README's generated blocks: the data summary and the table of documents."""
    readme = Path(readme) if readme is not None else PROJ_ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    text = replace_block(text, "data-summary", summary_markdown(rep))
    text = replace_block(text, "documents", documents.markdown_table())
    atomic_write_text(readme, text)


def replace_block(text: str, name: str, content: str) -> str:
    """``content`` between ``<!-- name:start -->`` and ``<!-- name:end -->``."""
    return re.sub(rf"(<!-- {name}:start -->\n).*?(<!-- {name}:end -->)", lambda m: m.group(1) + content + m.group(2),
                  text, flags=re.DOTALL)


def check_file(name: str, path: Path) -> int:
    from frictionless import Resource, Schema, system

    desc = D.resource_descriptor(name)
    schema = dict(desc["schema"])
    schema.pop("foreignKeys", None)
    with system.use_context(trusted=True):
        report = Resource(path=str(path), schema=Schema.from_descriptor(schema)).validate()
    bad = 0
    for task in report.tasks:
        for err in task.errors:
            e = err.to_dict()
            print(f"SCHEMA {path} row {e.get('rowNumber')} col {e.get('fieldName')}: {e.get('type')}: {e.get('note')}")
            bad += 1
    for err in report.errors:
        print(f"SCHEMA {path}: {err.type}: {err.note}")
        bad += 1
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    for col in frame.columns:
        frame[col] = frame[col].replace("", None)
    checks = check_dataset(name, frame, desc["schema"]["fields"])
    failed = [c for c in checks if not c.ok]
    for c in failed:
        print(f"LINES  {path} row {c.row} col {c.column}: {c.reason}")
    print(f"{path}: {len(frame)} rows, schema errors {bad}, line checks {len(checks) - len(failed)}/{len(checks)} pass")
    if name == "claims":
        bad += check_claims(frame)
    return bad + len(failed)


def check_claims(frame: pd.DataFrame) -> int:
    """Every evidence reference must resolve and every test evaluate; a claim needs a test or a reason."""
    datasets = DataIndex(D.load_all())  # one index for every reference of every claim
    bad = 0
    for i, row in enumerate(frame.to_dict("records"), start=2):
        # empty cells arrive as NaN (pandas >= 3 turns replace("", None) into NaN): treat them as empty
        row = {k: (None if isinstance(v, float) and v != v else v) for k, v in row.items()}
        for ref in REF_RE.finditer(str(row.get("evidence") or "")):
            try:
                lookup(datasets, ref.group(1), ref.group(2).split(","), ref.group(3), None)
            except NotComputable as exc:
                print(f"EVIDENCE row {i} {row['claim_id']}: {ref.group(0)}: {exc}")
                bad += 1
        # empty cells come back as NaN (pandas >= 3: replace("", None) on a str column)
        test, why = (v if isinstance(v, str) and v.strip() else None for v in (row.get("test"), row.get("untestable")))
        if test:
            try:
                print(f"TEST   row {i} {row['claim_id']}: {'supported' if evaluate_test(test, datasets) else 'CONTRADICTED'}")
            except NotComputable as exc:
                print(f"TEST   row {i} {row['claim_id']}: not evaluable: {exc}")
                bad += 1
        elif not why:
            print(f"TEST   row {i} {row['claim_id']}: neither a test nor a reason why it cannot be tested")
            bad += 1
    return bad


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv:
        print(__doc__)
        return 2
    name = argv[0]
    paths = [Path(p) for p in argv[1:]] or [D.dataset_path(name)]
    return 1 if sum(check_file(name, p) for p in paths) else 0


if __name__ == "__main__":
    sys.exit(main())
