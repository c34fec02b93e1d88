"""Faults a user can cause or meet: links planted in outputs/, a full disk, a read-only folder, a
mistyped scheduler, a registry in another encoding, a notebook that hangs or prints without end,
Ctrl-C, what killed runs leave behind, flags that are wrong when nothing would run; and progress.

Each is refused in one line (exit status 2 from the command line) with nothing already written
lost or half-written. Most tests stand a fake executor in for the process pool, so no kernel
starts; the few that need a real run are marked ``notebooks``.
"""

from __future__ import annotations

import errno
import io
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from analysis import cli, files
from analysis.errors import DataError, InputError, WriteError
from analysis.pipeline import Project, run, write_environment
from analysis.pipeline import executors, runner, worker
from analysis.progress import Progress

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_NOTEBOOKS = ROOT / "tests" / "fixtures" / "notebooks"
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
from pipeline_project import make_project  # noqa: E402


def _project(tmp_path: Path, regions=("alpha", "beta")) -> Project:
    return Project(notebooks_dir=FIXTURE_NOTEBOOKS, outputs_dir=tmp_path / "outputs", regions={r: () for r in regions},
                   fingerprint=lambda ids: "fp", validate=list)


class FakeExecutor:
    """The process pool without processes: every pair 'runs' at once; ``result`` adds to its result."""

    instances: list[FakeExecutor] = []
    result: dict = {}

    def __init__(self, jobs):
        self.closed_now = None
        FakeExecutor.instances.append(self)

    def map_unordered(self, tasks):
        for t in tasks:
            yield {"notebook": t["notebook"], "region": t["region"], "status": "ran", "seconds": 0.5,
                   "cell_seconds": 0.1, "error": None, "output": "", **FakeExecutor.result}

    def close(self, now=False):
        self.closed_now = now


@pytest.fixture
def fake_pool(monkeypatch):
    FakeExecutor.instances, FakeExecutor.result = [], {}
    monkeypatch.setattr(executors, "LocalExecutor", FakeExecutor)
    return FakeExecutor


@pytest.fixture
def all_fresh(monkeypatch, fake_pool):
    """Every pair's stored output is current: a run has nothing to execute."""
    monkeypatch.setattr(runner, "is_fresh", lambda outputs, pair: True)
    return fake_pool


def _one_line_error(capsys, code: int) -> str:
    out, err = capsys.readouterr()
    assert code == 2, (out, err)
    assert err.startswith("error: ") and err.count("\n") == 1, err
    return err


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# --------------------------------------------------------------------------- 1. no write through a link


def test_a_link_at_the_lock_or_the_environment_file_is_replaced_and_its_target_untouched(tmp_path, fake_pool):
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (outputs / ".run.lock").symlink_to(outside / "lock")  # dangling: following it would create the file
    (outside / "environment.json").write_text("precious")
    (outputs / "environment.json").symlink_to(outside / "environment.json")
    run(_project(tmp_path), jobs=1, fork=False, progress=False)
    write_environment(outputs / "environment.json")
    assert not (outside / "lock").exists()
    assert (outside / "environment.json").read_text() == "precious"
    for name in (".run.lock", "environment.json"):
        assert not (outputs / name).is_symlink() and (outputs / name).is_file()


def test_a_link_at_a_region_folder_is_refused_before_anything_runs(tmp_path, fake_pool, capsys):
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (outputs / "alpha").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(WriteError, match=r"outputs/alpha is a symbolic link"):
        run(_project(tmp_path), jobs=1, fork=False, progress=False)
    assert fake_pool.instances == [] and list((tmp_path / "elsewhere").iterdir()) == []


def test_publishing_never_moves_files_through_a_linked_folder(tmp_path):
    from analysis.pipeline.publish import publish

    staging, final, outside = tmp_path / "staging", tmp_path / "outputs" / "alpha", tmp_path / "outside"
    (staging / "figures").mkdir(parents=True)
    (staging / "figures" / "probe--a.png").write_bytes(b"png")
    final.mkdir(parents=True)
    outside.mkdir()
    (final / "figures").symlink_to(outside, target_is_directory=True)
    with pytest.raises(WriteError, match="is a symbolic link"):
        publish(staging, final, "probe", {"cells": [], "metadata": {}}, ["figures/probe--a.png"])
    assert list(outside.iterdir()) == []


