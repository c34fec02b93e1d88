"""Kernels for pipeline runs: a stock ipykernel, or one forked from a template process.

Starting a kernel and importing pandas, matplotlib, seaborn, scipy and statsmodels
costs about two seconds, far more than the notebooks themselves. The *template* is
one process per run that imports those libraries once and then forks one child per
kernel request; the child runs the ipykernel app on the connection file jupyter_client
wrote and serves exactly one notebook. ``docs/forked-kernels.md`` says what must hold
for a forked kernel to behave exactly like a stock one, and why; read it before
changing anything here.

Pieces:
- ``python -m analysis.pipeline.kernels template SOCKET``: the template. It binds the socket
  first (so early requests queue instead of failing), preloads, then forks a child for
  every request. It holds no ZMQ context, event loop or thread before forking.
- :mod:`analysis.pipeline.launcher` (``python -I -S launcher.py SOCKET -f CONNECTION_FILE``): the
  kernel command of the run-local kernelspec. It hands its stdio to the template, forwards
  signals to the child and exits with the child's status. When the template is unavailable it
  ``exec``\\ s a stock kernel, so a run never depends on the template being up.
- :func:`write_kernelspec`: the run-local ``tech-towns`` kernelspec (a JUPYTER_PATH
  directory that shadows the registered one; the notebook metadata keeps the name
  ``tech-towns`` whichever kernel ran it).
- :func:`install_kernelspec`: ``python -m analysis setup-kernel`` for JupyterLab users.

One module because the template, the kernel manager that asks it for children and the fallback
to a stock kernel are one mechanism: their invariants (docs/forked-kernels.md) hold only together.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from analysis.config import KERNEL_NAME, PROJ_ROOT
from analysis.errors import ExternalError
from analysis.files import atomic_write_text
from analysis.pipeline import launcher

DISPLAY_NAME = "Python (tech-towns)"
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"

# Imported by the template before any fork; the notebooks' own imports are added at run
# time (notebook_imports). A module that fails to import is skipped and the kernel imports
# it itself, so a list that names a module the code no longer has costs time, not results.
# Not matplotlib_inline.backend_inline: it hooks itself into IPython when first imported,
# and there is no IPython shell in the template, so the children would show figures as
# text only.
PRELOAD = (
    "numpy", "pandas", "scipy", "scipy.stats", "matplotlib", "matplotlib.pyplot", "seaborn",
    "IPython", "ipykernel.kernelapp", "ipykernel.ipkernel",
    "analysis", "analysis.config", "analysis.data", "analysis.data.regions", "analysis.indicators",
    "analysis.survey", "analysis.plots", "analysis.findings",
    # imported inside functions (so that `import analysis` stays light) but used by every run's notebooks
    "networkx", "great_tables", "markdown_it", "statsmodels.stats.proportion", "PIL.PngImagePlugin",
    "matplotlib.backends.backend_agg", "matplotlib.patches", "matplotlib.ticker", "xml.etree.ElementTree",
    # what IPKernelApp.initialize imports in every kernel (its debugger alone, with debugpy, is 0.07 s)
    "ipykernel.debugger", "IPython.core.history", "sqlite3", "tornado.queues", "pdb",
)


def notebook_imports(paths) -> list[str]:
    """Modules the code cells of these notebooks import at top level (``from a import b`` gives a and a.b)."""
    import re

    pattern = re.compile(r"^(?:from\s+([\w.]+)\s+import\s+([\w\s,]+?)(?:\s+as\s+\w+)?\s*$|import\s+([\w.,\s]+?)\s*$)")
    found: dict[str, None] = {}
    for path in paths:
        try:
            cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
        except (OSError, ValueError):
            continue
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            src = cell.get("source", "")
            for line in ("".join(src) if isinstance(src, list) else src).splitlines():
                m = pattern.match(line.strip())
                if not m:
                    continue
                if m.group(1):
                    found[m.group(1)] = None
                    for name in m.group(2).split(","):
                        name = name.split(" as ")[0].strip()
                        if name.isidentifier():
                            found[f"{m.group(1)}.{name}"] = None  # a submodule, if it is one
                else:
                    for name in m.group(3).split(","):
                        found[name.split(" as ")[0].strip()] = None
    return [m for m in found if m and not m.startswith(".")]


# --------------------------------------------------------------------------- kernelspecs


def write_kernelspec(jupyter_dir: Path, socket_path: Path | None) -> Path:
    """Write the run-local ``tech-towns`` kernelspec under ``jupyter_dir/kernels``.

    ``socket_path`` given: the kernel is asked from the template (stock kernel if that
    fails). None: a stock ipykernel of the interpreter running the pipeline.
    Put ``jupyter_dir`` first on JUPYTER_PATH to use it.
    """
    spec_dir = Path(jupyter_dir) / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True, exist_ok=True)
    if socket_path is None:
        argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    else:
        # the launcher runs as a script of the standard library alone: 20 ms a kernel instead of 60 ms for
        # importing the package (-I -S: no site-packages, no PYTHON* variables, nothing else on its path)
        argv = [sys.executable, "-I", "-S", launcher.__file__, str(socket_path), "-f", "{connection_file}"]
    spec = {"argv": argv, "display_name": DISPLAY_NAME, "language": "python", "interrupt_mode": "signal",
            "metadata": {"debugger": True}}
    atomic_write_text(spec_dir / "kernel.json", json.dumps(spec, indent=1))
    return spec_dir


def install_kernelspec(user: bool = False) -> str:
    """Register the ``tech-towns`` kernel for JupyterLab; idempotent.

    Same as ``python -m ipykernel install --sys-prefix --name tech-towns --display-name
    "Python (tech-towns)"``; does nothing when an identical spec is already installed.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(KERNEL_NAME)
        if spec.argv[0] == sys.executable and spec.display_name == DISPLAY_NAME:
            return f"kernel {KERNEL_NAME!r} already installed in {spec.resource_dir}"
    except NoSuchKernel:
        pass
    where = "--user" if user else "--sys-prefix"
    cmd = [sys.executable, "-m", "ipykernel", "install", where, "--name", KERNEL_NAME, "--display-name", DISPLAY_NAME]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode:
        raise ExternalError(f"{' '.join(cmd)} failed: {done.stderr.strip()}")
    return done.stdout.strip() or done.stderr.strip()


