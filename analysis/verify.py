"""``python -m analysis verify``: rerun everything fresh and compare, finding by finding.

1. Every notebook runs in a temporary directory (no cache; ``outputs/`` untouched);
   :func:`check` does the rest on that run.
2. Each reproduced finding is compared with the recorded reference findings in
   ``reference/findings/`` (the reviewed state; exact for counts and ranks,
   float noise otherwise) and, where the source printed the number, with the
   published value: the status the notebook recorded and the rule that decided it
   (exact, within printed rounding, approximate, or for a rate over an unprinted
   base: common base, any base, no common base; for a value that cannot be computed,
   the declared reason). A ``source-inconsistent`` value names its errata row and
   what the other side of the contradiction printed (the errata's ``value_a``/``value_b``).
3. A table (finding, region, published, recorded, reproduced, status, against the
   source, rule, detail) is printed and written as JSON and Markdown; the exit
   status is 0 only when all agree.
``--update`` rewrites the reference after a deliberate change; its diff is what a
reviewer reads.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from analysis import config
from analysis.files import atomic_write_text, real_folder, writable_folder
from analysis.findings import compare_findings
from analysis.data.sources import numbers_in, parse_lines
from analysis.errors import SourceError
from analysis.pipeline import CROSS_REGION, Project, environment, run, write_environment
from analysis.pipeline.limits import CELL_TIMEOUT
from analysis.reproduce import REASONS, RULE_LABELS


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


# a rate over an unprinted base, and a value that cannot be computed, are recorded with the printed value
NOT_RECOMPUTED_RULES = ("common-base", "any-base", "no-common-base")


def recomputed(record: dict | None) -> bool:
    """Does the finding hold a recomputed value (and not the printed one)?"""
    return bool(record) and record.get("status") != "not-computable" and record.get("rule") not in NOT_RECOMPUTED_RULES


def rule_of(record: dict | None) -> str:
    """What decided a finding's status against the source, as a reader reads it."""
    if not record or not record.get("published"):
        return ""
    rule = record.get("rule") or ""
    if record.get("status") == "not-computable":
        return f"not computable: {REASONS.get(rule, 'no reason declared')}"
    return RULE_LABELS.get(rule, rule)


def load_errata() -> dict[str, dict]:
    """The errata rows by id (the two sides of every recorded contradiction)."""
    from analysis import data as D

    return {r["errata_id"]: r for r in D.load("errata").to_dict("records")}


def _overlaps(spec_a, spec_b) -> bool:
    try:
        a, b = parse_lines(str(spec_a)), parse_lines(str(spec_b))
    except SourceError:
        return False
    return any(lo <= hi2 and lo2 <= hi for lo, hi in a for lo2, hi2 in b)


def _prints(side: str, value) -> bool:
    try:
        return value is not None and any(abs(n - abs(float(value))) < 1e-9 for n in map(abs, numbers_in(str(side))))
    except ValueError:
        return False


def other_side(published: dict, errata: dict) -> str:
    """What the other side of the contradiction printed (or computed), with its lines.

    This side is the one that prints the published value, or else the one whose lines it cites; where
    neither decides, both sides are shown.
    """
    a = (errata["value_a"], errata["lines_a"])
    b = (errata["value_b"], errata["lines_b"] + (", computed" if errata.get("b_computed") else ""))
    for here_a, here_b in ((_prints(a[0], published.get("value")), _prints(b[0], published.get("value"))),
                           (_overlaps(published.get("lines"), a[1]), _overlaps(published.get("lines"), errata["lines_b"]))):
        if here_a != here_b:
            value, lines = b if here_a else a
            return f"{value} (lines {lines})"
    return f"a: {a[0]} (lines {a[1]}); b: {b[0]} (lines {b[1]})"


def _errata_detail(record: dict, errata: dict[str, dict]) -> str:
    err = record.get("errata_id")
    if not err:
        return "no errata row"
    if err not in errata:
        return f"errata {err} (not in data/errata.csv)"
    return f"errata {err}; the other side: {other_side(record.get('published') or {}, errata[err])}"


