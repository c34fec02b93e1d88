"""The notebook pipeline, with real papermill runs of the fixture notebooks.

tests/fixtures/notebooks/probe.ipynb (a region notebook: imports the heavy libraries,
one seaborn figure, tables, findings; parameters delay/fail_region/version) runs for
two fixture regions, then summary.ipynb (cross-region). Nothing here reads data/ or
writes outputs/; every run is in a tmp_path.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from analysis import pipeline
from analysis.errors import InputError
from analysis.pipeline import Project, run

sys.path.insert(0, str(Path(__file__).parent / "fixtures"))
from pipeline_project import REGIONS, make_project

pytestmark = pytest.mark.notebooks
ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


def _tree(outputs: Path) -> dict[str, bytes]:
    """Every output file except the lock, by path relative to outputs."""
    return {p.relative_to(outputs).as_posix(): p.read_bytes() for p in sorted(outputs.rglob("*"))
            if p.is_file() and p.name != ".run.lock"}


def _cache(outputs: Path, region: str, name: str = "probe") -> dict:
    return pipeline.stored_cache(outputs / region / f"{name}.ipynb")


def _statuses(report) -> dict[tuple[str, str], str]:
    return {(r["notebook"], r["region"]): r["status"] for r in report.results}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    """One cold run of probe x (alpha, beta) + summary, shared by the read-only tests."""
    work = tmp_path_factory.mktemp("first")
    project = make_project(work)
    report = run(project, jobs=2, progress=False)
    return project, report


# --------------------------------------------------------------------------- real runs


def test_cold_run_executes_every_pair_and_publishes_artefacts(first_run):
    project, report = first_run
    out = Path(project.outputs_dir)
    assert _statuses(report) == {("probe", "alpha"): "ran", ("probe", "beta"): "ran", ("summary", "cross-region"): "ran"}
    assert not report.failed
    for r in report.results:  # the notebook's own cells, timed by papermill, within the pair's wall time
        assert 0 < r["cell_seconds"] < r["seconds"], r
    for region in REGIONS:
        for rel in ("probe.ipynb", "figures/probe--trend.png", "figures/probe--trend.svg", "tables/probe--values.csv",
                    "tables/probe--large.csv", "findings/probe.json"):
            assert (out / region / rel).is_file(), (region, rel)
        merged = json.loads((out / region / "findings.json").read_text())
        assert merged == json.loads((out / region / "findings" / "probe.json").read_text())
        assert merged[0]["region"] == region
        record = _cache(out, region)
        assert record["status"] == "ok" and len(record["key"]) == 64
        assert sorted(record["artefacts"]) == sorted(
            ["figures/probe--trend.png", "figures/probe--trend.svg", "findings/probe.json", "tables/probe--large.csv",
             "tables/probe--values.csv"])
    # the cross-region notebook ran after both regions: it read both merged findings
    totals = (out / "cross-region" / "tables" / "summary--totals.csv").read_text().splitlines()
    assert len(totals) == 1 + len(REGIONS)
    assert not (out / pipeline.STAGING).exists()


def test_stored_notebook_keeps_kernelspec_and_drops_timings(first_run):
    project, _ = first_run
    nb = json.loads((Path(project.outputs_dir) / "alpha" / "probe.ipynb").read_text())
    assert nb["metadata"]["kernelspec"]["name"] == "tech-towns"
    assert nb["metadata"]["papermill"]["start_time"] is None
    assert nb["metadata"]["papermill"]["input_path"] == "notebooks/probe.ipynb"
    injected = [c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", [])]
    assert len(injected) == 1 and 'region = "alpha"' in "".join(injected[0]["source"])
    for cell in nb["cells"]:
        assert "execution" not in cell["metadata"]
        assert cell["metadata"].get("papermill", {}).get("duration") is None
    # figures are shown as images, not as "<Figure ...>" text
    kinds = [list(o.get("data", {})) for c in nb["cells"] for o in c.get("outputs", [])]
    assert any("image/png" in k for k in kinds)


# --------------------------------------------------------------------------- cache


def test_cache_hit_miss_and_force(tmp_path):
    project = make_project(tmp_path)
    out = Path(project.outputs_dir)
    run(project, jobs=2, progress=False)
    before = _tree(out)

    warm = run(project, jobs=2, progress=False)
    assert set(_statuses(warm).values()) == {"reused"}
    assert warm.kernel == "none"  # nothing started: no pool, no template
    assert _tree(out) == before

    # one region's rows change: that region and the cross-region notebook rerun
    csv = tmp_path / "data" / "values.csv"
    csv.write_text(csv.read_text().replace("beta,2001,4.0", "beta,2001,4.5"))
    changed = run(project, jobs=2, progress=False)
    assert _statuses(changed) == {("probe", "alpha"): "reused", ("probe", "beta"): "ran",
                                  ("summary", "cross-region"): "ran"}

    # a parameter is part of the key
    param = run(project, jobs=2, progress=False, regions=["alpha"], parameters=["version=2"])
    assert _statuses(param) == {("probe", "alpha"): "ran"}
    assert json.loads((out / "alpha" / "findings.json").read_text())[0]["version"] == 2

    forced = run(project, jobs=2, progress=False, force=True)
    assert set(_statuses(forced).values()) == {"ran"}


def test_stale_partial_or_failed_outputs_are_not_reused(tmp_path):
    project = make_project(tmp_path, regions=("alpha",))
    out = Path(project.outputs_dir)
    plan = pipeline.plan(project, notebooks=["probe"])
    run(project, jobs=1, progress=False, notebooks=["probe"])
    pair = plan.region_pairs[0]
    pair.key = _cache(out, "alpha")["key"]
    assert pipeline.is_fresh(out, pair)

    marker = out / "alpha" / ".probe.ipynb.pending"  # a run died while moving files
    marker.touch()
    assert not pipeline.is_fresh(out, pair)
    marker.unlink()

    (out / "alpha" / "figures" / "probe--trend.svg").unlink()  # an artefact is gone
    assert not pipeline.is_fresh(out, pair)
    again = run(project, jobs=1, progress=False, notebooks=["probe"])
    assert _statuses(again) == {("probe", "alpha"): "ran"}
    assert (out / "alpha" / "figures" / "probe--trend.svg").is_file()

    nb_path = out / "alpha" / "probe.ipynb"
    nb_path.write_text(nb_path.read_text()[:500])  # a truncated notebook
    assert not pipeline.is_fresh(out, pair)

    other = pipeline.Pair(pair.notebook, "alpha", pair.parameters, key="0" * 64)  # stale key
    run(project, jobs=1, progress=False, notebooks=["probe"])
    assert not pipeline.is_fresh(out, other)


def test_cache_key_covers_each_input():
    nb = pipeline.Notebook("probe", Path("probe.ipynb"), "region", "Probe", 1, {"region": "a"}, "src")
    pair = pipeline.Pair(nb, "alpha", {"region": "alpha"})
    versions = {"python": "3.11", "pandas": "2"}
    base = pipeline.cache_key(pair, "data", "code", versions)
    assert base == pipeline.cache_key(pair, "data", "code", dict(versions))
    variants = [
        pipeline.cache_key(pipeline.Pair(nb, "alpha", {"region": "alpha", "version": 2}), "data", "code", versions),
        pipeline.cache_key(pipeline.Pair(pipeline.Notebook("probe", Path("p"), "region", "P", 1, {}, "src2"), "alpha",
                                         {"region": "alpha"}), "data", "code", versions),
        pipeline.cache_key(pair, "data2", "code", versions),
        pipeline.cache_key(pair, "data", "code2", versions),
        pipeline.cache_key(pair, "data", "code", {**versions, "pandas": "3"}),
    ]
    assert len({base, *variants}) == 1 + len(variants)


def test_a_change_to_the_analysis_package_invalidates_every_pair(tmp_path):
    project = make_project(tmp_path, regions=("alpha",))
    run(project, jobs=1, progress=False, notebooks=["probe"])
    source = Path(project.source_dir)
    for changed in ("indicators.py", "data/package.py"):  # a module, and a module of a subpackage
        before = pipeline.source_fingerprint(source)
        (source / changed).write_text((source / changed).read_text() + "\n# changed\n")
        assert pipeline.source_fingerprint(source) != before, changed
        again = run(project, jobs=1, progress=False, notebooks=["probe"])
        assert _statuses(again) == {("probe", "alpha"): "ran"}, changed
    (source / "__pycache__").mkdir(exist_ok=True)
    before = pipeline.source_fingerprint(source)
    (source / "__pycache__" / "stale.py").write_text("# not source")
    assert pipeline.source_fingerprint(source) == before, "compiled caches are not source"


def test_merge_findings_concatenates_and_rewrites_only_on_change(tmp_path):
    (tmp_path / "findings").mkdir()
    (tmp_path / "findings" / "a.json").write_text(json.dumps([{"id": 1}]))
    (tmp_path / "findings" / "b.json").write_text(json.dumps([{"id": 2}, {"id": 3}]))
    pipeline.merge_findings(tmp_path)
    merged = tmp_path / "findings.json"
    assert json.loads(merged.read_text()) == [{"id": 1}, {"id": 2}, {"id": 3}]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    # unchanged parts: the file is not replaced (a new file would have a new inode)
    inode = merged.stat().st_ino
    pipeline.merge_findings(tmp_path)
    assert merged.stat().st_ino == inode
    # a changed part: replaced by a new file, atomically
    (tmp_path / "findings" / "b.json").write_text(json.dumps([{"id": 4}]))
    pipeline.merge_findings(tmp_path)
    assert json.loads(merged.read_text()) == [{"id": 1}, {"id": 4}]
    assert merged.stat().st_ino != inode


# --------------------------------------------------------------------------- failures


def test_a_failing_notebook_is_kept_and_the_others_still_run(tmp_path):
    project = make_project(tmp_path)
    out = Path(project.outputs_dir)
    report = run(project, jobs=2, progress=False, parameters=["fail_region='alpha'"])
    assert _statuses(report) == {("probe", "alpha"): "failed", ("probe", "beta"): "ran",
                                 ("summary", "cross-region"): "ran"}
    failed = report.failed[0]
    assert "RuntimeError" in failed["error"] and "fails on purpose" in failed["error"]
    assert "FAILED probe [alpha]" in report.table()
    record = _cache(out, "alpha")
    assert record["status"] == "failed" and "RuntimeError" in record["error"]
    nb = json.loads((out / "alpha" / "probe.ipynb").read_text())
    errors = [o for c in nb["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert errors and errors[0]["ename"] == "RuntimeError"
    # never reused: the next run tries again
    again = run(project, jobs=2, progress=False, parameters=["fail_region='alpha'"])
    assert _statuses(again)[("probe", "alpha")] == "failed"
    assert _statuses(again)[("probe", "beta")] == "reused"


def test_cli_exit_status_is_1_when_a_pair_fails(tmp_path):
    shutil.copytree(ROOT / "tests" / "fixtures" / "data", tmp_path / "data")
    done = subprocess.run([PYTHON, str(ROOT / "tests" / "fixtures" / "pipeline_project.py"), str(tmp_path), "--region",
                           "alpha", "-p", "fail_region='alpha'"], check=False, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    assert "FAILED probe [alpha]" in done.stdout


# --------------------------------------------------------------------------- atomic writes


def test_sigkill_mid_run_leaves_old_or_new_files_and_the_next_run_completes(tmp_path):
    regions = ("alpha", "beta", "gamma")
    project = make_project(tmp_path, regions=regions)
    out = Path(project.outputs_dir)
    run(project, jobs=2, progress=False, parameters=["version=1"])
    old = _tree(out)
    script = ROOT / "tests" / "fixtures" / "pipeline_project.py"
    args = [PYTHON, str(script), str(tmp_path), "--jobs", "2", "-p", "version=2", "-p", "delay=1.5"]
    for r in regions:
        args += ["--region", r]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    # kill while pairs are being published: after the first new notebook lands
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if any((_cache(out, r) or {}).get("key") != (json.loads(old[f"{r}/probe.ipynb"])["metadata"]["analysis"]
                                                     ["cache"]["key"]) for r in regions):
            break
        time.sleep(0.02)
    else:
        pytest.fail("the run published nothing in 120 s")
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(1.0)  # workers and kernels die with their parent (PR_SET_PDEATHSIG)
    new_keys = set()
    for rel, data in _tree(out).items():
        if rel.startswith(pipeline.STAGING) or rel.endswith(".pending"):
            continue
        assert not Path(rel).name.endswith(".tmp"), rel
        if rel in old and data == old[rel]:
            continue
        # a new file must be complete
        if rel.endswith(".ipynb"):
            record = json.loads(data)["metadata"]["analysis"]["cache"]
            assert record["status"] == "ok"
            new_keys.add(record["key"])
        elif rel.endswith("probe--large.csv"):
            assert data.endswith(b"END\n") and data.count(b"\n") == 20001
        elif rel.endswith(".json"):
            json.loads(data)
    assert new_keys, "the kill came before any new output was published"
    assert len(new_keys) < len(regions) + 1, "the kill came after the run finished"
    done = subprocess.run(args, check=False, capture_output=True, text=True, timeout=300)  # same inputs: finished pairs are reused
    assert done.returncode == 0, done.stdout + done.stderr
    for r in regions:
        assert _cache(out, r)["status"] == "ok"
        assert json.loads((out / r / "findings.json").read_text())[0]["version"] == 2
        assert (out / r / "tables" / "probe--large.csv").read_text().splitlines()[0] == f"{r},2,0"
    assert not list(out.rglob("*.pending")) and not (out / pipeline.STAGING).exists()


# --------------------------------------------------------------------------- concurrency


def _tiny_notebooks(folder: Path, n: int) -> None:
    import nbformat

    folder.mkdir()
    for i in range(n):
        nb = nbformat.v4.new_notebook()
        nb.metadata = {"kernelspec": {"name": "tech-towns", "display_name": "Python (tech-towns)", "language": "python"},
                       "analysis": {"scope": "region", "title": f"Tiny {i}", "order": i}}
        nb.cells = [nbformat.v4.new_code_cell('region = "x"\noutput_dir = ""', metadata={"tags": ["parameters"]}),
                    nbformat.v4.new_code_cell(f"print(region, {i})")]
        for j, c in enumerate(nb.cells):
            c["id"] = f"c{j}"
        nbformat.write(nb, folder / f"tiny-{i:02d}.ipynb")


@pytest.mark.parametrize("fork", [True, False], ids=["fork", "stock"])
def test_concurrent_kernel_starts_do_not_race(tmp_path, fork):
    """papermill #239: kernels started at the same moment must not collide (ports, files)."""
    _tiny_notebooks(tmp_path / "nbs", 8 if fork else 4)
    regions = ("r-a", "r-b", "r-c")
    project = make_project(tmp_path, regions=regions, notebooks_dir=tmp_path / "nbs")
    rounds = 3 if fork else 2
    for _ in range(rounds):
        report = run(project, jobs=4, force=True, progress=False, fork=fork)
        assert report.failed == [], report.table()
        assert report.count("ran") == len(regions) * (8 if fork else 4)
    for r in regions:
        nb = json.loads((Path(project.outputs_dir) / r / "tiny-03.ipynb").read_text())
        assert "".join(nb["cells"][-1]["outputs"][0]["text"]) == f"{r} 3\n"


