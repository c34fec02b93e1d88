#!/usr/bin/env python3
"""Set up and run the project with nothing but python3.

    python3 project.py run           # create .venv, install, register the kernel, run every notebook
                                     # for every region, write the HTML reports (and the book if Quarto exists)
    python3 project.py test          # create .venv, install with test extras, run the whole test suite
    python3 project.py test --quick  # only the fast tier: unit and data tests, no notebook is executed
    python3 project.py lock          # regenerate the lock files requirements/run.txt and requirements/test.txt
    python3 project.py lock --upgrade  # the same, moving every pin to the newest release pyproject.toml allows

Arguments after `test` (and `--quick`) go to pytest, e.g. `python3 project.py test --quick -k slug`;
arguments after `lock` go to pip-compile, e.g. `python3 project.py lock -P pandas` to move one pin.

`run` installs the exact versions in requirements/run.txt, `test` those in requirements/test.txt (the same
pins plus the test tools), then the project itself without dependencies, so nothing outside the lock gets
in. Both are idempotent: the environment is reused while pyproject.toml and the lock file are unchanged.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("PROJECT_VENV", ROOT / ".venv"))


def _bin(venv_dir: Path, name: str) -> str:
    return str(venv_dir / ("Scripts" if os.name == "nt" else "bin") / (name + (".exe" if os.name == "nt" else "")))


PY = Path(_bin(VENV, "python"))
LOCKS = {"": ROOT / "requirements" / "run.txt", "[test]": ROOT / "requirements" / "test.txt"}
# The installer and the lock tool are pinned too: a newer pip-tools can write a different lock from the same input.
INSTALLER = "pip==26.3"
LOCK_TOOL = "pip-tools==7.6.2"
# The lock is resolved for the Python the recorded reference (reference/environment.json) was made with.
LOCK_PYTHON = (3, 11)


def sh(*args: str, check: bool = True, env: dict | None = None) -> int:
    print("+", " ".join(args), flush=True)
    return subprocess.run(args, cwd=ROOT, check=check, env=env).returncode


def stamp_digest(extras: str = "") -> str:
    """What an installed environment was made from: the installer, pyproject.toml and the lock file."""
    digest = hashlib.sha256(INSTALLER.encode())
    for part in (ROOT / "pyproject.toml", LOCKS[extras]):
        digest.update(part.read_bytes())
    return digest.hexdigest()


def ensure_env(extras: str = "") -> None:
    lock = LOCKS[extras]
    if not lock.exists():
        print(f"error: the lock file {lock.relative_to(ROOT)} is missing: run `python3 project.py lock`", file=sys.stderr)
        sys.exit(2)
    stamp = VENV / f".installed{extras}"
    want = stamp_digest(extras)
    if stamp.exists() and stamp.read_text() == want and PY.exists():
        return
    if not PY.exists():
        print(f"creating virtual environment {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    sh(str(PY), "-m", "pip", "install", "--quiet", INSTALLER)
    sh(str(PY), "-m", "pip", "install", "--quiet", "-r", str(lock))
    # The lock pins the build backend as well, so the project is built with it rather than with whatever
    # setuptools an isolated build environment would fetch.
    sh(str(PY), "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "-e", ".")
    sh(str(PY), "-m", "analysis", "setup-kernel")
    stamp.write_text(want)


def run() -> int:
    ensure_env()
    status = sh(str(PY), "-m", "analysis", "run", check=False)
    report = sh(str(PY), "-m", "analysis", "report", check=False)
    book = sh(str(PY), "-m", "analysis", "book", "--if-available", check=False)
    return status or report or book


def test() -> int:
    ensure_env("[test]")
    args = sys.argv[2:]
    if "--quick" in args:
        # the fast tier has no shared pipeline run, so its files can go to one worker per core
        args = ["-m", "not notebooks", "-n", "auto", "--dist", "loadfile", *(a for a in args if a != "--quick")]
    code = sh(str(PY), "-m", "pytest", *args, check=False)
    if code == 5:
        print("pytest collected no tests: that is a failure here", file=sys.stderr)
        return 1
    return code


def lock() -> int:
    """Write requirements/run.txt, then requirements/test.txt constrained by it (so both pin the same versions).

    pip-compile keeps the pins already in a lock file unless told to move them (``--upgrade``, ``-P NAME``);
    its options are in pyproject.toml's [tool.pip-tools]. It runs in a throwaway environment, so the lock
    tool and what it needs never enter .venv.
    """
    if sys.version_info[:2] != LOCK_PYTHON:
        print(f"error: lock with Python {'.'.join(map(str, LOCK_PYTHON))}, the one the recorded reference was "
              f"made with (this is {sys.version_info.major}.{sys.version_info.minor})", file=sys.stderr)
        return 2
    args = sys.argv[2:]
    env = {**os.environ, "CUSTOM_COMPILE_COMMAND": "python3 project.py lock"}
    with tempfile.TemporaryDirectory(prefix="lock-tool-") as tmp:
        tools = Path(tmp)
        venv.EnvBuilder(with_pip=True).create(tools)
        sh(_bin(tools, "python"), "-m", "pip", "install", "--quiet", INSTALLER, LOCK_TOOL)
        compile_ = [_bin(tools, "python"), "-m", "piptools", "compile", "--quiet", *args]
        run_lock, test_lock = (str(LOCKS[k].relative_to(ROOT)) for k in ("", "[test]"))
        return (sh(*compile_, "-o", run_lock, "pyproject.toml", check=False, env=env)
                or sh(*compile_, "--extra", "test", "-c", run_lock, "-o", test_lock, "pyproject.toml",
                      check=False, env=env))


if __name__ == "__main__":
    commands = {"run": run, "test": test, "lock": lock}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        sys.exit(2)
    sys.exit(commands[sys.argv[1]]())
