"""The researcher's loop: a notebook run by hand never passes for the pipeline's result.

A pair is reused only while its files are as it published them (their sizes and sha256
in the cache record); a notebook refuses a parameter it does not take, in the pipeline
and in a plain papermill run. The tests marked ``notebooks`` run papermill for real.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from analysis import pipeline
from analysis.pipeline.cache import output_notebook
from analysis.pipeline.publish import publish

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from pipeline_project import make_project  # noqa: E402

ARTEFACTS = ["figures/probe--trend.png", "findings/probe.json", "tables/probe--values.csv"]


def _published(tmp_path: Path) -> tuple[Path, pipeline.Pair]:
    """One pair published as a worker publishes it: staged artefacts, then the notebook with its record."""
    outputs = tmp_path / "outputs"
    staging = outputs / pipeline.STAGING / "alpha" / "probe"
    for i, rel in enumerate(ARTEFACTS):
        (staging / rel).parent.mkdir(parents=True, exist_ok=True)
        (staging / rel).write_bytes(f"artefact {i} of alpha\n".encode() * 50)
    notebook = pipeline.Notebook("probe", tmp_path / "probe.ipynb", "region", "Probe", 1,
                                 {"region": "alpha", "output_dir": ""}, "src")
    pair = pipeline.Pair(notebook, "alpha", {"region": "alpha"}, key="k" * 64)
    nb = {"cells": [], "metadata": {"analysis": {"cache": {"key": pair.key, "status": "ok", "artefacts": ARTEFACTS}}},
          "nbformat": 4, "nbformat_minor": 5}
    publish(staging, outputs / "alpha", "probe", nb, list(ARTEFACTS))
    return outputs, pair


def test_publishing_records_size_and_sha256_of_each_artefact(tmp_path):
    outputs, pair = _published(tmp_path)
    record = pipeline.stored_cache(output_notebook(outputs, pair))
    assert sorted(record["digests"]) == sorted(ARTEFACTS)
    for rel, digest in record["digests"].items():
        data = (outputs / "alpha" / rel).read_bytes()
        assert digest == {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    assert pipeline.is_fresh(outputs, pair)


@pytest.mark.parametrize("change", ["same size", "same size, mtime kept", "other size", "extra own file",
                                    "touched only", "copied tree"])
def test_a_file_changed_on_disk_since_publishing_makes_the_pair_stale(tmp_path, change):
    outputs, pair = _published(tmp_path)
    table = outputs / "alpha" / "tables" / "probe--values.csv"
    before = table.stat()
    if change.startswith("same size"):  # what a rerun by hand for another region does to a table
        table.write_text(table.read_text().replace("alpha", "gamma"))
        if change.endswith("mtime kept"):  # cp -p or rsync -t from another run's outputs
            os.utime(table, ns=(before.st_atime_ns, before.st_mtime_ns))
    elif change == "other size":
        table.write_text("region,value\ngamma,1\n")
    elif change == "extra own file":  # a figure another run of this notebook made
        (outputs / "alpha" / "figures" / "probe--other.png").write_bytes(b"png")
    elif change == "touched only":  # same bytes, newer mtime
        os.utime(table, ns=(before.st_atime_ns, before.st_mtime_ns + 10**9))
    else:  # cp -r: every mtime new, every byte the same
        shutil.copytree(outputs, tmp_path / "copy")
        outputs = tmp_path / "copy"
    assert table.stat().st_size == before.st_size or change == "other size"
    assert pipeline.is_fresh(outputs, pair) is (change in ("touched only", "copied tree"))


def test_a_record_without_digests_is_not_reused(tmp_path):
    outputs, pair = _published(tmp_path)
    path = output_notebook(outputs, pair)
    nb = json.loads(path.read_text())
    del nb["metadata"]["analysis"]["cache"]["digests"]  # written before the records had them
    path.write_text(json.dumps(nb))
    assert not pipeline.is_fresh(outputs, pair)


@pytest.mark.notebooks
def test_a_cross_region_folder_rewritten_by_hand_is_run_again(tmp_path, monkeypatch):
    """The case of the issue: comparison run by hand for two regions into outputs/cross-region/."""
    import papermill

    project = make_project(tmp_path, regions=("alpha", "beta"))
    outputs = Path(project.outputs_dir)
    pipeline.run(project, jobs=2, progress=False)
    totals = outputs / "cross-region" / "tables" / "summary--totals.csv"
    published = totals.read_bytes()
    monkeypatch.setenv("ANALYSIS_OUTPUTS", str(outputs))
    papermill.execute_notebook(str(project.notebooks_dir / "summary.ipynb"), str(tmp_path / "by-hand.ipynb"),
                               parameters={"regions": ["alpha"], "output_dir": str(outputs / "cross-region")},
                               kernel_name="python3", progress_bar=False, cwd=str(project.notebooks_dir))
    assert totals.read_bytes() != published  # one region's rows now

    again = pipeline.run(project, jobs=2, progress=False)
    assert {(r["notebook"], r["status"]) for r in again.results} == {("probe", "reused"), ("summary", "ran")}
    assert totals.read_bytes() == published


# --------------------------------------------------------------------------- parameters the notebook does not take

PARAMETERS_CELL = '# Parameters: papermill injects the values of a run after this cell.\nregions = []\noutput_dir = ""\n'


@pytest.mark.parametrize("injected, refused", [
    ('# Parameters\nregions = ["horten"]\noutput_dir = "x"\n', None),
    ('# Parameters\nPAPERMILL_INPUT_PATH = "in.ipynb"\nregions = []\n', None),  # papermill --inject-paths
    ('# Parameters\nregion = "horten"\n', "unknown parameter 'region' (did you mean 'regions'?); "
                                         "this notebook takes: regions, output_dir"),
    ('# Parameters\nregions = []\ncolour = "red"\n', "unknown parameter 'colour'; this notebook takes: regions, output_dir"),
])
def test_a_notebook_refuses_an_injected_parameter_it_does_not_take(injected, refused):
    from analysis.errors import InputError
    from analysis.sections.base import check_parameters

    history = ["", PARAMETERS_CELL, injected, "from analysis.sections import base\nbase.check_parameters()"]
    if refused is None:
        check_parameters(history)
    else:
        with pytest.raises(InputError) as info:
            check_parameters(history)
        assert str(info.value) == refused


def test_a_notebook_run_by_hand_has_nothing_to_check():
    from analysis.sections.base import check_parameters

    check_parameters(["", PARAMETERS_CELL, "region = 'horten'  # typed by hand, not injected", "x = 1"])
    check_parameters([])  # outside a kernel: no history


@pytest.mark.parametrize("given, regions", [
    (["horten", "halden"], ["horten", "halden"]),
    ('["horten","halden"]', ["horten", "halden"]),  # papermill -p regions '["horten","halden"]' passes text
    ("['horten', 'halden']", ["horten", "halden"]),
    ("horten, halden", ["horten", "halden"]),
    ("horten", ["horten"]),
])
def test_the_regions_parameter_may_come_as_text(given, regions):
    from analysis.sections.base import study_regions

    assert study_regions(given) == regions


@pytest.mark.parametrize("given", ["[1, 2]", 3, "[horten"])
def test_regions_that_are_not_a_list_of_ids_are_refused(given):
    from analysis.errors import InputError
    from analysis.sections.base import study_regions

    with pytest.raises(InputError, match="regions must be a list of region ids"):
        study_regions(given)


def test_every_notebook_checks_its_parameters_first_and_writes_apart_by_default():
    """The first code cell after the parameters refuses unknown parameters; the parameters cell says where
    a run by hand writes (output_dir = "" means outputs/interactive/...)."""
    for nb in pipeline.discover_notebooks().values():
        cells = [c for c in json.loads(nb.path.read_text(encoding="utf-8"))["cells"] if c["cell_type"] == "code"]
        params, first = ("".join(c["source"]) for c in cells[:2])
        assert nb.parameters["output_dir"] == "", nb.name
        assert "outputs/interactive/" in params, nb.name
        assert "base.check_parameters()" in first.splitlines()[2], nb.name
        assert all(not c["outputs"] and c["execution_count"] is None for c in cells), nb.name


def test_the_pipeline_reads_the_parameters_papermill_infers():
    """The planner's own reading of the parameters cells (json + ast: importing papermill takes seconds) agrees
    with papermill's inspect_notebook for every notebook."""
    import papermill

    for nb in pipeline.discover_notebooks().values():
        assert set(papermill.inspect_notebook(str(nb.path))) == set(nb.parameters), nb.name