def test_fork_and_stock_kernels_give_identical_outputs(tmp_path):
    trees = {}
    for fork in (True, False):
        work = tmp_path / ("fork" if fork else "stock")
        project = make_project(work)
        report = run(project, jobs=2, progress=False, fork=fork)
        assert not report.failed and report.kernel == ("fork" if fork else "stock")
        trees[fork] = _tree(Path(project.outputs_dir))
    assert trees[True].keys() == trees[False].keys()
    differ = [k for k in trees[True] if trees[True][k] != trees[False][k]]
    assert differ == []


def test_forked_kernels_have_what_a_kernels_own_imports_set_in_its_environment(tmp_path):
    """A stock kernel's start-up imports debugpy, which sets PYDEVD_USE_FRAME_EVAL; the template imports it
    before forking, and each child, whose environment is the launcher's, sets it again."""
    import nbformat

    folder = tmp_path / "nbs"
    _tiny_notebooks(folder, 1)
    nb = nbformat.read(folder / "tiny-00.ipynb", as_version=4)
    nb.cells[-1].source = 'import os\nprint(os.environ.get("PYDEVD_USE_FRAME_EVAL"))'
    nbformat.write(nb, folder / "tiny-00.ipynb")
    printed = {}
    for fork in (True, False):
        project = make_project(tmp_path / str(fork), regions=("r-a",), notebooks_dir=folder)
        report = run(project, jobs=1, progress=False, fork=fork)
        assert not report.failed and report.kernel == ("fork" if fork else "stock")
        out = json.loads((Path(project.outputs_dir) / "r-a" / "tiny-00.ipynb").read_text())
        printed[fork] = "".join(out["cells"][-1]["outputs"][0]["text"])
    assert printed[True] == printed[False] == "NO\n"


