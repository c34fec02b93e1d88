"""Publishing a pair's outputs: staged files moved into ``outputs/<region>/``, never half-written.

A worker runs each pair into a private staging folder (``outputs/.staging/<region>/<notebook>/``).
:func:`publish` then moves the artefacts and last the executed notebook (which carries
the cache key) into place with ``os.replace``, so a killed run leaves every file either
the previous version or the new one. Per region, :func:`merge_findings` joins the
notebooks' ``findings/*.json`` into ``findings.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

from analysis.files import atomic_write_text, real_folder, touch
from analysis.pipeline.cache import digests, own_artefacts, pending_marker, stored_cache

STAGING = ".staging"


def neutralise(nb: dict, kernelspec: dict | None) -> None:
    """Drop what differs from run to run (timings, timestamps) so identical runs give identical files."""
    pm = nb.get("metadata", {}).get("papermill")
    if isinstance(pm, dict):
        for k in ("start_time", "end_time", "duration"):
            if k in pm:
                pm[k] = None
        pm.pop("environment_variables", None)
    if kernelspec is not None:
        nb["metadata"]["kernelspec"] = kernelspec
    for cell in nb.get("cells", []):
        md = cell.get("metadata", {})
        if "injected-parameters" in md.get("tags", []):
            cell["id"] = "injected-parameters"  # papermill gives it a random id
        md.pop("execution", None)
        pm = md.get("papermill")
        if isinstance(pm, dict):
            for k in ("start_time", "end_time", "duration"):
                if k in pm:
                    pm[k] = None


def cell_seconds(nb: dict) -> float:
    """Seconds the notebook's code cells ran, from papermill's per-cell timings (before :func:`neutralise`)."""
    total = 0.0
    for cell in nb.get("cells", []):
        duration = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if cell.get("cell_type") == "code" and isinstance(duration, int | float):
            total += duration
    return total


def staged_artefacts(staging: Path, notebook_file: str) -> list[str]:
    """What a pair wrote into its staging folder, besides its notebook (relative paths)."""
    out = []
    for p in sorted(staging.rglob("*")):
        rel = p.relative_to(staging).as_posix()
        if p.is_file() and rel != notebook_file and not p.name.startswith("."):
            out.append(rel)
    return out


def publish(staging: Path, final: Path, name: str, nb: dict, artefacts: list[str]) -> None:
    """Move a pair's staged artefacts, then its notebook, into ``final`` (each with os.replace).

    A pending marker exists while files move: if the run dies in between, the pair is
    not reused. The notebook's cache record (``metadata.analysis.cache``) gets each
    artefact's size and sha256 (``digests``), so a later run notices a file changed on
    disk. Files of an earlier run of this notebook that this run did not make are
    removed once the notebook is in place.
    """
    record = nb.get("metadata", {}).get("analysis", {}).get("cache")
    if isinstance(record, dict):
        record["digests"] = digests(staging, artefacts)
    real_folder(final, final.parent)  # never through a link planted in outputs/
    marker = pending_marker(final / f"{name}.ipynb")
    touch(marker)
    old = stored_cache(final / f"{name}.ipynb") or {}
    for rel in artefacts:
        real_folder((final / rel).parent, final)
        os.replace(staging / rel, final / rel)
    atomic_write_text(final / f"{name}.ipynb", json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    stale = (own_artefacts(final, name) | set(old.get("artefacts", []))) - set(artefacts)
    for rel in stale:
        with contextlib.suppress(OSError):
            (final / rel).unlink()
    marker.unlink()


def merge_findings(region_dir: Path) -> None:
    """Concatenate ``findings/*.json`` (lists) into ``findings.json``, atomically, if it changed."""
    parts = sorted((region_dir / "findings").glob("*.json"))
    merged = []
    for p in parts:
        try:
            data = json.loads(p.read_text(encoding="utf-8"))
        except ValueError:
            continue  # a broken findings file belongs to a failed pair, already reported
        merged.extend(data if isinstance(data, list) else [data])
    target = region_dir / "findings.json"
    text = json.dumps(merged, indent=1, ensure_ascii=False) + "\n"
    if not parts and not target.exists():
        return
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        real_folder(region_dir, region_dir.parent)
        atomic_write_text(target, text)
