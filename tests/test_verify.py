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

pytestmark = pytest.mark.notebooks


def _verify(tmp_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", "verify", "--region", "horten", "--jobs", "2",
                           "--report-dir", str(tmp_path / "report"), *args], cwd=PROJ_ROOT,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=900)


def _outputs_listing() -> list[str]:
    out = PROJ_ROOT / "outputs"
    return sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) if out.exists() else []


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
