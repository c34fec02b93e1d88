"""One pair, run in a worker process: papermill into a staging folder, then publish.

:func:`execute_pair` runs in a process of the local pool or on a Dask worker. It takes
and returns plain dicts (they cross process and machine boundaries) and never raises
for a notebook's error: the error is recorded with the pair and the other pairs go on.
Each worker starts its next kernel while its current notebook runs (:func:`_next_kernel`);
each kernel still serves exactly one notebook.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

from analysis.config import KERNEL_NAME
from analysis.errors import WriteError
from analysis.files import WRITE_ERRNOS, real_folder, remove_tree, write_error
from analysis.pipeline import limits
from analysis.pipeline.cache import output_dir
from analysis.pipeline.publish import STAGING, cell_seconds, neutralise, publish, staged_artefacts


def worker_init() -> None:
    """Initializer of a pool worker: die with the orchestrator, skip a slow import, stop kernels at exit."""
    from analysis.pipeline.launcher import die_with_parent

    die_with_parent()
    # jsonschema imports rfc3987_syntax (1.1 s) for format checks nbformat never uses.
    sys.modules.setdefault("rfc3987_syntax", None)
    import atexit

    atexit.register(_stop_ready_kernels)


def _quiet_worker(log_dir: str | None) -> None:
    """Send this worker's (and so its kernels') stdout/stderr to a log file, once.

    Kernels inherit the worker's file descriptors; their start-up and shutdown chatter
    would otherwise interleave with the progress bar. Errors are in the notebooks.
    """
    import logging

    logging.getLogger("papermill").setLevel(logging.ERROR)  # "Passed unknown parameter" etc.
    if not log_dir or os.environ.get("_ANALYSIS_WORKER_LOG") == log_dir or not os.path.isdir(log_dir):
        return
    os.environ["_ANALYSIS_WORKER_LOG"] = log_dir
    fd = os.open(os.path.join(log_dir, f"worker-{os.getpid()}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _use_kernelspec(task: dict) -> None:
    from analysis.pipeline import kernels

    jupyter_dir = Path(task["jupyter_dir"])
    if not (jupyter_dir / "kernels" / KERNEL_NAME / "kernel.json").exists():
        # a remote Dask worker: no template here; a stock kernel of this interpreter
        jupyter_dir = Path(tempfile.gettempdir()) / f"analysis-stock-kernel-{os.getuid()}"
        kernels.write_kernelspec(jupyter_dir, None)
    # First on JUPYTER_PATH: this run's spec shadows a registered `tech-towns`.
    os.environ["JUPYTER_PATH"] = str(jupyter_dir)


# In the run's temporary folder once the run is stopping (Ctrl-C, an error): nothing is published after it.
STOPPED = "stopped"

# One kernel per worker started ahead of its next notebook (see _next_kernel).
_READY: dict[tuple, object] = {}


def _start_kernel(cwd: str):
    from jupyter_core.utils import run_sync

    from analysis.pipeline.kernels import kernel_manager_class

    km = kernel_manager_class()(kernel_name=KERNEL_NAME)
    run_sync(km.start_kernel)(cwd=cwd)
    return km


def _next_kernel(task: dict):
    """This pair's kernel, started while the worker's previous pair ran; start the next one now.

    Kernel start-up (process, fork or imports, ipykernel set-up) then overlaps with the
    notebook before it. Each kernel still serves exactly one notebook.
    """
    from jupyter_core.utils import run_sync

    key = (task["cwd"], task["jupyter_dir"], json.dumps(task["env"], sort_keys=True))
    km = _READY.pop(key, None)
    if km is not None and not run_sync(km.is_alive)():
        _stop_kernel(km)
        km = None
    for stale in list(_READY):  # another run's kernel (a long-lived Dask worker)
        _stop_kernel(_READY.pop(stale))
    if km is None:
        km = _start_kernel(task["cwd"])
    # Only beside the orchestrator: its template (and these kernels) end with the run. A
    # remote Dask worker would keep an idle stock kernel until its next task.
    if Path(task["jupyter_dir"]).is_dir():
        with contextlib.suppress(Exception):  # only an optimisation
            _READY[key] = _start_kernel(task["cwd"])
    return km


def _stop_kernel(km) -> None:
    """Stop a kernel for good: each serves one notebook, so it is killed, not asked to shut down."""
    from jupyter_core.utils import run_sync

    for kc in getattr(km, "clients", []):
        with contextlib.suppress(Exception):
            kc.stop_channels()
    _kill_now(km)
    with contextlib.suppress(Exception):
        if run_sync(km.is_alive)():
            run_sync(km.shutdown_kernel)(now=True)
    with contextlib.suppress(Exception):
        run_sync(km.cleanup_resources)()


def _kill_now(km) -> None:
    """SIGKILL the kernel's process group and wait for it: jupyter_client's own kill then finds it gone
    instead of polling every 0.1 s (half a pair's overhead once a notebook is done). The group is the
    kernel's own session (jupyter_client starts each kernel with one), never the worker's."""
    import signal

    proc = getattr(getattr(km, "provisioner", None), "process", None)
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(OSError):
        group = os.getpgid(proc.pid)
        if group != os.getpgrp():
            os.killpg(group, signal.SIGKILL)
        else:
            proc.kill()
    with contextlib.suppress(Exception):
        proc.wait(5)


def _stop_ready_kernels() -> None:
    while _READY:
        _stop_kernel(_READY.popitem()[1])


def execute_pair(task: dict) -> dict:
    """Run one pair with papermill and publish its outputs; never raises for a notebook error.

    ``task``: notebook, input, region, parameters, key, outputs_dir, cwd, jupyter_dir,
    env, timeout, log_dir. Returns notebook, region, status ("ran" | "failed"), seconds
    (wall, kernel start included), cell_seconds (the notebook's own code cells), error
    and output; and ``write_error`` when the pair's files could not be written (a full
    disk, a read-only folder): then nothing of the pair was published and its previous
    outputs are as they were.
    """
    t0 = time.perf_counter()
    try:
        return _execute_pair(task, t0)
    except OSError as exc:  # staging, papermill or publishing could not write
        message = str(write_error(Path(task["outputs_dir"]), exc))
        remove_tree(Path(task["outputs_dir"]) / STAGING / task["region"] / task["notebook"], within=Path(task["outputs_dir"]))
        return {"notebook": task["notebook"], "region": task["region"], "status": "failed",
                "seconds": round(time.perf_counter() - t0, 3), "cell_seconds": 0.0,
                "error": f"{message} (the previous outputs are kept)", "write_error": message,
                "output": str(output_dir(Path(task["outputs_dir"]), task["region"]) / f"{task['notebook']}.ipynb")}


def _execute_pair(task: dict, t0: float) -> dict:
    sys.modules.setdefault("rfc3987_syntax", None)
    os.environ.update(task["env"])
    _quiet_worker(task.get("log_dir"))
    _use_kernelspec(task)
    name, region = task["notebook"], task["region"]
    outputs = Path(task["outputs_dir"])
    staging = outputs / STAGING / region / name
    final = output_dir(outputs, region)
    real_folder(staging, outputs, create=False)  # a link planted there: refused before removing anything through it
    remove_tree(staging)
    real_folder(staging, outputs)
    staged_nb = staging / f"{name}.ipynb"
    error = None
    km = None
    try:
        import papermill

        km = _next_kernel(task)
        papermill.execute_notebook(
            # relative to the kernel's working directory: the stored notebook names no machine's paths
            task["input"], str(staged_nb), parameters={**task["parameters"], "output_dir": os.path.relpath(staging, task["cwd"])},
            kernel_name=KERNEL_NAME, progress_bar=False, log_output=False, cwd=task["cwd"],
            execution_timeout=limits.kernel_timeout(task.get("timeout")), start_timeout=120, km=km,
            request_save_on_cell_execute=False,  # one write at the end, not two per cell
            engine_name=limits.register_engine(),
        )
    except Exception as exc:  # noqa: BLE001 - any failure is recorded with the pair, the others go on
        reason = _cannot_write(exc, staged_nb)
        if reason:
            raise WriteError(reason) from exc
        error = _timed_out(exc, task.get("timeout")) or describe(exc)
    finally:
        if km is not None:
            _stop_kernel(km)  # nbclient leaves a kernel it did not start running
    source = json.loads(Path(task["input"]).read_text(encoding="utf-8"))
    try:
        nb = json.loads(staged_nb.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        nb = source
        error = error or "papermill wrote no notebook"
        nb["cells"].insert(0, {"cell_type": "markdown", "id": "pipeline-error", "metadata": {},
                               "source": f"**This notebook did not run:** {error}"})
    with contextlib.suppress(OSError):
        staged_nb.unlink()
    cells = cell_seconds(nb)
    neutralise(nb, source.get("metadata", {}).get("kernelspec"))
    pm = nb.get("metadata", {}).get("papermill")
    if isinstance(pm, dict):
        pm["input_path"] = os.path.relpath(task["input"], outputs.parent)
        pm["output_path"] = os.path.relpath(final / f"{name}.ipynb", outputs.parent)
    artefacts = staged_artefacts(staging, staged_nb.name)
    record = {"key": task["key"], "status": "failed" if error else "ok", "artefacts": artefacts}
    if error:
        record["error"] = error
    nb.setdefault("metadata", {}).setdefault("analysis", {})["cache"] = record
    if (Path(task["jupyter_dir"]).parent / STOPPED).exists():  # interrupted: a killed kernel is not the notebook's error
        shutil.rmtree(staging, ignore_errors=True)
        return {"notebook": name, "region": region, "status": "failed", "seconds": round(time.perf_counter() - t0, 3),
                "cell_seconds": 0.0, "error": "the run was interrupted", "output": str(final / f"{name}.ipynb")}
    publish(staging, final, name, nb, artefacts)
    shutil.rmtree(staging, ignore_errors=True)
    return {"notebook": name, "region": region, "status": "failed" if error else "ran",
            "seconds": round(time.perf_counter() - t0, 3), "cell_seconds": round(cells, 3), "error": error,
            "output": str(final / f"{name}.ipynb")}


# A notebook's own error that says the disk is full or read-only: publishing its half-made
# outputs over the previous ones would lose them.
_DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG})


def _cannot_write(exc: Exception, staged_nb: Path) -> str | None:
    """One line, when ``exc`` means the pair's files cannot be written here (and not a notebook's bug)."""
    if isinstance(exc, OSError):  # papermill could not write the executed notebook
        return str(write_error(staged_nb, exc)) if exc.errno in WRITE_ERRNOS else None
    ename, evalue = getattr(exc, "ename", None), str(getattr(exc, "evalue", "") or "")
    if ename == "WriteError":  # analysis.files in the kernel: "cannot write <file>: <reason>"
        return evalue
    m = re.match(r"\[Errno (\d+)\]", evalue)  # a library's own write, as papermill reports an OSError
    if ename in ("OSError", "IOError") and m and int(m.group(1)) in _DISK_ERRNOS:
        return f"a cell could not write: {evalue}"
    return None


def _timed_out(exc: Exception, timeout: float | None) -> str | None:
    from nbclient.exceptions import CellTimeoutError

    if isinstance(exc, CellTimeoutError):
        return f"a cell ran longer than the {limits.kernel_timeout(timeout)} s limit (--timeout to change it)"
    return None


def describe(exc: Exception) -> str:
    """One line for a failed pair: the cell and the exception papermill reported, or the exception."""
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        where = getattr(exc, "exec_count", None)
        cell = f"cell [{where}]: " if where else ""
        return f"{cell}{ename}: {evalue}".strip()
    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0] if text else ''}"