def kernel_manager_class():
    """An AsyncKernelManager on ipc transport with a private socket prefix per kernel.

    With tcp, jupyter_client picks ports by binding and releasing them; kernels started
    at the same moment by several workers can pick the same port (papermill #239).
    Unix sockets named after a fresh uuid cannot collide.
    """
    import tempfile
    import uuid

    from jupyter_client.manager import AsyncKernelManager

    class IPCKernelManager(AsyncKernelManager):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.client_factory = _ready_client_class()
            self.transport = "ipc"
            base = os.environ.get("ANALYSIS_IPC_DIR") or tempfile.gettempdir()
            self.ip = os.path.join(base, f"k{uuid.uuid4().hex[:16]}")
            self.clients = []

        def client(self, **kwargs):
            # remembered so the pipeline can close the channels nbclient leaves open
            # when it was handed a kernel it did not start
            kc = super().client(**kwargs)
            self.clients.append(kc)
            return kc

    return IPCKernelManager


def _ready_client_class():
    """An AsyncKernelClient whose readiness check does not end in a fixed 0.2 s wait.

    jupyter_client's wait_for_ready gets the kernel_info reply, checks that IOPub is
    connected (a message arrived on it), then drains IOPub until it has been quiet for
    0.2 s. After the connection check the drain only discards status messages, which
    nbclient ignores anyway (it matches replies by parent id); 0.2 s per notebook is a
    third of a forked kernel's whole cost.
    """
    import asyncio
    import time
    from queue import Empty

    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_core.utils import ensure_async

    class ReadyClient(AsyncKernelClient):
        async def wait_for_ready(self, timeout: float | None = None) -> None:
            deadline = time.time() + (float("inf") if timeout is None else timeout)
            while True:
                self.kernel_info()
                try:
                    msg = await ensure_async(self.shell_channel.get_msg(timeout=1))
                except Empty:
                    msg = None
                if msg is not None and msg["msg_type"] == "kernel_info_reply":
                    try:  # IOPub connected? (same check as jupyter_client)
                        await ensure_async(self.iopub_channel.get_msg(timeout=0.2))
                    except Empty:
                        pass
                    else:
                        self._handle_kernel_info_reply(msg)
                        break
                if not await self._async_is_alive():
                    raise RuntimeError("Kernel died before replying to kernel_info")
                if time.time() > deadline:
                    raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")
                await asyncio.sleep(0)
            while True:
                try:
                    await ensure_async(self.iopub_channel.get_msg(timeout=0.01))
                except Empty:
                    break

    return ReadyClient


# --------------------------------------------------------------------------- template


class Template:
    """Handle on a running template process (orchestrator side)."""

    def __init__(self, socket_path: Path, log_path: Path, env: dict | None = None, preload: list[str] = ()):
        self.socket_path = Path(socket_path)
        self.log = open(log_path, "ab")  # noqa: SIM115 - open for the template's lifetime, closed in stop()
        full_env = dict(os.environ if env is None else env)
        full_env.setdefault("MPLBACKEND", INLINE_BACKEND)
        full_env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PROJ_ROOT), full_env.get("PYTHONPATH")) if p)
        full_env["ANALYSIS_PRELOAD"] = ",".join(preload)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "analysis.pipeline.kernels", "template", str(self.socket_path)],
            stdin=subprocess.DEVNULL, stdout=self.log, stderr=self.log, env=full_env, cwd=str(PROJ_ROOT),
        )

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


# Variables the preloaded modules set in os.environ when imported (debugpy sets PYDEVD_USE_FRAME_EVAL):
# a stock kernel has them, having imported the same modules, so every child sets them again.
_IMPORT_ENV: dict[str, str] = {}