def test_a_pending_marker_planted_as_a_link_is_replaced(tmp_path):
    target = tmp_path / "outside.txt"
    target.write_text("precious")
    marker = tmp_path / ".probe.ipynb.pending"
    marker.symlink_to(target)
    files.touch(marker)
    assert target.read_text() == "precious" and not marker.is_symlink()


def _probe_task(outputs: Path, jupyter_dir: Path) -> dict:
    """The worker's task for the fixture probe notebook in region alpha."""
    return {"notebook": "probe", "input": str(FIXTURE_NOTEBOOKS / "probe.ipynb"), "region": "alpha", "parameters": {},
            "key": "k", "outputs_dir": str(outputs), "cwd": str(FIXTURE_NOTEBOOKS), "jupyter_dir": str(jupyter_dir),
            "env": {}, "timeout": None, "log_dir": None}


def test_a_linked_staging_folder_is_not_emptied_through_the_link(tmp_path, monkeypatch):
    """The worker clears its staging folder first: through a planted link that would delete files elsewhere."""
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))  # the worker sets it; restored after the test
    outputs, outside = tmp_path / "outputs", tmp_path / "outside"
    (outside / "probe").mkdir(parents=True)
    (outside / "probe" / "keep.csv").write_text("precious")
    (outputs / ".staging").mkdir(parents=True)
    (outputs / ".staging" / "alpha").symlink_to(outside, target_is_directory=True)
    result = worker.execute_pair(_probe_task(outputs, tmp_path / "jupyter"))
    assert result["status"] == "failed" and "is a symbolic link" in result["write_error"]
    assert (outside / "probe" / "keep.csv").read_text() == "precious"


def test_the_report_refuses_a_linked_html_folder(tmp_path):
    from analysis.report import build_reports

    outputs = tmp_path / "outputs"
    (outputs / "horten").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), outputs / "horten" / "history.ipynb")
    (tmp_path / "elsewhere").mkdir()
    (outputs / "html").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    with pytest.raises(WriteError, match="outputs/html is a symbolic link"):
        build_reports(outputs_dir=outputs, explorer=False)
    assert list((tmp_path / "elsewhere").iterdir()) == []


# --------------------------------------------------------------------------- 2. a full disk, a write error


class _FullDisk(io.RawIOBase):
    def writable(self):
        return True

    def write(self, data):
        raise OSError(errno.ENOSPC, "No space left on device")


def test_environment_json_is_kept_whole_on_a_full_disk(tmp_path, monkeypatch):
    target = tmp_path / "environment.json"
    target.write_text('{"old": true}\n')
    monkeypatch.setattr(files, "open", lambda *a, **k: _FullDisk(), raising=False)  # the writer's open()
    with pytest.raises(WriteError) as info:
        write_environment(target)
    assert str(info.value) == f"cannot write {target}: No space left on device"
    assert info.value.errno == errno.ENOSPC and isinstance(info.value, OSError)
    assert target.read_text() == '{"old": true}\n'
    assert [p.name for p in tmp_path.iterdir()] == ["environment.json"]  # no temporary file left


def test_run_on_a_full_disk_is_one_line_and_exit_status_2(tmp_path, monkeypatch, capsys, all_fresh):
    outputs = tmp_path / "outputs"
    outputs.mkdir()
    (outputs / "environment.json").write_text("old\n")
    monkeypatch.setattr(files, "open", lambda *a, **k: _FullDisk(), raising=False)
    code = cli.main(["run", "--region", "horten", "--notebooks-dir", str(FIXTURE_NOTEBOOKS), "--outputs-dir", str(outputs)])
    err = _one_line_error(capsys, code)
    assert "environment.json: No space left on device" in err
    assert (outputs / "environment.json").read_text() == "old\n"


