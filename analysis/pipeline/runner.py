"""The run: validate, key every pair, run what is not fresh, merge findings; a cross-region notebook that reads the
region findings last.

:func:`run` goes in a straight line (see :mod:`analysis.pipeline`). The executor and the
kernel template start lazily (:class:`_Engine`): a run with nothing to do starts neither.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from analysis import config
from analysis.config import PROJ_ROOT
from analysis.errors import InputError, RunError, WriteError
from analysis.files import open_regular, process_alive, prune_least_used, real_folder, remove_leftovers, remove_tree, touch, write_error
from analysis.pipeline.cache import cache_key, inputs_fingerprint, is_fresh, output_dir, output_notebook, source_fingerprint, versions
from analysis.pipeline.limits import CELL_TIMEOUT
from analysis.pipeline.notebooks import CROSS_REGION
from analysis.pipeline.planning import Pair, Project, plan
from analysis.pipeline.publish import STAGING, merge_findings
from analysis.pipeline.worker import STOPPED
from analysis.progress import Progress


@dataclass
class Report:
    results: list[dict]
    seconds: float
    kernel: str  # "fork" | "stock" | "none"

    def count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.results)

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.results if r["status"] == "failed"]

    def table(self) -> str:
        """Per notebook: ran, reused, failed, seconds; then the failures, one line each."""
        rows: dict[str, list] = {}
        for r in self.results:
            row = rows.setdefault(r["notebook"], [0, 0, 0, 0.0])
            row[("ran", "reused", "failed").index(r["status"])] += 1
            row[3] += r["seconds"]
        lines = [f"{'notebook':<28}{'ran':>6}{'reused':>8}{'failed':>8}{'seconds':>10}"]
        for name, (ran, reused, failed, secs) in rows.items():
            lines.append(f"{name:<28}{ran:>6}{reused:>8}{failed:>8}{secs:>10.1f}")
        lines.append(f"{'total':<28}{self.count('ran'):>6}{self.count('reused'):>8}{self.count('failed'):>8}"
                     f"{self.seconds:>10.1f}  (wall, kernel: {self.kernel})")
        for r in self.failed:
            lines.append(f"FAILED {r['notebook']} [{r['region']}]: {r['error']}  -> {r['output']}")
        return "\n".join(lines)


@contextlib.contextmanager
def _run_lock(outputs_dir: Path):
    import fcntl

    try:
        outputs_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise write_error(outputs_dir, exc) from None
    fd = open_regular(outputs_dir / ".run.lock")  # a read-only outputs/ fails here, before any work
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunError(f"another run is writing {outputs_dir} (lock {outputs_dir / '.run.lock'})") from None
        yield
    finally:
        os.close(fd)


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def check_options(jobs: int | None, timeout: float | None, scheduler: str | None) -> None:
    """Refuse a malformed --jobs, --timeout or --scheduler before anything else (even when nothing would run)."""
    if jobs is not None and jobs < 1:
        raise InputError(f"--jobs must be at least 1, not {jobs}")
    if timeout is not None and not (timeout > 0 and timeout != float("inf")):
        raise InputError(f"--timeout must be a positive number of seconds, not {timeout:g}")
    if scheduler is not None:
        from analysis.pipeline.executors import check_scheduler

        check_scheduler(scheduler)


def run(project: Project, regions: Iterable[str] = (), notebooks: Iterable[str] = (), parameters: Iterable[str] = (),
        jobs: int | None = None, force: bool = False, scheduler: str | None = None, fork: bool = True,
        progress: bool | str | None = True, timeout: float | None = CELL_TIMEOUT) -> Report:
    """Validate, then run every pair that is not fresh; see :mod:`analysis.pipeline`.

    ``timeout``: seconds a cell may run (None: no limit). ``progress``: see
    :class:`analysis.progress.Progress` (True: a bar on a terminal, a line per pair otherwise).
    """
    t0 = time.perf_counter()
    check_options(jobs, timeout, scheduler)
    the_plan = plan(project, regions, notebooks, parameters)
    outputs = Path(project.outputs_dir).resolve()
    jobs = default_jobs() if jobs is None else jobs
    key_versions, source_fp = versions(), source_fingerprint(project.source_dir)
    region_fp: dict[str, str] = {}
    case = project.case_regions()
    for pair in the_plan.region_pairs:
        if pair.region not in region_fp:
            region_fp[pair.region] = project.data_fingerprint([pair.region, *case.get(pair.region, ())])
        pair.key = cache_key(pair, region_fp[pair.region], source_fp, key_versions)
    results: list[dict] = []
    with _run_lock(outputs):
        _remove_leftovers(outputs)
        for region in dict.fromkeys(p.region for p in the_plan.region_pairs + the_plan.cross_pairs):
            real_folder(output_dir(outputs, region), outputs, create=False)  # a planted link: refused before running
        try:
            data_all = project.data_fingerprint(None) if the_plan.cross_pairs else ""
            beside = [p for p in the_plan.cross_pairs if not p.notebook.reads_region_findings]
            after = [p for p in the_plan.cross_pairs if p.notebook.reads_region_findings]
            for pair in beside:
                pair.key = cache_key(pair, data_all, source_fp, key_versions)
            with _Engine(project, outputs, jobs, scheduler, fork) as engine, Progress(mode=progress, unit="nb") as bar:
                # the cross-region notebooks that read only data first: each is longer than most region notebooks,
                # and started last they would leave the other workers idle at the end
                engine.run(beside + the_plan.region_pairs, force, results, bar, timeout)
                for region in dict.fromkeys(p.region for p in the_plan.region_pairs):
                    merge_findings(output_dir(outputs, region))
                for pair in after:
                    pair.key = cache_key(pair, data_all, source_fp, key_versions,
                                         inputs_fingerprint(outputs, pair.parameters["regions"]))
                engine.run(after, force, results, bar, timeout)
                if the_plan.cross_pairs:
                    merge_findings(output_dir(outputs, CROSS_REGION))
                kernel = engine.kernel
            kept = config.rendered("figures", outputs)
            if kept is not None and any(r["status"] == "ran" for r in results):
                # each change of the code keys every figure and table anew: the old ones go, longest unused first
                prune_least_used(kept.parent, config.RENDERED_BYTES, pattern="*/*/*")
        finally:
            remove_tree(outputs / STAGING)  # after the engine: its workers are gone, interrupted or not
    reading = {(p.notebook.name, p.region): i for i, p in enumerate(the_plan.region_pairs + the_plan.cross_pairs)}
    results.sort(key=lambda r: reading.get((r["notebook"], r["region"]), len(reading)))  # reported in reading order, whatever order they ran in
    return Report(results, round(time.perf_counter() - t0, 3), kernel)


def _temporary_base() -> str:
    # short path: unix socket names are limited to ~100 bytes
    return "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()


def _remove_leftovers(outputs: Path) -> None:
    """What killed runs and writers left: staging folders, hidden temporary files, run folders in /tmp.

    Under the run lock, so no other run is writing; a temporary file of a live writer
    (a ``report`` writing at the same time) carries a running pid and is kept.
    """
    remove_tree(outputs / STAGING)
    remove_leftovers(outputs)
    for base in dict.fromkeys((_temporary_base(), tempfile.gettempdir())):
        _remove_orphaned_run_dirs(base)


def _remove_orphaned_run_dirs(base: str) -> None:
    """Temporary folders of runs (and of verify) that were killed (their pid is gone)."""
    for d in [*Path(base).glob("analysis-run-*-*"), *Path(base).glob("analysis-verify-*-*")]:
        try:
            pid = int(d.name.split("-")[2])
        except (ValueError, IndexError):
            continue
        if not process_alive(pid):
            shutil.rmtree(d, ignore_errors=True)


class _Engine:
    """Starts the executor and the kernel template lazily: a run with nothing to do starts neither."""

    def __init__(self, project: Project, outputs: Path, jobs: int, scheduler: str | None, fork: bool):
        self.project, self.outputs, self.jobs, self.scheduler, self.fork = project, outputs, jobs, scheduler, fork
        self.executor = self.template = self.tmp = None
        self.kernel = "none"
        self.quiet = True

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is not None and self.tmp is not None:
            with contextlib.suppress(OSError):
                touch(self.tmp / STOPPED)  # a pair whose kernel dies from here on is not published as failed
        if self.executor is not None:
            # interrupted or failed: stop the workers (and so their kernels) now instead of waiting for their pairs;
            # a pair killed while publishing left its pending marker and is run again next time
            self.executor.close(now=exc_type is not None)
        if self.template is not None:
            self.template.stop()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _start(self) -> None:
        from analysis.pipeline import kernels
        from analysis.pipeline.executors import DaskExecutor, LocalExecutor

        self.tmp = Path(tempfile.mkdtemp(prefix=f"analysis-run-{os.getpid()}-", dir=_temporary_base()))
        self.env = {
            "ANALYSIS_OUTPUTS": str(self.outputs),
            "ANALYSIS_IPC_DIR": str(self.tmp),
            "PYTHONPATH": os.pathsep.join(p for p in (str(PROJ_ROOT), os.environ.get("PYTHONPATH")) if p),
            **self.project.env,
        }
        # the executor first: a scheduler that cannot be reached fails before the template has started
        self.executor = DaskExecutor(self.scheduler, self.jobs) if self.scheduler else LocalExecutor(self.jobs)
        socket_path = self.tmp / "template.sock" if self.fork else None
        if self.fork:
            preload = kernels.notebook_imports(sorted(Path(self.project.notebooks_dir).glob("*.ipynb")))
            self.template = kernels.Template(socket_path, self.tmp / "template.log", env={**os.environ, **self.env},
                                             preload=preload)
        kernels.write_kernelspec(self.tmp / "jupyter", socket_path)
        self.kernel = "fork" if self.fork else "stock"

    def run(self, pairs: list[Pair], force: bool, results: list[dict], progress: Progress, timeout: float | None) -> None:
        todo = []
        for pair in pairs:
            if not force and is_fresh(self.outputs, pair):
                results.append({"notebook": pair.notebook.name, "region": pair.region, "status": "reused",
                                "seconds": 0.0, "cell_seconds": 0.0, "error": None,
                                "output": str(output_notebook(self.outputs, pair))})
            else:
                todo.append(pair)
        if not todo:
            return
        if self.executor is None:
            self._start()
        tasks = [{
            "notebook": p.notebook.name, "input": str(Path(p.notebook.path).resolve()), "region": p.region,
            "parameters": p.parameters, "key": p.key, "outputs_dir": str(self.outputs),
            "cwd": str(Path(p.notebook.path).resolve().parent), "jupyter_dir": str(self.tmp / "jupyter"),
            "env": self.env, "timeout": timeout, "log_dir": str(self.tmp) if self.quiet else None,
        } for p in todo]
        progress.add(len(tasks))
        for result in self.executor.map_unordered(tasks):
            results.append(result)
            progress.finished(f"{result['notebook']} [{result['region']}]", result["status"], result["seconds"])
            if result.get("write_error"):  # a full disk or a read-only folder: every pair after it would fail too
                raise WriteError(f"{result['write_error']} (while running {result['notebook']} [{result['region']}]; "
                                 "the run stopped, and that pair's previous outputs are kept)")
