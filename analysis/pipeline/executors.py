"""Where pairs run: a local process pool, or a Dask cluster.

Both take the worker's task dicts (:func:`analysis.pipeline.worker.execute_pair`) and
yield results as pairs finish. A worker that dies fails its pair, not the run.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from analysis.errors import ExternalError, InputError
from analysis.pipeline.worker import describe, execute_pair, worker_init

# Seconds to reach a Dask scheduler: a live one answers in milliseconds; Dask's own default
# (30 s, with retries) kept a mistyped address waiting half a minute before a traceback.
CONNECT_TIMEOUT = 3


def check_scheduler(address: str) -> None:
    """Refuse what is not a Dask scheduler address ('local', or scheme://host:port), by Dask's own parsing."""
    if address == "local":
        return
    try:
        from distributed.comm.addressing import get_address_host_port, parse_address
        from distributed.comm.registry import get_backend
    except ImportError:
        raise InputError("--scheduler needs the 'distributed' package (pip install distributed)") from None
    try:
        scheme, _ = parse_address(address)  # no scheme: Dask's default (tcp)
        get_backend(scheme)
        get_address_host_port(address)
    except ValueError as exc:
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise InputError(f"--scheduler {address!r} is not a Dask scheduler address ({reason}); "
                         "give tcp://host:port, or 'local' for a cluster on this machine") from None


class LocalExecutor:
    """A process pool; workers are spawned (not forked) so they inherit no lock or thread."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.pool = self._new_pool()

    def _new_pool(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=worker_init)

    def map_unordered(self, tasks: list[dict]) -> Iterator[dict]:
        from concurrent.futures import as_completed
        from concurrent.futures.process import BrokenProcessPool

        try:
            futures = {self.pool.submit(execute_pair, t): t for t in tasks}
        except BrokenProcessPool:  # a worker died in an earlier phase (killed, out of memory)
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()
            futures = {self.pool.submit(execute_pair, t): t for t in tasks}
        for fut in as_completed(futures):
            yield _result(fut, futures[fut])

    def close(self, now: bool = False) -> None:
        """Shut the pool down; ``now``: kill busy workers instead of waiting for their pairs (Ctrl-C)."""
        if now:
            # ProcessPoolExecutor has no public way to stop a busy worker before Python 3.14
            # (terminate_workers); a worker's kernels die with it (PR_SET_PDEATHSIG, their parent poller)
            for proc in list((getattr(self.pool, "_processes", None) or {}).values()):
                with contextlib.suppress(OSError, AttributeError):
                    proc.terminate()
        self.pool.shutdown(wait=not now, cancel_futures=True)


class DaskExecutor:
    """Pairs as Dask tasks: ``local`` starts a LocalCluster, otherwise connect to ``address``."""

    def __init__(self, address: str, jobs: int):
        import logging
        import multiprocessing

        from distributed import Client, LocalCluster

        self.cluster = None
        self.processes = []  # the LocalCluster's worker processes, killed first on Ctrl-C
        if address == "local":
            before = set(multiprocessing.active_children())
            with _sigint_ignored():  # Ctrl-C reaches the whole process group: the orchestrator stops the workers
                self.cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True,
                                            dashboard_address=":0", silence_logs=logging.ERROR)
            self.processes = list(set(multiprocessing.active_children()) - before)
            self.client = Client(self.cluster)
        else:
            try:
                self.client = Client(address, timeout=f"{CONNECT_TIMEOUT}s")
            except (OSError, TimeoutError) as exc:
                reason = " ".join(str(exc).split()) or type(exc).__name__
                raise ExternalError(f"cannot reach the Dask scheduler at {address}: {reason} "
                                    "(is it running? --scheduler local starts one on this machine)") from None

    def map_unordered(self, tasks: list[dict]) -> Iterator[dict]:
        from distributed import as_completed

        futures = {}
        for t in tasks:
            fut = self.client.submit(execute_pair, t, pure=False, key=f"pair-{t['notebook']}-{t['region']}-{t['key'][:8]}")
            futures[fut.key] = (fut, t)
        for fut in as_completed([f for f, _ in futures.values()]):
            _, task = futures.pop(fut.key)
            result = _result(fut, task)
            fut.release()  # the scheduler forgets finished pairs: memory stays flat in N
            yield result

    def close(self, now: bool = False) -> None:
        if not now:
            self.client.close()
            if self.cluster is not None:
                self.cluster.close()
            return
        # interrupted: the local workers are killed at once (a LocalCluster waits for running tasks, then for
        # its processes at exit: 10-15 s); the scheduler gets two seconds
        for proc in self.processes:
            with contextlib.suppress(OSError):
                proc.kill()
        with contextlib.suppress(Exception):
            self.client.close(timeout=2)
        if self.cluster is not None:
            with contextlib.suppress(Exception):
                self.cluster.close(timeout=2)


@contextlib.contextmanager
def _sigint_ignored():
    """SIGINT ignored while child processes start, so they inherit that (it survives exec); main thread only."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _result(fut, task: dict) -> dict:
    try:
        return fut.result()
    except Exception as exc:  # noqa: BLE001 - a dead worker fails its pair, not the run
        return {"notebook": task["notebook"], "region": task["region"], "status": "failed", "seconds": 0.0,
                "cell_seconds": 0.0, "error": f"worker error: {describe(exc)}", "output": ""}
