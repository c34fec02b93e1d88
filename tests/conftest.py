"""What several test files share: one real run of every notebook for every region.

The full suite executes the repository's notebooks once (:func:`executed_outputs`); the
notebook, verification, report and book tests read that run. Tests that need other
inputs (a changed value, a broken notebook, a new region) run their own, smaller runs.
The fast tier (``python3 project.py test --quick``) deselects everything marked
``notebooks`` and so never starts this run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.config import PROJ_ROOT


@pytest.fixture(scope="session")
def executed_outputs(tmp_path_factory) -> Path:
    """Every (notebook, region) pair run once, as `python -m analysis run` does, into a temporary outputs folder."""
    out = tmp_path_factory.mktemp("outputs")
    env = {**os.environ, "ANALYSIS_OUTPUTS": str(out)}
    proc = subprocess.run([sys.executable, "-m", "analysis", "run", "--jobs", "2"], cwd=PROJ_ROOT, env=env,
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, f"run failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return out


@pytest.fixture(autouse=True)
def _own_rendered_cache(tmp_path_factory, monkeypatch):
    """Each test keeps the figures and tables it draws in a folder of its own: none reuses another's, and none writes
    into the repository's outputs/ (where the figure cache lives by default)."""
    monkeypatch.setenv("ANALYSIS_RENDERED", str(tmp_path_factory.mktemp("rendered")))
