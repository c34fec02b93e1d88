"""The kernel command of a run's kernelspec: ask the template for a forked kernel, or exec a stock one.

Runs once per kernel as a script of the standard library alone,
``python -I -S launcher.py SOCKET -f CONNECTION_FILE``, because importing the package first (as
``python -m analysis.pipeline.kernels`` would) costs three times as long. So it imports nothing
outside the standard library (``tests/test_layers.py`` checks). The template, and what must hold
for a forked kernel to behave as a stock one, are in :mod:`analysis.pipeline.kernels` and
``docs/forked-kernels.md``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys


def die_with_parent(sig: int = signal.SIGTERM) -> None:
    """Ask Linux to signal us when the process that started us dies (no-op elsewhere)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(Exception):  # best effort only
        ctypes.CDLL(None, use_errno=True).prctl(1, sig, 0, 0, 0)  # PR_SET_PDEATHSIG


def _stock_kernel(connection_file: str) -> None:
    os.execv(sys.executable, [sys.executable, "-m", "ipykernel_launcher", "-f", connection_file])


def launch(socket_path: str, connection_file: str) -> int:
    """Hand this process's stdio, environment and working directory to the template, which forks a kernel
    for them; forward signals to that kernel and return its exit status. A stock kernel is exec'd instead
    when the template is down, refuses, or dies before forking."""
    die_with_parent()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(socket_path)
        request = {"connection_file": os.path.abspath(connection_file), "cwd": os.getcwd(), "env": dict(os.environ)}
        socket.send_fds(s, [json.dumps(request).encode()], [0, 1, 2])
        reader = s.makefile("rb")
        first = reader.readline()
        pid = json.loads(first)["pid"]
    except (OSError, ValueError, KeyError):
        s.close()
        _stock_kernel(connection_file)  # template down, refused or died before forking
        return 1

    def forward(signum, _frame):
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT, signal.SIGUSR1, signal.SIGUSR2):
        signal.signal(sig, forward)
    status = 1
    while True:
        try:
            line = reader.readline()
        except InterruptedError:
            continue
        if not line:
            break
        try:
            status = int(json.loads(line)["status"])
        except (ValueError, KeyError):
            pass
    return status


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) == 3 and argv[1] == "-f":
        return launch(argv[0], argv[2])
    print("usage: python -I -S launcher.py SOCKET -f CONNECTION_FILE", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