def test_dask_local_cluster_gives_the_same_outputs(tmp_path):
    distributed = pytest.importorskip("distributed")
    trees = {}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=":0") as cluster:
        # None: the process pool; "local": a LocalCluster of the run's own; an address: an existing cluster
        for name, scheduler in (("pool", None), ("local", "local"), ("address", cluster.scheduler_address)):
            project = make_project(tmp_path / name)
            report = run(project, jobs=2, progress=False, scheduler=scheduler)
            assert not report.failed, report.table()
            trees[name] = _tree(Path(project.outputs_dir))
    for name in ("local", "address"):
        assert trees[name].keys() == trees["pool"].keys()
        assert [k for k in trees["pool"] if trees["pool"][k] != trees[name][k]] == []


# --------------------------------------------------------------------------- bad input


@pytest.fixture(scope="module")
def one_good_run(tmp_path_factory):
    """A project with one good run, shared by the bad-input tests (they must not change it)."""
    project = make_project(tmp_path_factory.mktemp("untouched"), regions=("alpha",))
    run(project, jobs=1, progress=False, notebooks=["probe"])
    return project


@pytest.fixture
def untouched(one_good_run):
    """The project of one good run; asserts that the test changed none of its outputs."""
    before = _tree(Path(one_good_run.outputs_dir))
    yield one_good_run
    assert _tree(Path(one_good_run.outputs_dir)) == before


