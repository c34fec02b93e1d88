"""Repository hygiene a reviewer relies on: stripped notebooks with a parameters cell, lint."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from analysis.config import PROJ_ROOT, notebooks_dir


@pytest.mark.parametrize("path", sorted(notebooks_dir().glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_is_stripped_and_parameterised(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"]["name"] == "tech-towns"
    assert nb["metadata"]["analysis"]["scope"] in ("region", "cross-region")
    first = nb["cells"][0]
    assert first["cell_type"] == "code" and "parameters" in first["metadata"].get("tags", [])
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert not cell.get("outputs") and cell.get("execution_count") is None, f"{path.name}: outputs committed"


def test_ruff_is_clean():
    ruff = shutil.which("ruff") or str(__import__("pathlib").Path(sys.executable).parent / "ruff")
    proc = subprocess.run([ruff, "check", "analysis", "tests", "benchmarks", "project.py"], cwd=PROJ_ROOT,
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout[-3000:]
