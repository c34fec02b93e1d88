"""The data package: the cited source datasets in ``data/`` as validated, typed DataFrames.

The schema of every dataset is declared once, as a Frictionless Data Package
(``data/datapackage.json``, Table Schema: types, constraints, primary and foreign
keys). :func:`load` validates the CSV against it and refuses to return anything
that violates it: the error names the file, row, column and rule. Nothing is
coerced or dropped silently. Every function takes the declaration's path and
defaults to the one of :func:`analysis.config.datapackage`.
"""

from __future__ import annotations

import functools
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING

from analysis import config
from analysis.errors import DataError
from analysis.files import atomic_write_bytes, atomic_write_text

if TYPE_CHECKING:
    import pandas as pd

_PANDAS_TYPES = {"string": "string", "integer": "Int64", "number": "Float64", "boolean": "boolean"}


def _package(datapackage: Path | None) -> Path:
    return Path(datapackage) if datapackage is not None else config.datapackage()


def descriptor(datapackage: Path | None = None) -> dict:
    """The parsed declaration (cached until the next :func:`validate_package`)."""
    return _read_descriptor(_package(datapackage))


def forget_descriptors() -> None:
    """Drop the cached declarations (after a declaration changed on disk)."""
    _read_descriptor.cache_clear()


@functools.lru_cache(maxsize=4)
def _read_descriptor(path: Path) -> dict:
    try:
        desc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise DataError(f"{path} is missing: the data package declaration is needed to load any dataset") from exc
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise DataError(f"{path} is not valid JSON: {exc}") from exc
    problem = _shape_problem(desc)
    if problem:
        raise DataError(f"{path} is not a data package declaration: {problem}")
    return desc


def _shape_problem(desc) -> str:
    """What of the declaration's shape this module relies on is wrong ('' when nothing is).

    Only the keys read here before Frictionless validates (names, paths, fields: the cache
    key and the fingerprints need them on every run); Frictionless checks the rest
    (:func:`validate_package`).
    """
    def kind(value) -> str:
        return {dict: "an object", list: "a list", str: "a string"}.get(type(value), type(value).__name__)

    if not isinstance(desc, dict):
        return f"the top level must be an object, not {kind(desc)}"
    resources = desc.get("resources")
    if "resources" not in desc:
        return "it has no 'resources' list"
    if not isinstance(resources, list):
        return f"'resources' must be a list of resources, not {kind(resources)}"
    for i, res in enumerate(resources):
        where = f"resource {i + 1}" + (f" ({res['name']!r})" if isinstance(res, dict) and isinstance(res.get("name"), str) else "")
        if not isinstance(res, dict):
            return f"{where} must be an object, not {kind(res)}"
        for key in ("name", "path"):
            if not isinstance(res.get(key), str) or not res[key]:
                return f"{where} has no {key!r} (a non-empty string)"
        fields = res.get("schema", {}).get("fields") if isinstance(res.get("schema"), dict) else None
        if not isinstance(fields, list) or not all(isinstance(f, dict) and isinstance(f.get("name"), str) for f in fields):
            return f"{where} has no 'schema' with a list of 'fields', each with a 'name'"
    return ""


def dataset_names(datapackage: Path | None = None) -> list[str]:
    """Names of every declared dataset, in declaration order."""
    return [r["name"] for r in descriptor(datapackage)["resources"]]


def resource_descriptor(name: str, datapackage: Path | None = None) -> dict:
    """The declared resource (path, schema, description) of dataset ``name``."""
    for res in descriptor(datapackage)["resources"]:
        if res["name"] == name:
            return res
    raise DataError(f"unknown dataset {name!r}; declared datasets: {', '.join(dataset_names(datapackage))}")


def dataset_path(name: str, datapackage: Path | None = None) -> Path:
    return _package(datapackage).parent / resource_descriptor(name, datapackage)["path"]


def _fingerprint(datapackage: Path) -> str:
    """Hash of the declaration and every CSV: validation results are reused only for identical bytes."""
    h = hashlib.sha256(Path(datapackage).read_bytes())
    for res in descriptor(datapackage)["resources"]:
        p = Path(datapackage).parent / res["path"]
        h.update(res["path"].encode())
        h.update(p.read_bytes() if p.exists() else b"<missing>")
    external = Path(datapackage).parent / "external"
    if external.is_dir():
        _hash_external(h, external, sorted(d.name for d in external.iterdir() if d.is_dir()))
    return h.hexdigest()


