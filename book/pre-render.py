"""Quarto's pre-render step: prepare the book's chapters from the executed notebooks in outputs/.

Quarto runs this with the Python on PATH, which need not have the project installed, so it uses
only the standard library and runs the project's own interpreter (.venv) when there is one.
Skipped when `python -m analysis book` has just prepared the chapters itself.
"""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HINT = "run `python3 project.py run` (or `python -m analysis run`) first, then `quarto render` or `python -m analysis book`"


def main() -> int:
    if os.environ.get("ANALYSIS_BOOK_PREPARED") == "1":
        return 0
    venv = ROOT / ".venv" / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    python = str(venv) if venv.exists() else sys.executable
    proc = subprocess.run([python, "-m", "analysis", "book", "--prepare"], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["the chapters could not be prepared"])[-1]
        print(f"The book is made from the executed notebooks: {last}\n{HINT}", file=sys.stderr)
        return 1
    print(proc.stdout.strip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