def test_a_pair_that_cannot_write_keeps_its_previous_outputs(tmp_path, monkeypatch):
    """papermill cannot write the executed notebook (full disk): nothing is published over the last good run."""
    import papermill

    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    outputs = tmp_path / "outputs"
    (outputs / "alpha" / "figures").mkdir(parents=True)
    (outputs / "alpha" / "probe.ipynb").write_text("the last good run")
    (outputs / "alpha" / "figures" / "probe--trend.png").write_bytes(b"good png")

    def full_disk(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(papermill, "execute_notebook", full_disk)
    monkeypatch.setattr(worker, "_next_kernel", lambda task: None)
    result = worker.execute_pair(_probe_task(outputs, tmp_path / "jupyter"))
    assert result["status"] == "failed" and "No space left on device" in result["write_error"]
    assert (outputs / "alpha" / "probe.ipynb").read_text() == "the last good run"
    assert (outputs / "alpha" / "figures" / "probe--trend.png").read_bytes() == b"good png"
    assert not (outputs / ".staging" / "alpha" / "probe").exists()


def test_a_write_error_of_a_pair_stops_the_run_in_one_line(tmp_path, fake_pool):
    fake_pool.result = {"status": "failed", "write_error": "cannot write x.ipynb: No space left on device"}
    with pytest.raises(WriteError, match=r"^cannot write x.ipynb: No space left on device \(while running probe"):
        run(_project(tmp_path), jobs=1, fork=False, progress=False)
    assert fake_pool.instances[0].closed_now is True  # the other workers are stopped, not waited for


# --------------------------------------------------------------------------- 3. a read-only outputs/


@pytest.fixture
def read_only(monkeypatch, tmp_path):
    """Writing under tmp_path/ro fails as on a read-only file system (as root a chmod would not stop a write)."""
    folder = tmp_path / "ro"
    real_open, real_mkdir, real_replace = os.open, os.mkdir, os.replace

    def refuse(path):
        if str(path).startswith(str(folder)):
            raise OSError(errno.EROFS, "Read-only file system", str(path))

    def fake_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse(path)
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "mkdir", lambda path, *a, **k: refuse(path) or real_mkdir(path, *a, **k))
    monkeypatch.setattr(os, "replace", lambda src, dst, **k: refuse(dst) or real_replace(src, dst, **k))
    return folder


def test_run_into_a_read_only_outputs_is_one_line(read_only, capsys, all_fresh):
    code = cli.main(["run", "--region", "horten", "--notebooks-dir", str(FIXTURE_NOTEBOOKS), "--outputs-dir", str(read_only)])
    assert "Read-only file system" in _one_line_error(capsys, code)


def test_verify_checks_its_report_folder_before_the_long_run(read_only, monkeypatch, capsys):
    import analysis.verify

    def must_not_run(*args, **kwargs):
        raise AssertionError("verify ran every notebook before finding it cannot write its report")

    monkeypatch.setattr(analysis.verify, "run", must_not_run)
    code = cli.main(["verify", "--region", "horten", "--report-dir", str(read_only / "verification")])
    assert "Read-only file system" in _one_line_error(capsys, code)


def test_report_into_a_read_only_outputs_is_one_line(tmp_path, monkeypatch, capsys):
    outputs = tmp_path / "ro"
    (outputs / "horten").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(), outputs / "horten" / "history.ipynb")
    monkeypatch.setenv("ANALYSIS_OUTPUTS", str(outputs))
    real_mkdir = os.mkdir

    def read_only_mkdir(path, *args, **kwargs):
        if str(path).startswith(str(outputs)):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", read_only_mkdir)
    assert "Read-only file system" in _one_line_error(capsys, cli.main(["report"]))


def test_book_write_config_on_a_read_only_repository_is_one_line(monkeypatch, capsys):
    quarto = ROOT / "_quarto.yml"
    before = quarto.read_bytes()
    real_replace = os.replace

    def read_only_replace(src, dst, **kwargs):
        if Path(dst) == quarto:
            raise OSError(errno.EROFS, "Read-only file system")
        return real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", read_only_replace)
    err = _one_line_error(capsys, cli.main(["book", "--write-config"]))
    assert "_quarto.yml: Read-only file system" in err
    assert quarto.read_bytes() == before and not list(ROOT.glob("._quarto.yml.*.tmp"))