def _not_utf8(path: Path, name: str) -> str:
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return f"data/{name}: not UTF-8 text (line {line}: byte {data[exc.start]:#x}); save it as UTF-8"
    return ""


def _format_error(err: dict, base: Path) -> str:
    path = err.get("resource_path") or "?"
    where = [f"{Path(path).relative_to(base.parent) if Path(path).is_absolute() else 'data/' + path}"]
    if err.get("rowNumber") is not None:
        where.append(f"row {err['rowNumber']}")
    if err.get("fieldName"):
        where.append(f"column {err['fieldName']!r}")
    return f"{', '.join(where)}: {err.get('type', 'error')}: {err.get('note') or err.get('message')}"


def validate_package(datapackage: Path | None = None) -> list[str]:
    """Validate every dataset (types, constraints, primary and foreign keys).

    Returns a list of error messages, each naming file, row, column and rule;
    empty when the package is valid. Results are cached by content hash, so a
    second call on unchanged files costs a few milliseconds.
    """
    datapackage = _package(datapackage)
    forget_descriptors()
    desc = descriptor(datapackage)
    missing = [r["path"] for r in desc["resources"] if not (datapackage.parent / r["path"]).exists()]
    if missing:
        return [f"data/{p}: file is missing (declared in {datapackage.name})" for p in missing]
    key = _fingerprint(datapackage)
    stamp = datapackage.parent / ".validated"
    if stamp.exists() and stamp.read_text().strip() == key:
        return []
    # Frictionless reports a file in another encoding under each dataset whose foreign keys read it
    not_utf8 = [msg for r in desc["resources"] if (msg := _not_utf8(datapackage.parent / r["path"], r["path"]))]
    if not_utf8:
        return not_utf8
    from frictionless import FrictionlessException, Package, system

    errors: list[str] = []
    with system.use_context(trusted=True):
        try:
            package = Package(str(datapackage))
        except FrictionlessException as exc:  # a declaration of the right shape that Frictionless still refuses
            return [f"{datapackage}: not a valid data package: {' '.join(exc.error.message.split())}"]
        for resource in package.resources:
            report = resource.validate()
            for task in report.tasks:
                for err in task.errors:
                    e = err.to_dict()
                    e["resource_path"] = resource.path
                    errors.append(_format_error(e, datapackage))
            for err in report.errors:
                errors.append(f"data/{resource.path}: {err.type}: {err.note}")
    if not errors:
        try:
            atomic_write_text(stamp, key)
        except OSError:
            pass  # a read-only data folder: validation is only repeated next time
    return errors


def _typed(frame: pd.DataFrame, schema: dict, path: Path) -> pd.DataFrame:
    import pandas as pd  # here: validation, fingerprints and the registry do not need it, and it costs every command

    out = {}
    for field in schema["fields"]:
        name, kind = field["name"], field["type"]
        if name not in frame.columns:
            raise DataError(f"{path}: column {name!r} is declared but missing")
        col = frame[name].replace("", pd.NA)
        if kind == "boolean":
            col = col.map({"true": True, "false": False, "True": True, "False": False}, na_action="ignore")
        elif kind in ("integer", "number"):
            col = pd.to_numeric(col)
        out[name] = col.astype(_PANDAS_TYPES.get(kind, "string"))
    extra = [c for c in frame.columns if c not in out]
    if extra:
        raise DataError(f"{path}: column(s) {extra} are not declared in the schema")
    return pd.DataFrame(out)


def _validated(datapackage: Path) -> None:
    errors = validate_package(datapackage)
    if errors:
        shown = "\n  ".join(errors[:20])
        more = f"\n  ... and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise DataError(f"data package {datapackage} is invalid ({len(errors)} errors):\n  {shown}{more}")


def _read(name: str, datapackage: Path) -> pd.DataFrame:
    import pandas as pd

    res = resource_descriptor(name, datapackage)
    path = Path(datapackage).parent / res["path"]
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    return _typed(frame, res["schema"], path)


