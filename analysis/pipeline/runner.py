"""The run: validate, key every pair, run what is not fresh, merge findings, cross-region last.

:func:`run` goes in a straight line (see :mod:`analysis.pipeline`). The executor and the
kernel template start lazily (:class:`_Engine`): a run with nothing to do starts neither.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from analysis.config import PROJ_ROOT
from analysis.errors import InputError, RunError
from analysis.pipeline.cache import cache_key, inputs_fingerprint, is_fresh, output_dir, output_notebook, source_fingerprint, versions
from analysis.pipeline.notebooks import CROSS_REGION
from analysis.pipeline.planning import Pair, Project, plan
from analysis.pipeline.publish import STAGING, merge_findings


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

    outputs_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(outputs_dir / ".run.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
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


def run(project: Project, regions: Iterable[str] = (), notebooks: Iterable[str] = (), parameters: Iterable[str] = (),
        jobs: int | None = None, force: bool = False, scheduler: str | None = None, fork: bool = True,
        progress: bool = True, timeout: float | None = None) -> Report:
    """Validate, then run every pair that is not fresh; see :mod:`analysis.pipeline`."""
    t0 = time.perf_counter()
    the_plan = plan(project, regions, notebooks, parameters)
    outputs = Path(project.outputs_dir).resolve()
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise InputError(f"--jobs must be at least 1, not {jobs}")
    key_versions, source_fp = versions(), source_fingerprint(project.source_dir)
    region_fp: dict[str, str] = {}
    case = project.case_regions()
    for pair in the_plan.region_pairs:
        if pair.region not in region_fp:
            region_fp[pair.region] = project.data_fingerprint([pair.region, *case.get(pair.region, ())])
        pair.key = cache_key(pair, region_fp[pair.region], source_fp, key_versions)
    results: list[dict] = []
    with _run_lock(outputs), _Engine(project, outputs, jobs, scheduler, fork) as engine:
        shutil.rmtree(outputs / STAGING, ignore_errors=True)  # left by a killed run
        engine.run(the_plan.region_pairs, force, results, progress, timeout)
        for region in dict.fromkeys(p.region for p in the_plan.region_pairs):
            merge_findings(output_dir(outputs, region))
        if the_plan.cross_pairs:
            data_all = project.data_fingerprint(None)
            for pair in the_plan.cross_pairs:
                pair.key = cache_key(pair, data_all, source_fp, key_versions,
                                     inputs_fingerprint(outputs, pair.parameters["regions"]))
            engine.run(the_plan.cross_pairs, force, results, progress, timeout)
            merge_findings(output_dir(outputs, CROSS_REGION))
        shutil.rmtree(outputs / STAGING, ignore_errors=True)
        kernel = engine.kernel
    return Report(results, round(time.perf_counter() - t0, 3), kernel)


def _remove_orphaned_run_dirs(base: str) -> None:
    """Temporary folders of runs that were killed (their pid is gone)."""
    for d in Path(base).glob("analysis-run-*-*"):
        try:
            pid = int(d.name.split("-")[2])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except (ValueError, IndexError, PermissionError, OSError):
            continue


class _Engine:
    """Starts the executor and the kernel template lazily: a run with nothing to do starts neither."""

    def __init__(self, project: Project, outputs: Path, jobs: int, scheduler: str | None, fork: bool):
        self.project, self.outputs, self.jobs, self.scheduler, self.fork = project, outputs, jobs, scheduler, fork
        self.executor = self.template = self.tmp = None
        self.kernel = "none"
        self.quiet = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.executor is not None:
            self.executor.close()
        if self.template is not None:
            self.template.stop()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _start(self) -> None:
        from analysis.pipeline import kernels
        from analysis.pipeline.executors import DaskExecutor, LocalExecutor

        # short path: unix socket names are limited to ~100 bytes
        base = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()
        _remove_orphaned_run_dirs(base)
        self.tmp = Path(tempfile.mkdtemp(prefix=f"analysis-run-{os.getpid()}-", dir=base))
        self.env = {
            "ANALYSIS_OUTPUTS": str(self.outputs),
            "ANALYSIS_IPC_DIR": str(self.tmp),
            "PYTHONPATH": os.pathsep.join(p for p in (str(PROJ_ROOT), os.environ.get("PYTHONPATH")) if p),
            **self.project.env,
        }
        socket_path = self.tmp / "template.sock" if self.fork else None
        if self.fork:
            preload = kernels.notebook_imports(sorted(Path(self.project.notebooks_dir).glob("*.ipynb")))
            self.template = kernels.Template(socket_path, self.tmp / "template.log", env={**os.environ, **self.env},
                                             preload=preload)
        kernels.write_kernelspec(self.tmp / "jupyter", socket_path)
        self.kernel = "fork" if self.fork else "stock"
        if self.scheduler:
            self.executor = DaskExecutor(self.scheduler, self.jobs)
        else:
            self.executor = LocalExecutor(self.jobs)

    def run(self, pairs: list[Pair], force: bool, results: list[dict], progress: bool, timeout: float | None) -> None:
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
        from tqdm import tqdm

        with tqdm(total=len(tasks), disable=not progress, unit="nb", file=sys.stderr, leave=False) as bar:
            for result in self.executor.map_unordered(tasks):
                results.append(result)
                bar.set_postfix_str(f"{result['notebook']}[{result['region']}] {result['status']}", refresh=False)
                bar.update(1)
