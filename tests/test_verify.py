"""`python -m analysis verify`: fresh reruns agree with the recorded reference and the sources."""

from __future__ import annotations

import csv
import filecmp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from analysis import config, verify
from analysis.config import PROJ_ROOT
from analysis.data.regions import case_regions
from analysis.pipeline import CROSS_REGION

notebooks = pytest.mark.notebooks


def _verify(tmp_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", "verify", "--region", "horten", "--jobs", "2",
                           "--report-dir", str(tmp_path / "report"), *args], cwd=PROJ_ROOT,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=900)


def _outputs_listing() -> list[str]:
    out = PROJ_ROOT / "outputs"
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) if out.exists() else []


@notebooks
def test_the_session_run_agrees_with_the_reference_and_the_sources(executed_outputs, tmp_path, capsys):
    """Every region and the cross-region findings, as `verify` compares them after its own run."""
    regions = [r.region_id for r in case_regions()] + [CROSS_REGION]
    status = verify.check(executed_outputs, regions, report_dir=tmp_path / "report")
    assert status == 0, capsys.readouterr().out[-4000:]
    rows = json.loads((tmp_path / "report" / "verification.json").read_text())["rows"]
    assert {r["region"] for r in rows} == set(regions)
    assert rows and all(r["status"] in ("ok", "source-inconsistent") for r in rows)
    assert any(r["status"] == "source-inconsistent" for r in rows), "errata-explained values must show as such"
    assert (tmp_path / "report" / "verification.md").read_text().startswith("**")