@pytest.mark.parametrize("kwargs, message", [
    ({"regions": ["nowhere"]}, "unknown region 'nowhere'; valid regions: alpha"),
    ({"notebooks": ["nothing"]}, "unknown notebook 'nothing'; valid notebooks: probe, summary"),
    ({"regions": ["../x"]}, "region id '../x' is not a plain slug"),
    ({"regions": [""]}, "region id '' is not a plain slug"),
    ({"regions": ["two words"]}, "region id 'two words' is not a plain slug"),
    ({"notebooks": ["../probe"]}, "notebook name '../probe' is not a plain slug"),
    ({"parameters": ["version"]}, "malformed parameter 'version'"),
    ({"parameters": ["=3"]}, "malformed parameter '=3'"),
    ({"parameters": ["1x=3"]}, "malformed parameter '1x=3'"),
    ({"parameters": ["colour=red"]}, "unknown parameter 'colour'"),
    ({"parameters": ["region=beta"]}, "parameter 'region' is set by the pipeline"),
    ({"jobs": 0}, "--jobs must be at least 1"),
])
def test_bad_input_is_refused_before_anything_runs(untouched, kwargs, message):
    with pytest.raises(InputError) as info:
        run(untouched, progress=False, force=True, **{"jobs": 1, **kwargs})
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_notebook_without_parameters_cell_is_refused(untouched):
    nb = json.loads((Path(untouched.notebooks_dir) / "probe.ipynb").read_text())
    for cell in nb["cells"]:
        cell["metadata"].pop("tags", None)
    (Path(untouched.notebooks_dir) / "broken.ipynb").write_text(json.dumps(nb))
    try:
        with pytest.raises(InputError, match="broken.ipynb: no cell is tagged 'parameters'"):
            run(untouched, progress=False, force=True, notebooks=["probe"])
    finally:
        (Path(untouched.notebooks_dir) / "broken.ipynb").unlink()