def load(name: str, datapackage: Path | None = None) -> pd.DataFrame:
    """Return dataset ``name`` as a typed DataFrame, after validating the package.

    Raises :class:`DataError` naming file, row, column and rule on any schema
    violation anywhere in the package (foreign keys tie the datasets together,
    so one bad file makes every load fail loudly rather than half-work).
    """
    datapackage = _package(datapackage)
    resource_descriptor(name, datapackage)
    _validated(datapackage)
    return _read(name, datapackage)


REGION_COLUMNS = ("region_id", "area")


def data_fingerprint(region_ids=None, datapackage: Path | None = None) -> str:
    """Hash of the data a notebook run depends on.

    ``region_ids=None``: every byte of the package. Otherwise: the declaration,
    every dataset without a region column (vocabularies, errata ...), and, of the
    datasets with one, only the rows whose region is in ``region_ids`` -- so a
    change to one region's rows does not invalidate the other regions' results.
    """
    datapackage = _package(datapackage)
    if region_ids is None:
        return _fingerprint(datapackage)
    wanted = set(region_ids)
    h = hashlib.sha256(datapackage.read_bytes())
    for res in descriptor(datapackage)["resources"]:
        p = datapackage.parent / res["path"]
        h.update(res["path"].encode())
        if not p.exists():
            h.update(b"<missing>")
            continue
        cols = [f["name"] for f in res["schema"]["fields"] if f["name"] in REGION_COLUMNS]
        if not cols:
            h.update(p.read_bytes())
            continue
        stat = p.stat()
        header, rows, by_region = _rows_by_region(str(p), tuple(cols), stat.st_mtime_ns, stat.st_size)
        h.update(header)
        for i in sorted(set().union(*(by_region.get(r, ()) for r in wanted))):
            h.update(rows[i])
    _hash_external(h, datapackage.parent / "external", sorted(wanted))
    return h.hexdigest()


@functools.lru_cache(maxsize=64)
def _rows_by_region(path: str, cols: tuple[str, ...], mtime_ns: int, size: int):
    """A dataset's header, its rows (as the bytes hashed) and, per region id, the rows that name it: read once
    per file version, since a run fingerprints every region's rows of the same files."""
    import csv

    rows: list[bytes] = []
    by_region: dict[str, list[int]] = {}
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, [])
        idx = [header.index(c) for c in cols if c in header]
        for row in reader:
            named = {row[i] for i in idx if i < len(row)}
            if named:
                for r in named:
                    by_region.setdefault(r, []).append(len(rows))
                rows.append("\x1f".join(row).encode())
    return ",".join(header).encode(), rows, by_region


def _hash_external(h, external: Path, region_ids) -> None:
    """Statistics Norway extracts (``fetch-ssb``) are data too: a refresh invalidates the region's results."""
    for rid in region_ids:
        folder = external / rid
        if folder.is_dir():
            for f in sorted(folder.rglob("*")):
                if f.is_file() and not f.name.startswith("."):
                    h.update(str(f.relative_to(external)).encode())
                    h.update(f.read_bytes())


def load_all(datapackage: Path | None = None) -> dict[str, pd.DataFrame]:
    """Every dataset, typed, after one validation of the package.

    Every notebook of a run loads the same package, so the typed frames are kept in
    ``data/.cache/`` under the package's content hash and the pandas version: a changed byte
    in any file, or another pandas, reads the CSVs again.
    """
    import pickle

    import pandas as pd

    datapackage = _package(datapackage)
    _validated(datapackage)
    cache = datapackage.parent / ".cache" / f"typed-{_fingerprint(datapackage)[:24]}-pandas-{pd.__version__}.pkl"
    if cache.exists():
        try:
            return pickle.loads(cache.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
            pass  # a damaged or foreign cache file: read the CSVs
    frames = {name: _read(name, datapackage) for name in dataset_names(datapackage)}
    try:
        for old in cache.parent.glob("typed-*.pkl"):
            old.unlink()
        atomic_write_bytes(cache, pickle.dumps(frames, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        pass  # a read-only data folder: the next load reads the CSVs again
    return frames


def fields(name: str, datapackage: Path | None = None) -> list[dict]:
    return resource_descriptor(name, datapackage)["schema"]["fields"]
