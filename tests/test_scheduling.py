"""In which order a run runs its pairs, and what keys them: no notebook is executed.

The engine that would start workers and kernels is replaced by one that records the batches it is
given, so the plan, the keys and the order are what is tested, in the fast tier.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from analysis.errors import InputError
from analysis.pipeline import read_notebook, run, runner

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from pipeline_project import NOTEBOOKS, make_project


def _with_census(tmp_path: Path, reads=False) -> Path:
    """The fixture notebooks plus census.ipynb: a cross-region notebook that says it reads no region findings."""
    notebooks = tmp_path / "notebooks"
    shutil.copytree(NOTEBOOKS, notebooks)
    nb = json.loads((notebooks / "summary.ipynb").read_text())
    nb["metadata"]["analysis"].update(title="Census", reads_region_findings=reads)
    (notebooks / "census.ipynb").write_text(json.dumps(nb))
    return notebooks


class _Recorder:
    """Stands in for the run's engine: records each batch of pairs (label, key) and reports them as run."""

    batches: list[list[tuple[str, str]]] = []

    def __init__(self, *args):
        self.kernel = "none"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def run(self, pairs, force, results, progress, timeout):
        if pairs:
            _Recorder.batches.append([(p.label, p.key) for p in pairs])
        results += [{"notebook": p.notebook.name, "region": p.region, "status": "ran", "seconds": 0.0,
                     "cell_seconds": 0.0, "error": None, "output": ""} for p in pairs]


@pytest.fixture
def recorded(monkeypatch):
    _Recorder.batches = []
    monkeypatch.setattr(runner, "_Engine", _Recorder)
    return _Recorder.batches


def test_a_cross_region_notebook_that_reads_only_data_runs_first_beside_the_region_notebooks(tmp_path, recorded):
    project = make_project(tmp_path, notebooks_dir=_with_census(tmp_path))
    report = run(project, progress=False)
    # census first (it reads only data), then the region pairs; summary (reads their findings) after them
    assert [[label for label, _ in batch] for batch in recorded] == [
        ["census[cross-region]", "probe[alpha]", "probe[beta]"], ["summary[cross-region]"]]
    # the summary table lists them in reading order, not in the order they ran
    assert [(r["notebook"], r["region"]) for r in report.results] == [
        ("probe", "alpha"), ("probe", "beta"), ("census", "cross-region"), ("summary", "cross-region")]


def test_only_a_notebook_that_reads_the_region_findings_is_keyed_by_them(tmp_path, recorded):
    project = make_project(tmp_path, notebooks_dir=_with_census(tmp_path))
    run(project, force=True, progress=False)
    findings = Path(project.outputs_dir) / "alpha" / "findings.json"
    findings.parent.mkdir(parents=True, exist_ok=True)
    findings.write_text(json.dumps([{"id": "total", "value": 1}]))  # what alpha's notebook would have found
    run(project, force=True, progress=False)
    keys = [dict(batch) for batch in recorded]
    assert keys[0]["census[cross-region]"] == keys[2]["census[cross-region]"]
    assert keys[1]["summary[cross-region]"] != keys[3]["summary[cross-region]"]


def test_reads_region_findings_defaults_to_true_and_must_be_a_boolean(tmp_path):
    notebooks = _with_census(tmp_path)
    assert read_notebook(notebooks / "summary.ipynb").reads_region_findings is True
    assert read_notebook(notebooks / "census.ipynb").reads_region_findings is False
    nb = json.loads((notebooks / "census.ipynb").read_text())
    nb["metadata"]["analysis"]["reads_region_findings"] = "no"
    (notebooks / "census.ipynb").write_text(json.dumps(nb))
    with pytest.raises(InputError, match=r"census.ipynb: metadata analysis.reads_region_findings is 'no'; expected true or false"):
        read_notebook(notebooks / "census.ipynb")


def test_the_project_notebooks_that_read_no_region_findings_say_so_truly():
    """A cross-region notebook declared as reading only data must not open the region notebooks' outputs:
    it would run before they are written and its key would not change with them."""
    import re

    from analysis.pipeline import discover_notebooks

    root = Path(__file__).resolve().parents[1]
    for nb in discover_notebooks(root / "notebooks").values():
        if nb.scope != "cross-region" or nb.reads_region_findings:
            continue
        module = root / "analysis" / "sections" / f"{nb.name.replace('-', '_')}.py"
        code = "".join("".join(c["source"]) for c in json.loads(nb.path.read_text())["cells"])
        for text, where in ((module.read_text() if module.exists() else "", module.name), (code, nb.path.name)):
            assert not re.search(r"findings\.json|read_findings|outputs_dir\(\)", text), where
