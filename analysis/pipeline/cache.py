"""When can a pair's stored output be reused? Its cache key, and the checks on what is stored.

A pair's key is a sha256 over everything its output depends on: the notebook's cells,
its parameters, the data its region reads, the source of ``analysis/``, the versions of
:data:`~analysis.pipeline.environment.KEY_PACKAGES` and, for a cross-region notebook, the
region findings it reads. The executed notebook carries the key in
``metadata.analysis.cache`` with its status, the artefacts it wrote and, for each, its size
and sha256 (``digests``), so a file changed on disk since (a notebook run by hand into
``outputs/``, an edit) makes the pair run again.
"""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path
from typing import TYPE_CHECKING

from analysis.kept import code_fingerprint
from analysis.pipeline.environment import package_versions

if TYPE_CHECKING:
    from analysis.pipeline.planning import Pair

PENDING_SUFFIX = ".pending"


def versions() -> dict[str, str]:
    """Python and the key packages' versions, as they enter the cache key."""
    return {"python": platform.python_version(),
            **{name: version or "absent" for name, version in package_versions().items()}}


def source_fingerprint(source_dir: Path) -> str:
    """Hash of every module of the package (subpackages included)."""
    return code_fingerprint(source_dir)


def cache_key(pair: Pair, data_fp: str, source_fp: str, versions: dict, inputs_fp: str = "") -> str:
    """sha256 over everything a pair's output depends on (output_dir is not: it is where, not what)."""
    payload = {
        "notebook": pair.notebook.source_hash,
        "parameters": pair.parameters,
        "data": data_fp,
        "analysis": source_fp,
        "versions": versions,
        "inputs": inputs_fp,
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def inputs_fingerprint(outputs_dir: Path, regions: list[str]) -> str:
    """The region findings a cross-region notebook reads."""
    h = hashlib.sha256()
    for r in regions:
        p = output_dir(outputs_dir, r) / "findings.json"
        h.update(r.encode() + (p.read_bytes() if p.exists() else b"<missing>"))
    return h.hexdigest()


def output_dir(outputs_dir: Path, region: str) -> Path:
    return Path(outputs_dir) / region


def output_notebook(outputs_dir: Path, pair: Pair) -> Path:
    return output_dir(outputs_dir, pair.region) / f"{pair.notebook.name}.ipynb"


def pending_marker(notebook: Path) -> Path:
    """Exists while a pair's files are being moved into place."""
    return notebook.with_name(f".{notebook.name}{PENDING_SUFFIX}")


def stored_cache(path: Path) -> dict | None:
    """The ``analysis.cache`` record of an executed notebook, or None if unreadable."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        return nb["metadata"]["analysis"]["cache"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def file_sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def digests(folder: Path, artefacts: list[str]) -> dict[str, dict]:
    """Size and sha256 of each artefact (paths relative to ``folder``), as the cache record keeps them."""
    out = {}
    for rel in artefacts:
        path = Path(folder) / rel
        out[rel] = {"size": path.stat().st_size, "sha256": file_sha256(path)}
    return out


def own_artefacts(folder: Path, name: str) -> set[str]:
    """Files in ``folder`` that belong to notebook ``name`` by the naming contract (``<name>--*``)."""
    own = set()
    for sub in ("figures", "tables"):
        own |= {f"{sub}/{p.name}" for p in (folder / sub).glob(f"{name}--*") if p.is_file()}
    if (folder / "findings" / f"{name}.json").is_file():
        own.add(f"findings/{name}.json")
    return own


def unchanged(folder: Path, artefacts: list[str], recorded: dict) -> bool:
    """Every artefact is there with the size and sha256 recorded when it was published.

    Every file is hashed on every check, not only those whose mtime moved: all artefacts
    of all pairs are about 11 MB (15 ms of sha256 on 2 cores, less than reading the
    notebooks' records), and a copy that keeps mtimes (``cp -p``, ``rsync -t``) is caught too.
    """
    for rel in artefacts:
        expected = recorded.get(rel)
        try:
            size = (folder / rel).stat().st_size
        except OSError:
            return False
        if not isinstance(expected, dict) or size != expected.get("size"):
            return False
        if file_sha256(folder / rel) != expected.get("sha256"):
            return False
    return True


def is_fresh(outputs_dir: Path, pair: Pair) -> bool:
    """Reuse only a complete, successful output made with the same key, its files as they were published."""
    path = output_notebook(outputs_dir, pair)
    if pending_marker(path).exists():
        return False  # a run was killed while moving this pair's files
    record = stored_cache(path)
    if not record or record.get("status") != "ok" or record.get("key") != pair.key:
        return False
    base, artefacts = path.parent, record.get("artefacts", [])
    if own_artefacts(base, pair.notebook.name) - set(artefacts):
        return False  # files of this notebook that its run did not make: another run wrote here
    return unchanged(base, artefacts, record.get("digests") or {})