# --------------------------------------------------------------------------- 4. --scheduler


@pytest.mark.parametrize("address", ["not a url", "garbage", "tcp://host", "foo://host:8786", ""])
def test_a_malformed_scheduler_address_is_refused_by_dask_parsing(address):
    with pytest.raises(InputError, match="is not a Dask scheduler address") as info:
        executors.check_scheduler(address)
    assert "\n" not in str(info.value)


def test_well_formed_scheduler_addresses_pass():
    for address in ("local", "tcp://127.0.0.1:8786", "tls://scheduler.example:8786", "10.0.0.5:8786"):
        executors.check_scheduler(address)


def test_an_unreachable_scheduler_is_one_line(capsys, tmp_path):
    """A short connect timeout (not Dask's 30 s), and one line instead of a traceback."""
    code = cli.main(["run", "--region", "horten", "--notebooks-dir", str(FIXTURE_NOTEBOOKS), "--stock-kernel",
                     "--outputs-dir", str(tmp_path / "outputs"), "--force", "--scheduler", "tcp://127.0.0.1:1"])
    err = _one_line_error(capsys, code)
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1" in err
    assert f"after {executors.CONNECT_TIMEOUT} s" in err


# --------------------------------------------------------------------------- 5. registry and declaration


def _data_copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    for name in ("regions.csv", "datapackage.json"):
        (data / name).write_bytes((ROOT / "data" / name).read_bytes())
    return data


def test_a_registry_in_latin_1_is_one_line_naming_the_file(tmp_path, monkeypatch, capsys):
    data = _data_copy(tmp_path)
    text = (data / "regions.csv").read_text(encoding="utf-8")
    assert any(ord(c) > 127 for c in text)  # Norwegian names: ø, å
    (data / "regions.csv").write_bytes(text.encode("latin-1", errors="replace"))
    monkeypatch.setenv("ANALYSIS_DATA", str(data))
    from analysis.data.regions import all_regions

    with pytest.raises(DataError, match=r"regions.csv is not UTF-8 text \(line \d+: byte 0x"):
        all_regions()
    assert "regions.csv is not UTF-8" in _one_line_error(capsys, cli.main(["list"]))
    code = cli.main(["run", "--region", "horten", "--outputs-dir", str(tmp_path / "outputs")])
    assert "regions.csv is not UTF-8" in _one_line_error(capsys, code)


@pytest.mark.parametrize("declaration, message", [
    ([], "the top level must be an object, not a list"),
    ("text", "the top level must be an object, not a string"),
    ({}, "it has no 'resources' list"),
    ({"resources": {}}, "'resources' must be a list of resources, not an object"),
    ({"resources": ["employment.csv"]}, "resource 1 must be an object, not a string"),
    ({"resources": [{"name": "x"}]}, "resource 1 ('x') has no 'path'"),
    ({"resources": [{"path": "x.csv", "schema": {"fields": []}}]}, "resource 1 has no 'name'"),
    ({"resources": [{"name": "x", "path": "x.csv"}]}, "resource 1 ('x') has no 'schema' with a list of 'fields'"),
])
def test_a_declaration_of_the_wrong_shape_is_one_line_naming_the_file(tmp_path, monkeypatch, capsys, declaration,
                                                                       message):
    data = _data_copy(tmp_path)
    (data / "datapackage.json").write_text(json.dumps(declaration))
    monkeypatch.setenv("ANALYSIS_DATA", str(data))
    code = cli.main(["run", "--region", "horten", "--outputs-dir", str(tmp_path / "outputs")])
    err = _one_line_error(capsys, code)
    assert f"{data / 'datapackage.json'} is not a data package declaration: {message}" in err


