"""The software a result depends on: the one list of packages whose versions enter the cache key.

A pair is reused only when these versions are unchanged (:mod:`analysis.pipeline.cache`);
``run`` records them beside its outputs (``outputs/environment.json``) and ``verify``
compares them with the recorded reference (``reference/environment.json``).
"""

from __future__ import annotations

import functools
import json
import platform
from pathlib import Path

from analysis.files import atomic_write_text

# Every library that can change a finding, a table, a figure or an executed notebook:
# computation (pandas, numpy, scipy, statsmodels), validation and typing of the data
# (frictionless), drawing, graph layout and image encoding (matplotlib, seaborn, networkx, pillow),
# the tables and folded text a notebook shows (great-tables, markdown-it-py), and how a notebook
# is executed and stored (papermill, nbclient, nbformat, ipykernel, ipython).
KEY_PACKAGES = ("pandas", "numpy", "scipy", "statsmodels", "frictionless", "matplotlib", "seaborn", "networkx",
                "pillow", "great-tables", "markdown-it-py", "papermill", "nbclient", "nbformat", "ipykernel", "ipython")


@functools.lru_cache(maxsize=1)
def _installed_versions() -> tuple[tuple[str, str | None], ...]:
    from importlib.metadata import PackageNotFoundError, version

    out = []
    for name in KEY_PACKAGES:
        try:
            out.append((name, version(name)))
        except PackageNotFoundError:
            out.append((name, None))
    return tuple(out)


def package_versions() -> dict[str, str | None]:
    """Installed version of each of :data:`KEY_PACKAGES` (None when not installed), read once per process."""
    return dict(_installed_versions())


def environment() -> dict:
    """Python, platform and package versions: what produced a set of outputs."""
    return {"python": platform.python_version(), "platform": platform.platform(terse=True),
            "machine": platform.machine(), "packages": package_versions()}


def write_environment(path: Path) -> Path:
    atomic_write_text(Path(path), json.dumps(environment(), indent=2, sort_keys=True) + "\n")
    return Path(path)
