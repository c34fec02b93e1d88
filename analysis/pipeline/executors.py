"""Where pairs run: a local process pool, or a Dask cluster.

Both take the worker's task dicts (:func:`analysis.pipeline.worker.execute_pair`) and
yield results as pairs finish. A worker that dies fails its pair, not the run.
"""

from __future__ import annotations

from collections.abc import Iterator

from analysis.pipeline.worker import describe, execute_pair, worker_init


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

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Pairs as Dask tasks: ``local`` starts a LocalCluster, otherwise connect to ``address``."""

    def __init__(self, address: str, jobs: int):
        import logging

        from distributed import Client, LocalCluster

        self.cluster = None
        if address == "local":
            self.cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=":0",
                                        silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        else:
            self.client = Client(address, timeout="20s")

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

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _result(fut, task: dict) -> dict:
    try:
        return fut.result()
    except Exception as exc:  # noqa: BLE001 - a dead worker fails its pair, not the run
        return {"notebook": task["notebook"], "region": task["region"], "status": "failed", "seconds": 0.0,
                "cell_seconds": 0.0, "error": f"worker error: {describe(exc)}", "output": ""}
