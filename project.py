#!/usr/bin/env python3
"""Set up and run the project with nothing but python3.

    python3 project.py run           # create .venv, install, register the kernel, run every notebook
                                     # for every region, write the HTML reports (and the book if Quarto exists)
    python3 project.py test          # create .venv, install with test extras, run the whole test suite
    python3 project.py test --quick  # only the fast tier: unit and data tests, no notebook is executed

Arguments after `test` (and `--quick`) go to pytest, e.g. `python3 project.py test --quick -k slug`.

Both are idempotent: the environment is reused when pyproject.toml has not changed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("PROJECT_VENV", ROOT / ".venv"))
PY = VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def sh(*args: str, check: bool = True, env: dict | None = None) -> int:
    print("+", " ".join(args), flush=True)
    return subprocess.run(args, cwd=ROOT, check=check, env=env).returncode


def ensure_env(extras: str = "") -> None:
    stamp = VENV / f".installed{extras}"
    want = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == want and PY.exists():
        return
    if not PY.exists():
        print(f"creating virtual environment {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    sh(str(PY), "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    sh(str(PY), "-m", "pip", "install", "--quiet", "-e", f".{extras}")
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


if __name__ == "__main__":
    commands = {"run": run, "test": test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        sys.exit(2)
    sys.exit(commands[sys.argv[1]]())
