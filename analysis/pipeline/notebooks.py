"""The project's notebooks: found in the notebooks folder, described by their own metadata.

This is the one list of notebooks. A notebook's ``metadata.analysis`` says whether it
runs once per region (``scope: region``) or once across regions (``cross-region``), its
title and its reading order, and, for a cross-region notebook, whether it reads the
region notebooks' findings (``reads_region_findings``, true unless it says false). One
that reads them runs after the region notebooks and their findings enter its cache key;
one that does not runs beside them. Its ``parameters`` cell says which parameters it takes. The
pipeline, the HTML reports, the book and the tests all ask :func:`discover_notebooks`.
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from analysis import config
from analysis.cells import assignments
from analysis.errors import InputError
from analysis.names import check_slug

CROSS_REGION = "cross-region"
SCOPES = ("region", CROSS_REGION)


@dataclass(frozen=True)
class Notebook:
    """A parameterized notebook: where it is, what it runs for, which parameters it takes."""

    name: str
    path: Path
    scope: str  # "region" | "cross-region"
    title: str
    order: int
    parameters: dict  # name -> default value (None when the default is not a literal)
    source_hash: str
    reads_region_findings: bool = True  # cross-region: runs after the region pairs and is keyed by their findings


def _cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _parameters_of(source: str, path: Path) -> dict:
    try:
        assigned = assignments(source)
    except SyntaxError as exc:
        raise InputError(f"{path}: the parameters cell is not valid Python: {exc.msg} (line {exc.lineno})") from None
    params = {}
    for name, value in assigned:
        try:
            params[name] = ast.literal_eval(value) if value is not None else None
        except ValueError:
            params[name] = None
    return params


def read_notebook(path: Path) -> Notebook:
    """Read a notebook's scope, title, order and parameters (json only: importing nbformat is slow)."""
    path = Path(path)
    name = check_slug(path.stem, "notebook name")
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a readable notebook: {exc}") from None
    cells = nb.get("cells", [])
    param_cells = [c for c in cells if c.get("cell_type") == "code" and "parameters" in c.get("metadata", {}).get("tags", [])]
    if not param_cells:
        raise InputError(f"{path}: no cell is tagged 'parameters' (papermill needs one to inject the region)")
    meta = nb.get("metadata", {}).get("analysis", {})
    scope = meta.get("scope", "region")
    if scope not in SCOPES:
        raise InputError(f"{path}: metadata analysis.scope is {scope!r}; expected 'region' or 'cross-region'")
    reads = meta.get("reads_region_findings", True)
    if not isinstance(reads, bool):
        raise InputError(f"{path}: metadata analysis.reads_region_findings is {reads!r}; expected true or false")
    parameters = _parameters_of(_cell_source(param_cells[0]), path)
    needed = ("region", "output_dir") if scope == "region" else ("output_dir", "regions")
    missing = [p for p in needed if p not in parameters]
    if missing:
        raise InputError(f"{path}: the parameters cell does not define {', '.join(missing)} (a {scope} notebook needs {', '.join(needed)})")
    h = hashlib.sha256()
    for cell in cells:
        h.update(json.dumps([cell.get("cell_type"), _cell_source(cell), cell.get("metadata", {}).get("tags", [])]).encode())
    return Notebook(name=name, path=path, scope=scope, title=meta.get("title", name), order=int(meta.get("order", 999)),
                    parameters=parameters, source_hash=h.hexdigest(), reads_region_findings=reads)


def discover_notebooks(notebooks_dir: Path | None = None) -> dict[str, Notebook]:
    """All notebooks of the project, in their metadata order (default folder: :func:`config.notebooks_dir`)."""
    folder = Path(notebooks_dir) if notebooks_dir is not None else config.notebooks_dir()
    found = [read_notebook(p) for p in sorted(folder.glob("*.ipynb")) if not p.name.startswith(".")]
    return {nb.name: nb for nb in sorted(found, key=lambda nb: (nb.order, nb.name))}


def region_notebooks(notebooks_dir: Path | None = None) -> list[str]:
    """Names of the notebooks that run once per region, in reading order."""
    return [nb.name for nb in discover_notebooks(notebooks_dir).values() if nb.scope == "region"]


def cross_region_notebooks(notebooks_dir: Path | None = None) -> list[str]:
    """Names of the notebooks that run once across regions, in reading order."""
    return [nb.name for nb in discover_notebooks(notebooks_dir).values() if nb.scope == CROSS_REGION]
