"""Check one or more dataset CSVs while transcribing: schema, then source lines.

    python -m analysis.datacheck employment [path/to/staging.csv]

Validates the file against its declared schema (without foreign keys, so a file
can be checked before the others exist) and prints every cited value or term not
found on its cited lines.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd

from analysis.data import dataset_path, resource_descriptor
from analysis.sources import check_dataset


def check_file(name: str, path: Path) -> int:
    from frictionless import Resource, Schema, system

    desc = resource_descriptor(name)
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
    from analysis.data import load_all
    from analysis.reproduce import REF_RE, NotComputable, evaluate_test, lookup

    datasets = load_all()
    bad = 0
    for i, row in enumerate(frame.to_dict("records"), start=2):
        for ref in REF_RE.finditer(str(row.get("evidence") or "")):
            try:
                lookup(datasets, ref.group(1), ref.group(2).split(","), ref.group(3), None)
            except NotComputable as exc:
                print(f"EVIDENCE row {i} {row['claim_id']}: {ref.group(0)}: {exc}")
                bad += 1
        # empty cells may come back as NaN (pandas string columns): treat anything but a non-blank string as empty
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
    paths = [Path(p) for p in argv[1:]] or [dataset_path(name)]
    return 1 if sum(check_file(name, p) for p in paths) else 0


if __name__ == "__main__":
    sys.exit(main())