def test_a_data_file_in_another_encoding_is_named_itself(tmp_path):
    """Not under every dataset whose foreign keys read it, as Frictionless reports it."""
    from analysis.data import validate_package

    (tmp_path / "towns.csv").write_bytes("id,name\nhalden,Nøtterøy\n".encode("latin-1"))
    (tmp_path / "datapackage.json").write_text(json.dumps({"resources": [
        {"name": "towns", "path": "towns.csv", "schema": {"fields": [{"name": "id", "type": "string"},
                                                                      {"name": "name", "type": "string"}]}}]}))
    assert validate_package(tmp_path / "datapackage.json") == [
        "data/towns.csv: not UTF-8 text (line 2: byte 0xf8); save it as UTF-8"]


# --------------------------------------------------------------------------- 6. limits, Ctrl-C, leftovers


def test_a_cell_has_a_default_time_limit_on_run_and_verify(monkeypatch):
    from analysis.pipeline.limits import CELL_TIMEOUT

    parser = cli.build_parser()
    assert parser.parse_args(["run"]).timeout == CELL_TIMEOUT == 600
    assert parser.parse_args(["verify", "--timeout", "30"]).timeout == 30
    assert parser.parse_args(["run", "--timeout", "none"]).timeout is None  # no limit
    assert parser.parse_args(["verify", "--timeout", "None"]).timeout is None
    import analysis.verify

    seen = {}

    def stop_after_the_run(*args, **kwargs):
        seen.update(kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(analysis.verify, "writable_folder", lambda *a: None)
    monkeypatch.setattr(analysis.verify, "run", stop_after_the_run)
    with pytest.raises(KeyboardInterrupt):
        analysis.verify.verify(regions=["horten"], timeout=30)
    assert seen["timeout"] == 30


def test_an_interrupted_run_stops_its_workers_instead_of_waiting(tmp_path, monkeypatch, fake_pool):
    def interrupted(self, tasks):
        (Path(tasks[0]["outputs_dir"]) / ".staging" / "alpha" / "probe").mkdir(parents=True)  # a pair under way
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(FakeExecutor, "map_unordered", interrupted)
    outputs = tmp_path / "outputs"
    with pytest.raises(KeyboardInterrupt):
        run(_project(tmp_path), jobs=1, fork=False, progress=False)
    assert fake_pool.instances[0].closed_now is True
    assert not (outputs / ".staging").exists()


def test_a_busy_local_worker_is_killed_at_once_on_close_now():
    pool = executors.LocalExecutor(1)
    busy = pool.pool.submit(time.sleep, 120)
    while not busy.running():
        time.sleep(0.05)
    pids = [proc.pid for proc in pool.pool._processes.values()]
    pool.close(now=True)
    # asked of the system, not of the Process objects: the pool's own thread may close those meanwhile
    deadline = time.monotonic() + 30  # a pair would take 120 s: gone before this only if it was killed
    while any(_running(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pids and not any(_running(pid) for pid in pids)


def _running(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_any_run_removes_what_killed_runs_left_even_with_nothing_to_do(tmp_path, all_fresh):
    outputs, dead = tmp_path / "outputs", _dead_pid()
    (outputs / ".staging" / "alpha" / "probe").mkdir(parents=True)
    (outputs / "alpha").mkdir()
    killed = outputs / "alpha" / f".findings.json.{dead}-0123456789ab.tmp"
    killed.write_text("half")
    older = outputs / "alpha" / ".probe.ipynb.0123456789ab.tmp"  # named before pids were recorded
    older.write_text("half")
    live = outputs / "alpha" / f".report.html.{os.getpid()}-0123456789ab.tmp"
    live.write_text("being written")
    run_dir = Path("/tmp") / f"analysis-run-{dead}-faultstest"
    run_dir.mkdir(exist_ok=True)
    try:
        report = run(_project(tmp_path), jobs=1, fork=False, progress=False)
        assert report.kernel == "none" and all_fresh.instances == []  # nothing ran ...
        assert not (outputs / ".staging").exists()  # ... and yet the leftovers are gone
        assert not killed.exists() and not older.exists() and live.exists()
        assert not run_dir.exists()
    finally:
        if run_dir.exists():
            run_dir.rmdir()


# --------------------------------------------------------------------------- 7. flags checked first


def test_a_timeout_that_is_neither_seconds_nor_none_is_one_line_naming_it(capsys):
    with pytest.raises(SystemExit) as stop:
        cli.build_parser().parse_args(["run", "--timeout", "soon"])
    assert stop.value.code == 2
    assert "argument --timeout: invalid seconds value: 'soon'" in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--timeout", "-5"], "--timeout must be a positive number of seconds, not -5"),
    (["--timeout", "0"], "--timeout must be a positive number of seconds, not 0"),
    (["--jobs", "0"], "--jobs must be at least 1, not 0"),
    (["--scheduler", "garbage"], "--scheduler 'garbage' is not a Dask scheduler address"),
])
def test_flags_are_checked_even_when_every_pair_is_fresh(tmp_path, capsys, all_fresh, argv, message):
    code = cli.main(["run", "--region", "horten", "--notebooks-dir", str(FIXTURE_NOTEBOOKS),
                     "--outputs-dir", str(tmp_path / "outputs"), *argv])
    assert message in _one_line_error(capsys, code)
    assert not (tmp_path / "outputs").exists()  # refused before the lock, before planning


# --------------------------------------------------------------------------- 10. progress


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_is_a_line_per_step_off_a_terminal_and_a_bar_on_one():
    lines = io.StringIO()
    with Progress(2, stream=lines) as p:
        p.finished("history [horten]", "ran", 2.34)
        p.add(1)
        p.finished("comparison [cross-region]", "failed", 0.5)
    assert lines.getvalue() == "[1/2] history [horten] ran 2.3 s\n[2/3] comparison [cross-region] failed 0.5 s\n"
    terminal = _Terminal()
    with Progress(2, stream=terminal) as p:
        p.finished("history [horten]", "ran", 2.3)
    assert "\r" in terminal.getvalue() and "[1/2]" not in terminal.getvalue()
    quiet = io.StringIO()
    with Progress(2, mode=None, stream=quiet) as p:
        p.finished("history [horten]", "ran", 2.3)
    assert quiet.getvalue() == ""


def test_a_run_writes_a_line_per_finished_pair_when_stderr_is_not_a_terminal(tmp_path, fake_pool, capsys):
    run(_project(tmp_path), jobs=1, fork=False, progress=True)
    err = capsys.readouterr().err.splitlines()
    assert err == ["[1/2] probe [alpha] ran 0.5 s", "[2/2] probe [beta] ran 0.5 s", "[3/3] summary [cross-region] ran 0.5 s"]


def test_report_and_check_data_show_their_steps(tmp_path, monkeypatch):
    from analysis.datacheck import data_report
    from analysis.report import build_reports

    outputs = tmp_path / "outputs"
    (outputs / "horten").mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# History")]),
                   outputs / "horten" / "history.ipynb")
    lines = io.StringIO()
    progress = Progress(mode="lines", stream=lines)
    import analysis.report

    monkeypatch.setattr(analysis.report, "Progress", lambda total, mode, unit: Progress(total, mode, unit, stream=lines))
    build_reports(outputs_dir=outputs, explorer=False, progress="lines")
    assert [line.split(" ")[:2] for line in lines.getvalue().splitlines()] == [["[1/2]", "horten.html"],
                                                                              ["[2/2]", "index.html"]]
    lines.seek(0)
    lines.truncate()
    progress.add(3)
    data_report(progress=progress)
    steps = [line.split(" ", 1)[0] for line in lines.getvalue().splitlines()]
    assert steps == ["[1/3]", "[2/3]", "[3/3]"] and "loaded" in lines.getvalue()


# --------------------------------------------------------------------------- real runs


def _good_run(tmp_path: Path) -> Project:
    project = make_project(tmp_path, regions=("alpha",))
    report = run(project, jobs=1, progress=False, notebooks=["probe"])
    assert report.count("ran") == 1, report.table()
    return project


def _tree(outputs: Path) -> dict[str, bytes]:
    return {p.relative_to(outputs).as_posix(): p.read_bytes() for p in sorted(outputs.rglob("*"))
            if p.is_file() and p.name != ".run.lock"}


@pytest.mark.notebooks
def test_ctrl_c_stops_a_run_at_once_and_keeps_the_previous_outputs(tmp_path):
    """SIGINT to the command alone (an IDE's stop button): the busy worker and its kernel are killed, not awaited."""
    project = _good_run(tmp_path)
    outputs = Path(project.outputs_dir)
    before = _tree(outputs)
    proc = subprocess.Popen([sys.executable, str(ROOT / "tests" / "fixtures" / "pipeline_project.py"), str(tmp_path),
                             "--jobs", "1", "--force", "--region", "alpha", "-p", "delay=120"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    staging = outputs / ".staging" / "alpha" / "probe"
    while not staging.exists() and proc.poll() is None:
        time.sleep(0.1)
    time.sleep(2)  # the kernel is inside the notebook's long cell now
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=60)  # the pair would take two minutes
    finally:
        proc.kill()
    assert proc.returncode != 0 and "KeyboardInterrupt" in err
    assert _tree(outputs) == before  # nothing published, nothing half-written, staging removed
    time.sleep(2)  # a stock kernel notices its parent is gone within a second
    # the template's socket is in the run's folder: every forked kernel's launcher names it
    left = subprocess.run(["pgrep", "-f", f"analysis-run-{proc.pid}-"], capture_output=True, text=True).stdout.split()
    assert left == [], "a worker or kernel of the interrupted run is still running"
    assert not list(Path("/tmp").glob(f"analysis-run-{proc.pid}-*"))


@pytest.mark.notebooks
def test_the_cli_prints_interrupted_and_exits_130(tmp_path):
    project = _good_run(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "analysis", "run", "--region", "horten", "--force", "--jobs", "1",
                             "--notebooks-dir", str(project.notebooks_dir), "--outputs-dir", str(tmp_path / "cli"),
                             "-p", "delay=120"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    while not (tmp_path / "cli" / ".staging" / "horten" / "probe").exists() and proc.poll() is None:
        time.sleep(0.1)
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert (proc.returncode, err) == (130, "interrupted\n")


@pytest.mark.notebooks
def test_a_cell_over_the_time_limit_fails_its_pair_with_a_clear_message(tmp_path):
    project = make_project(tmp_path, regions=("alpha",))
    report = run(project, jobs=1, progress=False, notebooks=["probe"], parameters=["delay=30"], timeout=2)
    (failed,) = report.failed
    assert failed["error"] == "a cell ran longer than the 2 s limit (--timeout to change it)"


def _flood_notebook(folder: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata.update({"kernelspec": {"name": "tech-towns", "display_name": "Python (tech-towns)", "language": "python"},
                        "analysis": {"scope": "region", "order": 1, "title": "Flood"}})
    params = nbformat.v4.new_code_cell('region = "alpha"\noutput_dir = ""\nflood_region = ""')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params,
                nbformat.v4.new_code_cell('line = "x" * 1023\nif region == flood_region:\n    while True:\n'
                                          '        print(line)\nprint("a little")'),
                nbformat.v4.new_code_cell('print("after")')]
    for i, cell in enumerate(nb.cells):
        cell.id = f"cell-{i}"
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / "flood.ipynb")


@pytest.mark.notebooks
def test_a_notebook_printing_without_end_fails_alone_at_the_output_limit(tmp_path):
    """Stopped at the limit (not at the ten-minute timeout), a marker where it was cut; the other pair is unharmed."""
    from analysis.pipeline.limits import OUTPUT_LIMIT

    _flood_notebook(tmp_path / "notebooks")
    project = make_project(tmp_path, regions=("alpha", "beta"))
    report = run(project, jobs=2, progress=False, parameters=["flood_region='alpha'"])
    status = {r["region"]: r for r in report.results}
    assert status["beta"]["status"] == "ran", report.table()
    assert status["alpha"]["status"] == "failed" and "OutputLimitExceeded" in status["alpha"]["error"]
    stored = tmp_path / "outputs" / "alpha" / "flood.ipynb"
    assert stored.stat().st_size < OUTPUT_LIMIT * 1.1
    nb = nbformat.read(stored, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert outputs[-1]["ename"] == "OutputLimitExceeded"
    assert not any("after" in o.get("text", "") for o in outputs)  # the cells after it were skipped
