"""Progress of the slow commands on stderr: a bar on a terminal, one short line per finished step elsewhere.

A bar (tqdm) redraws itself in place, which helps someone watching a terminal; in a log file
or a CI job it would be a stream of carriage returns, so there every finished step is one
line instead, such as ``[12/39] history [horten] ran 2.3 s``. Nothing goes to stdout, which
keeps the commands' own output (tables, summaries) clean for a pipe.

``mode``: ``"auto"`` (or True): a bar when the stream is a terminal, lines otherwise;
``"bar"``; ``"lines"``; None or False: nothing.
"""

from __future__ import annotations

import sys
import time


def _is_terminal(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


class Progress:
    """``total`` steps (more can be added as they become known); :meth:`finished` after each."""

    def __init__(self, total: int = 0, mode: str | bool | None = "auto", unit: str = "step", stream=None):
        self.stream = stream if stream is not None else sys.stderr
        if mode is True or mode == "auto":
            mode = "bar" if _is_terminal(self.stream) else "lines"
        if mode not in ("bar", "lines", None, False):
            raise ValueError(f"progress mode {mode!r}: expected 'auto', 'bar', 'lines' or None")
        self.mode = mode or None
        self.total, self.done = total, 0
        self.bar = None
        self._started = time.perf_counter()
        if self.mode == "bar":
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit=unit, file=self.stream, leave=False)

    def add(self, steps: int) -> None:
        """More steps than announced: a run learns its cross-region work only after the regions."""
        self.total += steps
        if self.bar is not None:
            self.bar.total = self.total
            self.bar.refresh()

    def started(self, label: str) -> None:
        """Say what is running now (on the bar only: a line is written when a step has finished)."""
        self._started = time.perf_counter()
        if self.bar is not None:
            self.bar.set_postfix_str(label)

    def finished(self, label: str, status: str = "", seconds: float | None = None) -> None:
        """One step done; ``seconds`` defaults to the time since :meth:`started` (or the previous step)."""
        seconds = time.perf_counter() - self._started if seconds is None else seconds
        self.done += 1
        text = " ".join(x for x in (label, status, f"{seconds:.1f} s") if x)
        if self.mode == "lines":
            print(f"[{self.done}/{max(self.total, self.done)}] {text}", file=self.stream, flush=True)
        elif self.bar is not None:
            self.bar.set_postfix_str(text, refresh=False)
            self.bar.update(1)
        self._started = time.perf_counter()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
