"""``python -m analysis verify``: rerun everything fresh and compare, finding by finding.

1. Every notebook runs in a temporary directory (no cache; ``outputs/`` untouched);
   :func:`check` does the rest on that run.
2. Each reproduced finding is compared with the recorded reference findings in
   ``reference/findings/`` (the reviewed state; exact for counts and ranks,
   float noise otherwise) and, where the source printed the number, with the
   published value (the status the notebook recorded: match, mismatch, or
   source-inconsistent with its errata id).
3. A table (finding, region, published, recorded, reproduced, status) is printed
   and written as JSON and Markdown; the exit status is 0 only when all agree.
``--update`` rewrites the reference after a deliberate change; its diff is what a
reviewer reads.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from analysis import config
from analysis.files import atomic_write_text
from analysis.findings import compare_findings
from analysis.pipeline import CROSS_REGION, Project, environment, run, write_environment


def environment_warnings(recorded: dict, current: dict) -> list[str]:
    out = []
    if recorded.get("python", "").split(".")[:2] != current["python"].split(".")[:2]:
        out.append(f"Python {current['python']} differs from the recorded {recorded.get('python')}")
    for pkg, ver in current["packages"].items():
        old = recorded.get("packages", {}).get(pkg)
        if old and ver and old.split(".")[:2] != ver.split(".")[:2]:
            out.append(f"{pkg} {ver} differs from the recorded {old}")
    return out


def _findings(run_dir: Path, regions: list[str]) -> dict[str, list[dict]]:
    out = {}
    for region in regions:
        path = run_dir / region / "findings.json"
        out[region] = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    return out


def compare(reproduced: dict[str, list[dict]], reference_dir: Path | None = None) -> list[dict]:
    """One row per finding: finding, region, notebook, published, recorded, reproduced, status, detail."""
    reference_dir = Path(reference_dir) if reference_dir is not None else config.reference_dir()
    rows = []
    for region, items in sorted(reproduced.items()):
        ref_path = reference_dir / "findings" / f"{region}.json"
        recorded = json.loads(ref_path.read_text(encoding="utf-8")) if ref_path.exists() else []
        rec_by = {f"{r['notebook']}/{r['id']}": r for r in recorded}
        rep_by = {f"{r['notebook']}/{r['id']}": r for r in items}
        cmp = {row["id"]: row for row in compare_findings(rep_by, rec_by).to_dict("records")}
        for key in sorted(set(rec_by) | set(rep_by)):
            rep, rec, c = rep_by.get(key), rec_by.get(key), cmp.get(key, {})
            pub = (rep or rec or {}).get("published") or {}
            status, detail = "ok", ""
            if rep is None:
                status, detail = "missing", "recorded but not reproduced"
            elif rec is None:
                status, detail = "new", "reproduced but not in the recorded reference (run verify --update after review)"
            elif not c.get("ok", True):
                status = "differs-from-recorded"
                detail = f"{c.get('change')} changed: recorded {rec.get('value')} ({rec.get('status')}), " \
                         f"reproduced {rep.get('value')} ({rep.get('status')})"
            if rep is not None and rep.get("status") == "mismatch":
                status = "differs-from-published"
                detail = f"printed {pub.get('value')} at {rep.get('citation')}"
            elif status == "ok" and rep is not None and rep.get("status") == "source-inconsistent":
                status, detail = "source-inconsistent", f"errata {rep.get('errata_id')}"
            rows.append({"finding": key.split("/", 1)[1], "notebook": key.split("/", 1)[0], "region": region,
                         "published": pub.get("value"), "recorded": (rec or {}).get("value"),
                         "reproduced": (rep or {}).get("value"), "status": status, "detail": detail,
                         "citation": (rep or rec or {}).get("citation")})
    return rows


def markdown(rows: list[dict], failures: list[str], warnings: list[str]) -> str:
    from collections import Counter

    counts = Counter(r["status"] for r in rows)
    lines = [f"**{len(rows)} findings**: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + ".", ""]
    lines += [f"- notebook failed: {f}" for f in failures] + [f"- environment: {w}" for w in warnings]
    lines += ["", "| finding | region | published | recorded | reproduced | status | detail |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["status"] == "ok" and r["published"] is None:
            continue  # the full list is in verification.json; the book shows what a reader checks
        cells = [r["finding"], r["region"], r["published"], r["recorded"], r["reproduced"], r["status"], r["detail"]]
        lines.append("| " + " | ".join("" if c is None else str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def verify(regions: list[str] | None = None, update: bool = False, jobs: int | None = None,
           report_dir: Path | None = None, reference_dir: Path | None = None, keep: bool = False) -> int:
    """Rerun fresh in a temporary folder, then :func:`check` that run; 0 only when everything agrees."""
    run_dir = Path(tempfile.mkdtemp(prefix="analysis-verify-"))
    try:
        report = run(Project(outputs_dir=run_dir), regions=regions or (), force=True, jobs=jobs, progress=False)
        names = sorted({r["region"] for r in report.results} | ({CROSS_REGION} if not regions else set()))
        failures = [f"{r['notebook']} [{r['region']}]: {r['error']}" for r in report.failed]
        return check(run_dir, names, failures, update=update, report_dir=report_dir, reference_dir=reference_dir)
    finally:
        if not keep:
            shutil.rmtree(run_dir, ignore_errors=True)


def check(run_dir: Path, regions: list[str], failures: list[str] = (), update: bool = False,
          report_dir: Path | None = None, reference_dir: Path | None = None) -> int:
    """Compare the findings of the run in ``run_dir`` with the reference and the sources; print and write the table.

    ``failures``: the run's failed pairs, one line each. ``update``: first rewrite the
    reference from this run. Returns 0 only when no finding disagrees and nothing failed.
    """
    report_dir = Path(report_dir) if report_dir is not None else config.outputs_dir() / "verification"
    reference_dir = Path(reference_dir) if reference_dir is not None else config.reference_dir()
    failures = list(failures)
    reproduced = _findings(Path(run_dir), regions)
    if update:
        for region, items in reproduced.items():
            atomic_write_text(reference_dir / "findings" / f"{region}.json",
                              json.dumps(items, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        write_environment(reference_dir / "environment.json")
        print(f"recorded {sum(map(len, reproduced.values()))} findings of {len(reproduced)} regions in {reference_dir}")
    rows = compare(reproduced, reference_dir)
    env_ref = reference_dir / "environment.json"
    warnings = environment_warnings(json.loads(env_ref.read_text()), environment()) if env_ref.exists() else []
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    atomic_write_text(report_dir / "verification.json", json.dumps(
        {"rows": rows, "failures": failures, "warnings": warnings}, indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(report_dir / "verification.md", markdown(rows, failures, warnings))
    bad = [r for r in rows if r["status"] in ("differs-from-recorded", "differs-from-published", "missing", "new")]
    print(f"{'finding':<60} {'region':<14} {'published':>10} {'recorded':>12} {'reproduced':>12}  status")
    for r in rows:
        if r["status"] != "ok" or r["published"] is not None:
            print(f"{r['finding'][:60]:<60} {r['region']:<14} {_fmt(r['published']):>10} {_fmt(r['recorded']):>12} "
                  f"{_fmt(r['reproduced']):>12}  {r['status']}")
    for f in failures:
        print(f"FAILED notebook {f}")
    for r in bad:
        print(f"DIFFERS {r['notebook']} [{r['region']}] {r['finding']}: {r['status']} {r['detail']} "
              f"({r.get('citation') or 'no source value'})")
    print(f"{len(rows)} findings; {len(bad)} disagree; {len(failures)} notebooks failed; "
          f"report in {report_dir}/verification.md")
    return 0 if not bad and not failures else 1


def _fmt(v) -> str:
    if v is None:
        return ""
    return f"{v:.6g}" if isinstance(v, float) else str(v)
