"""Drawn once, kept: keys of what a figure or a table is drawn from, and the files kept under them.

Laying out a figure and rendering a table are most of a notebook's own time, and both are pure
functions of their arguments, the package's code and the libraries that draw. :func:`canonical`
describes an argument completely (a frame by its columns, dtypes, index and every value), and
:func:`environment` the code and library versions; a key over both names the result, which
:func:`keep` stores and :func:`read` finds again (``analysis.config.rendered``), so a rerun of
unchanged figures and tables draws none of them, as showyourwork keeps slow steps apart from what
only restyles. The files are content-addressed: a kept file is never changed, only added or pruned.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
from pathlib import Path

from analysis.files import atomic_write_bytes


class Unkeyable(Exception):
    """An argument no key can be taken from (a function, an object of unknown kind)."""


def canonical(value):
    """A complete, JSON-able description of an argument: frames by their columns, dtypes (a category's
    order included), index and every value; :class:`Unkeyable` for anything else."""
    import numpy as np
    import pandas as pd

    if value is None or isinstance(value, (bool, int, float, str, np.generic)):
        return [type(value).__name__, repr(value)]
    if value is pd.NA or value is pd.NaT:
        return ["missing", repr(value)]
    if isinstance(value, pd.DataFrame):
        return ["frame", [repr(c) for c in value.columns], [repr(d) for d in value.dtypes],
                value.to_csv(lineterminator="\n")]
    if isinstance(value, pd.Series):
        return ["series", repr(value.name), repr(value.dtype), value.to_csv(lineterminator="\n")]
    if isinstance(value, (list, tuple)):
        return [type(value).__name__, [canonical(v) for v in value]]
    if isinstance(value, dict):
        return ["dict", [[canonical(k), canonical(v)] for k, v in value.items()]]
    if isinstance(value, (set, frozenset)):
        return ["set", sorted(json.dumps(canonical(v)) for v in value)]
    raise Unkeyable(type(value).__name__)


@functools.lru_cache(maxsize=8)
def environment(distributions: tuple[str, ...], *files: str) -> str:
    """A hash of the package's code, the versions of ``distributions`` and the bytes of ``files``
    (a font, say): what draws, besides the arguments."""
    from importlib.metadata import PackageNotFoundError, version

    h = hashlib.sha256(code_fingerprint(Path(__file__).resolve().parent).encode())
    for dist in distributions:
        try:
            h.update(f"{dist}={version(dist)}".encode())
        except PackageNotFoundError:
            h.update(f"{dist}=absent".encode())
    for f in files:
        h.update(Path(f).name.encode() + Path(f).read_bytes())
    return h.hexdigest()


def code_fingerprint(folder: Path) -> str:
    """A hash of every Python module under ``folder`` (subpackages included), by path and content."""
    folder = Path(folder)
    h = hashlib.sha256()
    for p in sorted(folder.rglob("*.py")):
        if "__pycache__" not in p.parts:
            h.update(p.relative_to(folder).as_posix().encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def key(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def read(folder: Path | None, name: str | None, suffix: str, whole=lambda data: True) -> bytes | None:
    """The file kept as ``name``, or None (none kept, no folder, or not ``whole``: a file cut short).
    A use touches it: the run prunes what was used longest ago first."""
    if folder is None or name is None:
        return None
    path = folder / name[:2] / f"{name}{suffix}"
    try:
        data = path.read_bytes()
    except OSError:
        return None
    if not whole(data):
        return None
    with contextlib.suppress(OSError):
        os.utime(path)
    return data


def keep(folder: Path | None, name: str | None, suffix: str, data: bytes) -> bool:
    """Keep ``data`` as ``name``; whether it was kept (a folder that cannot be written only costs the
    next run time)."""
    if folder is None or name is None:
        return False
    try:
        atomic_write_bytes(folder / name[:2] / f"{name}{suffix}", data)
    except OSError:
        return False
    return True