def _preload() -> list[str]:
    import importlib

    before = dict(os.environ)
    failed = []
    extra = [m for m in os.environ.pop("ANALYSIS_PRELOAD", "").split(",") if m]
    for name in dict.fromkeys([*PRELOAD, *extra]):
        if name.split(".")[0] == "matplotlib_inline":
            continue  # see PRELOAD
        try:
            importlib.import_module(name)
        except Exception as exc:  # noqa: BLE001 - a missing optional module must not stop the template
            failed.append(f"{name}: {exc.__class__.__name__}")
    # Building matplotlib's font cache here, once, keeps every child from doing it.
    with contextlib.suppress(Exception):
        from matplotlib import font_manager

        font_manager.findfont("DejaVu Sans")
    _IMPORT_ENV.update({k: v for k, v in os.environ.items() if before.get(k) != v})
    return failed


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def _exit_on_signal(signum, _frame):
    raise SystemExit(0)


def serve_template(socket_path: str) -> None:
    """Bind, preload, then fork a kernel child per request until the parent goes away."""
    import gc
    import select

    os.environ.setdefault("MPLBACKEND", INLINE_BACKEND)
    launcher.die_with_parent()
    parent = os.getppid()
    if os.path.exists(socket_path):
        os.unlink(socket_path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(256)
    failed = _preload()
    if failed:
        print(f"template: not preloaded: {', '.join(failed)}", file=sys.stderr, flush=True)
    gc.collect()
    gc.freeze()
    print(f"template ready pid={os.getpid()}", file=sys.stderr, flush=True)
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        while True:
            ready, _, _ = select.select([listener], [], [], 1.0)
            _reap()
            if os.getppid() != parent:
                return
            if not ready:
                continue
            conn, _ = listener.accept()
            try:
                msg, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
                request = json.loads(msg.decode())
            except Exception:  # noqa: BLE001 - a broken request must not take the template down
                conn.close()
                continue
            pid = os.fork()
            if pid == 0:
                listener.close()
                _run_child(conn, fds, request)  # never returns
            for fd in fds:
                os.close(fd)
            conn.close()
    finally:
        listener.close()
        try:
            os.unlink(socket_path)
        except OSError:
            pass


def _run_child(conn: socket.socket, fds: list[int], request: dict) -> None:
    """In the forked child: become the kernel described by ``request``; exit with its status."""
    status = 1
    try:
        for sig in (signal.SIGTERM, signal.SIGCHLD, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        os.setsid()
        for target, fd in zip((0, 1, 2), fds):
            os.dup2(fd, target)
        for fd in fds:
            os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        for key, value in _IMPORT_ENV.items():  # as the imports would have set them (only where unset)
            os.environ.setdefault(key, value)
        os.environ["MPLBACKEND"] = INLINE_BACKEND
        # The kernel's parent is the template; ipykernel exits when it goes away.
        os.environ["JPY_PARENT_PID"] = str(os.getppid())
        sys.argv = ["ipykernel_launcher", "-f", request["connection_file"]]
        import numpy as np

        np.random.seed()  # identical in every child after fork; a stock kernel starts from fresh entropy
        conn.sendall(json.dumps({"pid": os.getpid()}).encode() + b"\n")
        _watch_launcher(conn)
        from ipykernel.kernelapp import IPKernelApp

        app = IPKernelApp.instance()
        # parent_handle's default was read from the environment when the template imported
        # ipykernel; without it the kernel would print its banner and never watch its parent.
        app.initialize(["-f", request["connection_file"], f"--IPKernelApp.parent_handle={os.getppid()}"])
        _as_if_imported_in_kernel()
        app.start()
        status = 0
    except SystemExit as exc:
        status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
    with contextlib.suppress(Exception):
        sys.stdout.flush()
        sys.stderr.flush()
        conn.sendall(json.dumps({"status": status}).encode() + b"\n")
    os._exit(status)


def _as_if_imported_in_kernel() -> None:
    """Redo what libraries decided at import time from not running inside a kernel.

    pandas sets display.max_columns to 0 (fit the terminal) outside a kernel and to 20
    inside one; imported in the template, DataFrames would print truncated differently.
    """
    if "pandas.core.config_init" not in sys.modules:
        return
    from pandas._config import config as cf

    key, value = "display.max_columns", 20  # what config_init.is_terminal() gives inside a kernel
    registered = cf._registered_options.get(key)
    if registered is not None:
        cf._registered_options[key] = registered._replace(defval=value)  # so reset_option agrees too
    cf.set_option(key, value)


def _watch_launcher(conn: socket.socket) -> None:
    """Exit when the launcher dies (jupyter_client kills the launcher, not us)."""
    import threading

    def watch():
        try:
            while conn.recv(1024):
                pass
        except OSError:
            pass
        os._exit(1)

    threading.Thread(target=watch, daemon=True, name="launcher-watch").start()


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) >= 2 and argv[0] == "template":
        serve_template(argv[1])
        return 0
    print("usage: python -m analysis.pipeline.kernels template SOCKET (kernels are started by launcher.py)",
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