@pytest.mark.notebooks
def test_plain_papermill_with_a_region_on_a_cross_region_notebook_fails_at_its_first_code_cell(tmp_path):
    env = {**os.environ, "ANALYSIS_OUTPUTS": str(tmp_path / "outputs"),
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)}
    out = tmp_path / "comparison.ipynb"
    done = subprocess.run([sys.executable, "-m", "papermill", str(ROOT / "notebooks" / "comparison.ipynb"), str(out),
                           "-p", "region", "horten", "-k", "python3"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300, check=False)
    assert done.returncode != 0
    assert "unknown parameter 'region' (did you mean 'regions'?); this notebook takes: regions, output_dir" in done.stderr
    cells = [c for c in json.loads(out.read_text())["cells"] if c["cell_type"] == "code"]
    failed = [i for i, c in enumerate(cells) if any(o.get("output_type") == "error" for o in c["outputs"])]
    assert failed == [2]  # parameters, injected parameters, then the first code cell
    assert not (tmp_path / "outputs").exists() or not any((tmp_path / "outputs").rglob("*.png"))


@pytest.mark.parametrize("region_id", ["interactive", "cross-region", "html", "verification"])
def test_a_region_may_not_take_the_name_of_a_folder_of_outputs(region_id, tmp_path):
    """A region called `interactive` would put the pipeline's results where notebooks run by hand write."""
    from analysis.data.newregion import OUTPUT_FOLDERS, add_region
    from analysis.errors import RegistryError
    from analysis.sections.base import INTERACTIVE

    assert {pipeline.CROSS_REGION, INTERACTIVE} <= set(OUTPUT_FOLDERS)
    with pytest.raises(RegistryError, match=f"'{region_id}' is the name of a folder of outputs/"):
        add_region(region_id, "A name", ["3901"], data_dir=tmp_path)
    assert not any(tmp_path.iterdir())