def _status(rep, rec, c, pub, errata) -> tuple[str, str]:
    if rep is None:
        return "missing", "recorded but not reproduced"
    if rep.get("status") == "mismatch":
        return "differs-from-published", f"printed {pub.get('value')} at {rep.get('citation')}"
    if rec is None:
        return "new", "reproduced but not in the recorded reference (run verify --update after review)"
    if not c.get("ok", True):
        return "differs-from-recorded", (f"{c.get('change')} changed: recorded {rec.get('value')} ({rec.get('status')}), "
                                         f"reproduced {rep.get('value')} ({rep.get('status')})")
    if rep.get("status") == "source-inconsistent":
        return "source-inconsistent", _errata_detail(rep, errata)
    return "ok", ""


def compare(reproduced: dict[str, list[dict]], reference_dir: Path | None = None,
            errata: dict[str, dict] | None = None) -> list[dict]:
    """One row per finding: finding, region, notebook, published, recorded, reproduced, status, against the
    source (the finding's status), rule, errata and the other side's value, detail.

    ``errata``: {errata_id: row} (default: ``data/errata.csv``).
    """
    reference_dir = Path(reference_dir) if reference_dir is not None else config.reference_dir()
    errata = load_errata() if errata is None else errata
    rows = []
    for region, items in sorted(reproduced.items()):
        ref_path = reference_dir / "findings" / f"{region}.json"
        recorded = json.loads(ref_path.read_text(encoding="utf-8")) if ref_path.exists() else []
        rec_by = {f"{r['notebook']}/{r['id']}": r for r in recorded}
        rep_by = {f"{r['notebook']}/{r['id']}": r for r in items}
        cmp = {row["id"]: row for row in compare_findings(rep_by, rec_by).to_dict("records")}
        for key in sorted(set(rec_by) | set(rep_by)):
            rep, rec = rep_by.get(key), rec_by.get(key)
            pub = (rep or rec or {}).get("published") or {}
            status, detail = _status(rep, rec, cmp.get(key, {}), pub, errata)
            source = (rep or rec or {}).get("status")
            err = (rep or rec or {}).get("errata_id") if source == "source-inconsistent" else None
            rows.append({"finding": key.split("/", 1)[1], "notebook": key.split("/", 1)[0], "region": region,
                         "published": pub.get("value"), "recorded": (rec or {}).get("value"),
                         "reproduced": (rep or {}).get("value"), "recomputed": recomputed(rep or rec),
                         "status": status, "against_source": source if pub else None, "rule": rule_of(rep or rec),
                         "errata_id": err, "other_side": other_side(pub, errata[err]) if err in errata else None,
                         "detail": detail, "citation": (rep or rec or {}).get("citation")})
    return rows


