"""Limits on one notebook run: how long a cell may run, and how much output a notebook may keep.

The per-cell timeout is nbclient's own (``timeout``, papermill's ``execution_timeout``).
Neither nbclient nor papermill caps the size of a notebook's outputs: a cell that prints
without end fills the worker's memory and then the disk. :class:`LimitedEngine` is
papermill's nbclient engine with a client that keeps at most :data:`OUTPUT_LIMIT` bytes of
output per notebook: the message that would pass it is replaced by an error output saying
so, the kernel is interrupted and the remaining cells are skipped, so the pair fails with
that message (papermill raises the error output as it raises any cell's error) and the
other pairs go on.
"""

from __future__ import annotations

import functools
import json
import math

# Seconds a cell may run. The slowest cell of the real notebooks takes a few seconds; ten
# minutes stops only a cell that hangs (a lost lock, a network wait, an endless loop).
CELL_TIMEOUT = 600
# Bytes of output a notebook may keep (text, HTML, base64 images). The largest executed
# notebook of the real ones is under 4 MB.
OUTPUT_LIMIT = 50 * 2**20
ENGINE = "analysis-limited"
LIMIT_ERROR = "OutputLimitExceeded"


def kernel_timeout(seconds: float | None) -> int | None:
    """Seconds as nbclient takes them (an integer; a fraction is rounded up, never down to no limit)."""
    return None if seconds is None else max(1, math.ceil(seconds))


@functools.lru_cache(maxsize=1)
def register_engine() -> str:
    """Make :class:`LimitedEngine` known to papermill (once per process); returns its engine name."""
    from papermill.engines import papermill_engines

    papermill_engines.register(ENGINE, _engine_class())
    return ENGINE


def _size(content: dict) -> int:
    return len(json.dumps(content, default=str))


def _client_class():
    import asyncio

    from jupyter_core.utils import ensure_async
    from nbformat.v4 import new_output
    from papermill.clientwrap import PapermillNotebookClient
    from traitlets import Integer

    class LimitedClient(PapermillNotebookClient):
        output_limit = Integer(OUTPUT_LIMIT, help="bytes of output a notebook may keep").tag(config=True)

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._kept: dict[int, int] = {}  # per cell: bytes of the outputs it holds now
            self._limit_hit = False
            self._interrupt = None

        def output(self, outs, msg, display_id, cell_index):
            if self.clear_before_next_output:  # the parent empties this cell's outputs first
                self._kept[cell_index] = 0
            if self._limit_hit:
                return None
            size = _size(msg.get("content", {}))
            if sum(self._kept.values()) + size <= self.output_limit:
                self._kept[cell_index] = self._kept.get(cell_index, 0) + size
                return super().output(outs, msg, display_id, cell_index)
            self._limit_hit = True
            text = (f"the notebook's output passed the {self.output_limit / 2**20:.0f} MB limit here; the rest "
                    "was dropped and the notebook stopped (a cell that prints without end?)")
            outs.append(new_output("error", ename=LIMIT_ERROR, evalue=text, traceback=[f"{LIMIT_ERROR}: {text}"]))
            # the cell may print for ever: stop it rather than wait for the timeout
            self._interrupt = asyncio.get_running_loop().create_task(ensure_async(self.km.interrupt_kernel()))
            return None

        def clear_output(self, outs, msg, cell_index):
            super().clear_output(outs, msg, cell_index)
            if not outs:
                self._kept[cell_index] = 0

        async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
            if self._limit_hit:
                return cell  # skipped: the pair has failed already
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)

    return LimitedClient


def _engine_class():
    from papermill.engines import NBClientEngine
    from papermill.log import logger
    from papermill.utils import merge_kwargs, remove_args

    client = _client_class()

    class LimitedEngine(NBClientEngine):
        """papermill's NBClientEngine.execute_managed_notebook, with :class:`LimitedClient`."""

        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None, stderr_file=None,
                                     start_timeout=60, execution_timeout=None, **kwargs):
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final_kwargs = merge_kwargs(safe_kwargs, timeout=execution_timeout or kwargs.get("timeout"),
                                        startup_timeout=start_timeout, kernel_name=kernel_name, log=logger,
                                        log_output=log_output, stdout_file=stdout_file, stderr_file=stderr_file)
            return client(nb_man, **final_kwargs).execute()

    return LimitedEngine
