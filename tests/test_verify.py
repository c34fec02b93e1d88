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

from analysis.config import DATA_DIR, NOTEBOOKS_DIR, PROJ_ROOT

pytestmark = pytest.mark.notebooks


def _verify(tmp_path: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", "verify", "--region", "horten", "--jobs", "2",
                           "--report-dir", str(tmp_path / "report"), *args], cwd=PROJ_ROOT,
                          env={**os.environ, **(env or {})}, capture_output=True, text=True, timeout=900)


def test_clean_repository_verifies(tmp_path):
    before = sorted(p.name for p in (PROJ_ROOT / "outputs").iterdir()) if (PROJ_ROOT / "outputs").exists() else []
    proc = _verify(tmp_path)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    rows = json.loads((tmp_path / "report" / "verification.json").read_text())["rows"]
    assert rows and all(r["status"] in ("ok", "source-inconsistent") for r in rows)
    assert any(r["status"] == "source-inconsistent" for r in rows), "errata-explained values must show as such"
    assert (tmp_path / "report" / "verification.md").read_text().startswith("**")
    after = sorted(p.name for p in (PROJ_ROOT / "outputs").iterdir()) if (PROJ_ROOT / "outputs").exists() else []
    assert before == after, "verify must not touch outputs/"


def test_a_changed_cited_value_names_the_findings_that_depend_on_it(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns(".validated"))
    path = data / "employment.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    hit = [r for r in rows if (r["area"], r["industry_id"], r["year"], r["source"]) == ("horten", "g7", "2005", "Tabell v.3")]
    assert len(hit) == 1 and hit[0]["employed"] == "186"
    hit[0]["employed"] = "196"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    proc = _verify(tmp_path, env={"ANALYSIS_DATA": str(data)})
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
    shutil.copytree(NOTEBOOKS_DIR, nbdir)
    nb = nbformat.read(nbdir / "history.ipynb", as_version=4)
    bad = nbformat.v4.new_code_cell("raise RuntimeError('deliberate failure for the test')")
    nb.cells.insert(3, bad)
    nbformat.write(nb, nbdir / "history.ipynb")
    proc = _verify(tmp_path, env={"ANALYSIS_NOTEBOOKS": str(nbdir)})
    assert proc.returncode == 1
    assert "FAILED notebook history [horten]" in proc.stdout
    assert "RuntimeError: deliberate failure" in proc.stdout and "cell" in proc.stdout


def test_two_fresh_runs_are_byte_identical(tmp_path):
    from analysis.pipeline import Project, run

    outs = []
    for k in (1, 2):
        out = tmp_path / f"run{k}"
        report = run(Project(outputs_dir=out), regions=["horten"], force=True, jobs=2, progress=False)
        assert not report.failed
        outs.append(out / "horten")
    for sub in ("findings", "tables", "figures"):
        a, b = outs[0] / sub, outs[1] / sub
        names = sorted(p.name for p in a.iterdir())
        assert names == sorted(p.name for p in b.iterdir()) and names
        _match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
        assert not mismatch and not errors, f"{sub} differ: {mismatch}"
    assert filecmp.cmp(outs[0] / "findings.json", outs[1] / "findings.json", shallow=False)