@notebooks
def test_a_changed_cited_value_names_the_findings_that_depend_on_it(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(config.data_dir(), data, ignore=shutil.ignore_patterns(".validated"))
    path = data / "employment.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    hit = [r for r in rows if (r["area"], r["industry_id"], r["year"], r["source"]) == ("horten", "g7", "2005", "Tabell v.3")]
    assert len(hit) == 1 and hit[0]["employed"] == "186"
    hit[0]["employed"] = "196"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    before = _outputs_listing()
    proc = _verify(tmp_path, env={"ANALYSIS_DATA": str(data)})
    assert _outputs_listing() == before, "verify must not touch outputs/"
    assert proc.returncode == 1, proc.stdout[-3000:]
    differing = [r for r in json.loads((tmp_path / "report" / "verification.json").read_text())["rows"]
                 if r["status"] != "ok" and r["status"] != "source-inconsistent"]
    names = {r["finding"] for r in differing}
    assert "employment.horten.g7.abs-change.1997-2005" in names
    assert "employment.horten.g7.rel-change-pct.1997-2005" in names
    # nothing that cannot depend on g7 in 2005 changes: other groups' changes, surveys, history events
    for n in names:
        assert not any(f".{g}." in n and "change" in n for g in ("g1", "g2", "g3", "g4", "g5", "g6")), n
        assert not n.startswith(("survey.", "history.events", "information-sources", "innovation-barriers")), n
    assert all(r["notebook"] in ("production-system", "history") for r in differing), differing
    assert "DIFFERS production-system [horten]" in proc.stdout


@notebooks
def test_a_notebook_that_raises_fails_verify_with_notebook_and_cell(tmp_path):
    nbdir = tmp_path / "notebooks"
    shutil.copytree(config.notebooks_dir(), nbdir)
    nb = nbformat.read(nbdir / "history.ipynb", as_version=4)
    bad = nbformat.v4.new_code_cell("raise RuntimeError('deliberate failure for the test')")
    nb.cells.insert(3, bad)
    nbformat.write(nb, nbdir / "history.ipynb")
    proc = _verify(tmp_path, env={"ANALYSIS_NOTEBOOKS": str(nbdir)})
    assert proc.returncode == 1
    assert "FAILED notebook history [horten]" in proc.stdout
    assert "RuntimeError: deliberate failure" in proc.stdout and "cell" in proc.stdout


@notebooks
def test_two_fresh_runs_are_byte_identical(executed_outputs, tmp_path):
    """The session's run (all regions) and a second run of one region give the same bytes for that region."""
    from analysis.pipeline import Project, run

    report = run(Project(outputs_dir=tmp_path / "again"), regions=["horten"], force=True, jobs=2, progress=False)
    assert not report.failed
    outs = [executed_outputs / "horten", tmp_path / "again" / "horten"]
    for sub in ("findings", "tables", "figures"):
        a, b = outs[0] / sub, outs[1] / sub
        names = sorted(p.name for p in a.iterdir())
        assert names == sorted(p.name for p in b.iterdir()) and names
        _match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
        assert not mismatch and not errors, f"{sub} differ: {mismatch}"
    assert filecmp.cmp(outs[0] / "findings.json", outs[1] / "findings.json", shallow=False)


@notebooks
def test_every_published_value_is_reproduced_somewhere(executed_outputs):
    """One run of everything compares every printed derived number of data/published_values.csv."""
    from analysis import data as D

    compared = {r["published"]["pv_id"] for path in executed_outputs.glob("*/findings.json")
                for r in json.loads(path.read_text(encoding="utf-8")) if r.get("published")}
    missing = sorted(set(D.load("published_values")["pv_id"]) - compared)
    assert missing == [], f"{len(missing)} published values reproduced in no notebook: {missing[:20]}"


# ---- the rule that decided, and the errata's other side, on hand-made findings (no notebook runs) -------

ERRATA = {
    "E900": {"errata_id": "E900", "value_a": "50; 21,3", "lines_a": "2827", "value_b": "49; 20,9 (computed)",
             "lines_b": "12262", "b_computed": True},
    "E901": {"errata_id": "E901", "value_a": "819", "lines_a": "12486", "value_b": "~102", "lines_b": "12486",
             "b_computed": True},
}


def _finding(fid: str, value, status: str, rule: str | None, printed=None, lines="100-110", errata_id=None) -> dict:
    published = None if printed is None else {
        "pv_id": fid, "value": printed, "decimals": 0, "qualifier": None, "doc": "nibr-2005-11", "source": "Tabell 9.9",
        "lines": lines, "errata_id": errata_id}
    return {"id": f"published.{fid}", "notebook": "production-system", "region": "testtown", "value": value,
            "unit": "persons", "description": fid, "status": status, "rule": rule, "published": published,
            "citation": "NIBR-rapport 2005:11, Tabell 9.9", "errata_id": errata_id}


HAND_MADE = [
    _finding("exact", 20.0, "match", "exact", printed=20),
    _finding("rounded", 27.5, "match", "within-rounding", printed=28),
    _finding("approx", 2329.0, "match", "approximate", printed=2400),
    _finding("common", 30.0, "unprinted-base", "common-base", printed=30),
    _finding("any", 0.0, "not-testable", "any-base", printed=0),
    _finding("lost", 2.0, "not-computable", "chart-lost-in-extraction", printed=2),
    _finding("misprint", 49.0, "source-inconsistent", "exact", printed=50, lines="2816-2836", errata_id="E900"),
    _finding("no-base", 819.0, "source-inconsistent", "no-common-base", printed=819, lines="12486", errata_id="E901"),
    _finding("unexplained", 49.0, "source-inconsistent", "exact", printed=50, errata_id="E999"),
    _finding("count", 12.0, "no-published-value", None),
]


def _hand_made_check(tmp_path, capsys) -> tuple[int, dict[str, dict], str, str]:
    run = tmp_path / "run" / "testtown"
    run.mkdir(parents=True)
    (run / "findings.json").write_text(json.dumps(HAND_MADE), encoding="utf-8")
    ref = tmp_path / "reference" / "findings"
    ref.mkdir(parents=True)
    (ref / "testtown.json").write_text(json.dumps(HAND_MADE), encoding="utf-8")
    status = verify.check(tmp_path / "run", ["testtown"], report_dir=tmp_path / "report",
                          reference_dir=tmp_path / "reference", errata=ERRATA)
    report = json.loads((tmp_path / "report" / "verification.json").read_text(encoding="utf-8"))
    rows = {r["finding"].removeprefix("published."): r for r in report["rows"]}
    return status, rows, (tmp_path / "report" / "verification.md").read_text(encoding="utf-8"), capsys.readouterr().out


def test_verify_says_which_rule_decided_each_printed_value(tmp_path, capsys):
    status, rows, md, out = _hand_made_check(tmp_path, capsys)
    assert status == 0
    assert {k: r["rule"] for k, r in rows.items()} == {
        "exact": "exact", "rounded": "within printed rounding", "approx": "approximate",
        "common": "unprinted base: common base", "any": "unprinted base: any base",
        "lost": "not computable: chart lost in extraction", "misprint": "exact",
        "no-base": "unprinted base: no common base", "unexplained": "exact", "count": ""}
    assert {k: r["against_source"] for k, r in rows.items()}["common"] == "unprinted-base"
    # nothing was recomputed for a rate over an unprinted base or a value that cannot be computed
    assert {k for k, r in rows.items() if not r["recomputed"]} == {"common", "any", "lost", "no-base"}
    for text in (md, out):
        assert "within printed rounding" in text and "unprinted base: any base" in text
        assert "not computable: chart lost in extraction" in text


def test_verify_names_the_errata_row_and_the_other_side_of_a_contradiction(tmp_path, capsys):
    _status, rows, md, out = _hand_made_check(tmp_path, capsys)
    # the published 50 is side a (it prints 50): the other side is b
    assert (rows["misprint"]["errata_id"], rows["misprint"]["other_side"]) == (
        "E900", "49; 20,9 (computed) (lines 12262, computed)")
    # both sides on the same line: the one printing 819 is this side
    assert rows["no-base"]["other_side"] == "~102 (lines 12486, computed)"
    assert rows["unexplained"]["detail"] == "errata E999 (not in data/errata.csv)"
    assert rows["exact"]["errata_id"] is None and rows["exact"]["other_side"] is None
    for text in (md, out):
        assert "E900: 49; 20,9 (computed) (lines 12262, computed)" in text
        assert "E901: ~102 (lines 12486, computed)" in text


def test_the_other_side_is_found_by_value_then_by_lines_else_both_are_shown():
    err = {"value_a": "24 svar", "lines_a": "3491-3507", "value_b": "23 (6 + 7 + 2 + 6 + 2)", "lines_b": "3507",
           "b_computed": True}
    assert verify.other_side({"value": 25, "lines": "3471-3473"}, err) == "a: 24 svar (lines 3491-3507); " \
        "b: 23 (6 + 7 + 2 + 6 + 2) (lines 3507, computed)"
    assert verify.other_side({"value": 25, "lines": "3495"}, err) == "23 (6 + 7 + 2 + 6 + 2) (lines 3507, computed)"
    assert verify.other_side({"value": 24, "lines": "3471"}, err).startswith("23 (6 + 7")