def markdown(rows: list[dict], failures: list[str], warnings: list[str]) -> str:
    from collections import Counter

    counts = Counter(r["status"] for r in rows)
    rules = Counter(r["rule"] for r in rows if r["published"] is not None)
    lines = [f"**{len(rows)} findings**: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) + ".", "",
             f"**{sum(rules.values())} compared with a printed value**, by the rule that decided: "
             + ", ".join(f"{v} {k}" for k, v in sorted(rules.items(), key=lambda kv: (-kv[1], kv[0]))) + ".", ""]
    lines += [f"- notebook failed: {f}" for f in failures] + [f"- environment: {w}" for w in warnings]
    lines += ["", "| finding | region | published | recorded | reproduced | status | against the source | rule | "
              "errata: the other side | detail |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["status"] == "ok" and r["published"] is None:
            continue  # the full list is in verification.json; the book shows what a reader checks
        other = f"{r['errata_id']}: {r['other_side']}" if r.get("errata_id") else ""
        detail = "" if r["status"] == "source-inconsistent" else r["detail"]
        cells = [r["finding"], r["region"], r["published"], r["recorded"], _shown(r), r["status"],
                 r.get("against_source"), r.get("rule"), other, detail]
        lines.append("| " + " | ".join("" if c is None else str(c).replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def _shown(row: dict):
    """The reproduced value, or a dash where nothing was recomputed (the finding then holds the printed value)."""
    return row["reproduced"] if row.get("recomputed", True) or row["reproduced"] is None else "—"


def verify(regions: list[str] | None = None, update: bool = False, jobs: int | None = None,
           report_dir: Path | None = None, reference_dir: Path | None = None, keep: bool = False,
           timeout: float | None = CELL_TIMEOUT) -> int:
    """Rerun fresh in a temporary folder, then :func:`check` that run; 0 only when everything agrees.

    Where the report (and with ``update`` the reference) goes is checked first: a read-only
    ``outputs/`` fails in one line before the run, not after it.
    """
    writable_folder(*_report_dir(report_dir))
    if update:
        writable_folder(Path(reference_dir) if reference_dir is not None else config.reference_dir())
    # the pid in the name: a later run removes the folder of a verify that was killed
    run_dir = Path(tempfile.mkdtemp(prefix=f"analysis-verify-{os.getpid()}-"))
    try:
        report = run(Project(outputs_dir=run_dir), regions=regions or (), force=True, jobs=jobs, progress=True,
                     timeout=timeout)
        names = sorted({r["region"] for r in report.results} | ({CROSS_REGION} if not regions else set()))
        failures = [f"{r['notebook']} [{r['region']}]: {r['error']}" for r in report.failed]
        return check(run_dir, names, failures, update=update, report_dir=report_dir, reference_dir=reference_dir)
    finally:
        if not keep:
            shutil.rmtree(run_dir, ignore_errors=True)


def check(run_dir: Path, regions: list[str], failures: list[str] = (), update: bool = False,
          report_dir: Path | None = None, reference_dir: Path | None = None, errata: dict[str, dict] | None = None) -> int:
    """Compare the findings of the run in ``run_dir`` with the reference and the sources; print and write the table.

    ``failures``: the run's failed pairs, one line each. ``update``: first rewrite the
    reference from this run. ``errata``: {errata_id: row} (default: ``data/errata.csv``).
    Returns 0 only when no finding disagrees and nothing failed.
    """
    report_dir = real_folder(*_report_dir(report_dir))
    reference_dir = Path(reference_dir) if reference_dir is not None else config.reference_dir()
    failures = list(failures)
    reproduced = _findings(Path(run_dir), regions)
    if update:
        for region, items in reproduced.items():
            atomic_write_text(reference_dir / "findings" / f"{region}.json",
                              json.dumps(items, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        write_environment(reference_dir / "environment.json")
        print(f"recorded {sum(map(len, reproduced.values()))} findings of {len(reproduced)} regions in {reference_dir}")
    rows = compare(reproduced, reference_dir, errata)
    env_ref = reference_dir / "environment.json"
    warnings = environment_warnings(json.loads(env_ref.read_text()), environment()) if env_ref.exists() else []
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    atomic_write_text(report_dir / "verification.json", json.dumps(
        {"rows": rows, "failures": failures, "warnings": warnings}, indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(report_dir / "verification.md", markdown(rows, failures, warnings))
    bad = [r for r in rows if r["status"] in ("differs-from-recorded", "differs-from-published", "missing", "new")]
    print(f"{'finding':<60} {'region':<14} {'published':>10} {'recorded':>12} {'reproduced':>12}  "
          f"{'status':<20} {'against the source':<20} {'rule':<30} errata: the other side")
    for r in rows:
        if r["status"] != "ok" or r["published"] is not None:
            other = f"{r['errata_id']}: {r['other_side']}" if r.get("errata_id") else ""
            print(f"{r['finding'][:60]:<60} {r['region']:<14} {_fmt(r['published']):>10} {_fmt(r['recorded']):>12} "
                  f"{_fmt(_shown(r)):>12}  {r['status']:<20} {r.get('against_source') or '':<20} "
                  f"{r.get('rule') or '':<30} {other}".rstrip())
    for f in failures:
        print(f"FAILED notebook {f}")
    for r in bad:
        print(f"DIFFERS {r['notebook']} [{r['region']}] {r['finding']}: {r['status']} {r['detail']} "
              f"({r.get('citation') or 'no source value'})")
    print(f"{len(rows)} findings; {len(bad)} disagree; {len(failures)} notebooks failed; "
          f"report in {report_dir}/verification.md")
    return 0 if not bad and not failures else 1


def _report_dir(report_dir: Path | None) -> tuple[Path, Path]:
    """The report folder and the folder it must not leave through a link (outputs/, when it is the default)."""
    if report_dir is not None:
        return Path(report_dir), Path(report_dir)
    return config.outputs_dir() / "verification", config.outputs_dir()


def _fmt(v) -> str:
    if v is None:
        return ""
    return f"{v:.6g}" if isinstance(v, float) else str(v)