def test_missing_data_file_is_refused(untouched):
    data = Path(untouched.notebooks_dir).parent / "data" / "values.csv"
    data.rename(data.with_suffix(".bak"))
    try:
        with pytest.raises(InputError, match=r"data/values.csv: file is missing"):
            run(untouched, progress=False, force=True)
    finally:
        data.with_suffix(".bak").rename(data)


@pytest.mark.parametrize("args, message", [
    (["--region", "../x"], "is not a plain slug"),
    (["--region", "nowhere"], "region"),
    (["--notebook", "nothing"], "unknown notebook 'nothing'; valid notebooks: probe, summary"),
    (["-p", "novalue"], "malformed parameter"),
])
def test_cli_bad_input_is_one_line_and_exit_status_2(tmp_path, args, message):
    notebooks = ROOT / "tests" / "fixtures" / "notebooks"
    done = subprocess.run([PYTHON, "-m", "analysis", "run", "--notebooks-dir", str(notebooks),
                           "--outputs-dir", str(tmp_path / "outputs"), *args],
                          check=False, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and message in done.stderr
    assert not (tmp_path / "outputs").exists()


def test_cli_list_shows_regions_and_notebooks():
    notebooks = ROOT / "tests" / "fixtures" / "notebooks"
    done = subprocess.run([PYTHON, "-m", "analysis", "list", "--notebooks-dir", str(notebooks)],
                          check=False, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # every registered region, once, with its role and name
    from analysis.data.regions import all_regions

    roles = {"case-study": "case", "short-example": "short-example", "reference": "reference"}
    for r in all_regions():
        row = [line for line in lines if line.split()[:1] == [r.region_id]]
        assert len(row) == 1, r.region_id
        assert row[0].split()[1] == roles[r.presentation] and row[0].endswith(r.name)
    # the notebooks of that folder, in their metadata order, with their scope
    listed = [line.split()[1:3] for line in lines[lines.index("Notebooks") + 1:]]
    assert listed == [["probe", "region"], ["summary", "cross-region"]]


def test_parse_parameter_reads_literals_and_strings():
    assert pipeline.parse_parameter("version=2") == ("version", 2)
    assert pipeline.parse_parameter("regions=['a', 'b']") == ("regions", ["a", "b"])
    assert pipeline.parse_parameter("label=plain text") == ("label", "plain text")
    assert pipeline.parse_parameter("empty=") == ("empty", "")


def test_project_needs_no_data_folder(tmp_path):
    project = Project(notebooks_dir=ROOT / "tests" / "fixtures" / "notebooks", outputs_dir=tmp_path / "o",
                      regions={"alpha": ()}, fingerprint=lambda ids: "fp", validate=list)
    plan = pipeline.plan(project)
    assert [p.label for p in plan.region_pairs + plan.cross_pairs] == ["probe[alpha]", "summary[cross-region]"]


def test_a_run_that_ran_something_prunes_the_figure_cache(tmp_path, monkeypatch):
    from analysis import config

    project = make_project(tmp_path)
    cache = tmp_path / "figure-cache"
    monkeypatch.setenv("ANALYSIS_RENDERED", str(cache))
    (cache / "figures" / "ab").mkdir(parents=True)
    old = cache / "figures" / "ab" / "old.png"
    old.write_bytes(b"x" * 1000)
    os.utime(old, (1_000_000, 1_000_000))  # used long ago
    monkeypatch.setattr(config, "RENDERED_BYTES", 10)
    run(project, regions=["alpha"], notebooks=["probe"], jobs=1, progress=False)
    assert not old.exists()
