"""Run the parameterized notebooks for every region: papermill runs, cache, parallel execution.

One *pair* is a notebook and the region it runs for; a cross-region notebook is one
pair with the pseudo-region ``cross-region`` and runs after the region pairs it reads.
:func:`run` goes in a straight line:

1. :func:`plan` validates everything first (ids, notebooks, parameters, the data
   package); bad input raises :class:`InputError` before anything is run or written.
2. Each pair gets a :func:`cache_key`; a pair whose stored output carries the same key,
   status ``ok``, no pending marker and all its recorded artefacts is reused.
3. The other pairs run in a local process pool or on a Dask cluster
   (:func:`execute_pair`), one fresh kernel per notebook (forked from a template that
   has done the imports, see :mod:`analysis.kernels`; each worker starts its next
   kernel while its current notebook runs), each into a private staging folder; the artefacts and then
   the executed notebook (carrying the key) are moved into ``outputs/<region>/`` with
   ``os.replace``, so a killed run leaves every file either the previous version or
   the new one, never half of either.
4. Per region, ``findings/*.json`` are merged into ``findings.json``; cross-region
   notebooks run last.

Everything that depends on the repository layout comes in through :class:`Project`,
so the tests and the benchmark's synthetic regions run without ``data/``.
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from analysis.config import DATAPACKAGE, KERNEL_NAME, NOTEBOOKS_DIR, OUTPUTS_DIR, PROJ_ROOT
from analysis.files import atomic_write_text

CROSS_REGION = "cross-region"
STAGING = ".staging"
PENDING_SUFFIX = ".pending"
KEY_PACKAGES = ("pandas", "numpy", "matplotlib", "seaborn", "statsmodels", "papermill")
ARTEFACT_DIRS = ("figures", "tables", "findings")
# papermill parameters the pipeline sets itself; user -p values may not override them
RESERVED = ("region", "regions", "output_dir")


class InputError(ValueError):
    """Bad input to a run: unknown or malformed id, malformed parameter, broken notebook, bad data."""


# --------------------------------------------------------------------------- inputs


def check_slug(value: str, what: str) -> str:
    from analysis.regions import SLUG_RE

    if not isinstance(value, str) or not SLUG_RE.match(value):
        raise InputError(
            f"{what} {value!r} is not a plain slug (lowercase letters, digits and '-', 2-40 chars, starting with a letter)"
        )
    return value


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


def _cell_source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _parameters_of(source: str, path: Path) -> dict:
    try:
        tree = ast.parse(source)
    except SyntaxError as exc:
        raise InputError(f"{path}: the parameters cell is not valid Python: {exc.msg} (line {exc.lineno})") from None
    params = {}
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        for t in targets:
            if isinstance(t, ast.Name):
                try:
                    params[t.id] = ast.literal_eval(node.value) if node.value is not None else None
                except ValueError:
                    params[t.id] = None
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
    if scope not in ("region", CROSS_REGION):
        raise InputError(f"{path}: metadata analysis.scope is {scope!r}; expected 'region' or 'cross-region'")
    parameters = _parameters_of(_cell_source(param_cells[0]), path)
    needed = ("region", "output_dir") if scope == "region" else ("output_dir", "regions")
    missing = [p for p in needed if p not in parameters]
    if missing:
        raise InputError(f"{path}: the parameters cell does not define {', '.join(missing)} (a {scope} notebook needs {', '.join(needed)})")
    h = hashlib.sha256()
    for cell in cells:
        h.update(json.dumps([cell.get("cell_type"), _cell_source(cell), cell.get("metadata", {}).get("tags", [])]).encode())
    return Notebook(name=name, path=path, scope=scope, title=meta.get("title", name), order=int(meta.get("order", 999)),
                    parameters=parameters, source_hash=h.hexdigest())


def discover_notebooks(notebooks_dir: Path) -> dict[str, Notebook]:
    """All notebooks of the project, in their metadata order."""
    found = [read_notebook(p) for p in sorted(Path(notebooks_dir).glob("*.ipynb")) if not p.name.startswith(".")]
    return {nb.name: nb for nb in sorted(found, key=lambda nb: (nb.order, nb.name))}


def parse_parameter(text: str) -> tuple[str, object]:
    """``name=value`` from the command line; value is a Python literal, else a string."""
    name, sep, raw = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise InputError(f"malformed parameter {text!r}: expected name=value with a Python identifier as name")
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw
    return name, value


# --------------------------------------------------------------------------- project and plan


@dataclass
class Project:
    """Everything a run reads from the repository, explicit so tests can substitute it."""

    notebooks_dir: Path = NOTEBOOKS_DIR
    outputs_dir: Path = OUTPUTS_DIR
    regions: dict[str, tuple[str, ...]] | None = None  # case region -> reference areas; None: data/regions.csv
    fingerprint: Callable[[list[str] | None], str] | None = None  # None: analysis.data.data_fingerprint
    validate: Callable[[], list[str]] | None = None  # None: analysis.data.validate_package
    source_dir: Path = PROJ_ROOT / "analysis"
    env: dict[str, str] = field(default_factory=dict)  # extra environment for the kernels

    def case_regions(self) -> dict[str, tuple[str, ...]]:
        if self.regions is None:
            from analysis.regions import RegionError, case_regions

            try:
                self.regions = {r.region_id: r.reference_areas for r in case_regions()}
            except (RegionError, OSError, KeyError) as exc:
                raise InputError(f"cannot read the region registry: {exc}") from None
        return self.regions

    def data_fingerprint(self, region_ids: list[str] | None) -> str:
        if self.fingerprint is not None:
            return self.fingerprint(region_ids)
        from analysis.data import data_fingerprint

        return data_fingerprint(region_ids)

    def validate_data(self) -> list[str]:
        if self.validate is not None:
            return self.validate()
        if not DATAPACKAGE.exists():
            return [f"{DATAPACKAGE}: file is missing"]
        from analysis.data import DataError, validate_package

        try:
            return validate_package()
        except DataError as exc:
            return [str(exc)]


@dataclass
class Pair:
    """One notebook run: a notebook for a region (or once across regions)."""

    notebook: Notebook
    region: str  # region id, or CROSS_REGION
    parameters: dict  # what papermill injects, except output_dir
    key: str = ""

    @property
    def label(self) -> str:
        return f"{self.notebook.name}[{self.region}]"


@dataclass
class Plan:
    project: Project
    region_pairs: list[Pair]
    cross_pairs: list[Pair]


def plan(project: Project, regions: Iterable[str] = (), notebooks: Iterable[str] = (), parameters: Iterable[str] = ()) -> Plan:
    """Check every input and return the pairs to consider; raises :class:`InputError`.

    Nothing is run or written here. ``regions``/``notebooks`` empty: all of them.
    Cross-region notebooks are included when no region was chosen, or when named.
    """
    regions, notebooks = list(regions), list(notebooks)
    for r in regions:
        check_slug(r, "region id")
    for n in notebooks:
        check_slug(n, "notebook name")
    user_params = dict(parse_parameter(p) for p in parameters)
    reserved = [p for p in user_params if p in RESERVED]
    if reserved:
        raise InputError(f"parameter {reserved[0]!r} is set by the pipeline; choose regions with --region")
    if not Path(project.notebooks_dir).is_dir():
        raise InputError(f"notebook folder {project.notebooks_dir} does not exist")
    available = discover_notebooks(project.notebooks_dir)
    if not available:
        raise InputError(f"no notebooks in {project.notebooks_dir}")
    unknown = [n for n in notebooks if n not in available]
    if unknown:
        raise InputError(f"unknown notebook {unknown[0]!r}; valid notebooks: {', '.join(available)}")
    case = project.case_regions()
    unknown = [r for r in regions if r not in case]
    if unknown:
        raise InputError(f"unknown region {unknown[0]!r}; valid regions: {', '.join(case) or '(none)'}")
    chosen = [available[n] for n in (notebooks or available)]
    chosen.sort(key=lambda nb: (nb.order, nb.name))
    for name in user_params:
        if not any(name in nb.parameters for nb in chosen):
            raise InputError(f"unknown parameter {name!r}; the chosen notebooks take: "
                             f"{', '.join(sorted({p for nb in chosen for p in nb.parameters} - set(RESERVED)))}")
    errors = project.validate_data()
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InputError(f"{errors[0]}{more}")
    region_ids = list(dict.fromkeys(regions)) or list(case)
    region_pairs, cross_pairs = [], []
    for nb in chosen:
        own = {k: v for k, v in user_params.items() if k in nb.parameters}
        if nb.scope == "region":
            region_pairs += [Pair(nb, r, {"region": r, **own}) for r in region_ids]
        elif not regions or notebooks:
            cross_pairs.append(Pair(nb, CROSS_REGION, {"regions": region_ids, **own}))
    # Region by region keeps one region's outputs complete early; notebooks in their order.
    region_pairs.sort(key=lambda p: (region_ids.index(p.region), p.notebook.order, p.notebook.name))
    return Plan(project, region_pairs, cross_pairs)


# --------------------------------------------------------------------------- cache


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for name in KEY_PACKAGES:
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "absent"
    return out


def source_fingerprint(source_dir: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(Path(source_dir).glob("*.py")):
        h.update(p.name.encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


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


def output_dir(outputs_dir: Path, region: str) -> Path:
    return Path(outputs_dir) / region


def output_notebook(outputs_dir: Path, pair: Pair) -> Path:
    return output_dir(outputs_dir, pair.region) / f"{pair.notebook.name}.ipynb"


def stored_cache(path: Path) -> dict | None:
    """The ``analysis.cache`` record of an executed notebook, or None if unreadable."""
    try:
        nb = json.loads(Path(path).read_text(encoding="utf-8"))
        return nb["metadata"]["analysis"]["cache"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_fresh(outputs_dir: Path, pair: Pair) -> bool:
    """Reuse only a complete, successful output made with the same key."""
    path = output_notebook(outputs_dir, pair)
    if path.with_name(f".{path.name}{PENDING_SUFFIX}").exists():
        return False  # a run was killed while moving this pair's files
    record = stored_cache(path)
    if not record or record.get("status") != "ok" or record.get("key") != pair.key:
        return False
    base = path.parent
    return all((base / rel).is_file() for rel in record.get("artefacts", []))


# --------------------------------------------------------------------------- one pair (runs in a worker)


def _neutralise(nb: dict, kernelspec: dict | None) -> None:
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


def _artefacts(staging: Path, notebook_file: str) -> list[str]:
    out = []
    for p in sorted(staging.rglob("*")):
        rel = p.relative_to(staging).as_posix()
        if p.is_file() and rel != notebook_file and not p.name.startswith("."):
            out.append(rel)
    return out


def _own_artefacts(final: Path, name: str) -> set[str]:
    """Files in ``final`` that belong to notebook ``name`` by the naming contract."""
    own = set()
    for sub in ("figures", "tables"):
        own |= {f"{sub}/{p.name}" for p in (final / sub).glob(f"{name}--*") if p.is_file()}
    if (final / "findings" / f"{name}.json").is_file():
        own.add(f"findings/{name}.json")
    return own


def publish(staging: Path, final: Path, name: str, nb: dict, artefacts: list[str]) -> None:
    """Move a pair's staged artefacts, then its notebook, into ``final`` (each with os.replace).

    A pending marker exists while files move: if the run dies in between, the pair is
    not reused. Files of an earlier run of this notebook that this run did not make
    are removed once the notebook is in place.
    """
    final.mkdir(parents=True, exist_ok=True)
    marker = final / f".{name}.ipynb{PENDING_SUFFIX}"
    marker.touch()
    old = stored_cache(final / f"{name}.ipynb") or {}
    for rel in artefacts:
        (final / rel).parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging / rel, final / rel)
    atomic_write_text(final / f"{name}.ipynb", json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
    stale = (_own_artefacts(final, name) | set(old.get("artefacts", []))) - set(artefacts)
    for rel in stale:
        with contextlib.suppress(OSError):
            (final / rel).unlink()
    marker.unlink()


def _worker_init() -> None:
    from analysis.kernels import _die_with_parent

    _die_with_parent()
    # jsonschema imports rfc3987_syntax (1.1 s) for format checks nbformat never uses.
    sys.modules.setdefault("rfc3987_syntax", None)
    import atexit

    atexit.register(_stop_ready_kernels)


def _quiet_worker(log_dir: str | None) -> None:
    """Send this worker's (and so its kernels') stdout/stderr to a log file, once.

    Kernels inherit the worker's file descriptors; their start-up and shutdown chatter
    would otherwise interleave with the progress bar. Errors are in the notebooks.
    """
    import logging

    logging.getLogger("papermill").setLevel(logging.ERROR)  # "Passed unknown parameter" etc.
    if not log_dir or os.environ.get("_ANALYSIS_WORKER_LOG") == log_dir or not os.path.isdir(log_dir):
        return
    os.environ["_ANALYSIS_WORKER_LOG"] = log_dir
    fd = os.open(os.path.join(log_dir, f"worker-{os.getpid()}.log"), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)


def _use_kernelspec(task: dict) -> None:
    from analysis import kernels

    jupyter_dir = Path(task["jupyter_dir"])
    if not (jupyter_dir / "kernels" / KERNEL_NAME / "kernel.json").exists():
        # a remote Dask worker: no template here; a stock kernel of this interpreter
        jupyter_dir = Path(tempfile.gettempdir()) / f"analysis-stock-kernel-{os.getuid()}"
        kernels.write_kernelspec(jupyter_dir, None)
    # First on JUPYTER_PATH: this run's spec shadows a registered `tech-towns`.
    os.environ["JUPYTER_PATH"] = str(jupyter_dir)


# One kernel per worker started ahead of its next notebook (see _next_kernel).
_READY: dict[tuple, object] = {}


def _start_kernel(cwd: str):
    from jupyter_core.utils import run_sync

    from analysis.kernels import kernel_manager_class

    km = kernel_manager_class()(kernel_name=KERNEL_NAME)
    run_sync(km.start_kernel)(cwd=cwd)
    return km


def _next_kernel(task: dict):
    """This pair's kernel, started while the worker's previous pair ran; start the next one now.

    Kernel start-up (process, fork or imports, ipykernel set-up) then overlaps with the
    notebook before it. Each kernel still serves exactly one notebook.
    """
    from jupyter_core.utils import run_sync

    key = (task["cwd"], task["jupyter_dir"], json.dumps(task["env"], sort_keys=True))
    km = _READY.pop(key, None)
    if km is not None and not run_sync(km.is_alive)():
        _stop_kernel(km, now=True)
        km = None
    for stale in list(_READY):  # another run's kernel (a long-lived Dask worker)
        _stop_kernel(_READY.pop(stale), now=True)
    if km is None:
        km = _start_kernel(task["cwd"])
    # Only beside the orchestrator: its template (and these kernels) end with the run. A
    # remote Dask worker would keep an idle stock kernel until its next task.
    if Path(task["jupyter_dir"]).is_dir():
        with contextlib.suppress(Exception):  # only an optimisation
            _READY[key] = _start_kernel(task["cwd"])
    return km


def _stop_kernel(km, now: bool = False) -> None:
    from jupyter_core.utils import run_sync

    for kc in getattr(km, "clients", []):
        with contextlib.suppress(Exception):
            kc.stop_channels()
    with contextlib.suppress(Exception):
        if run_sync(km.is_alive)():
            run_sync(km.shutdown_kernel)(now=now)
    with contextlib.suppress(Exception):
        run_sync(km.cleanup_resources)()


def _stop_ready_kernels() -> None:
    while _READY:
        _stop_kernel(_READY.popitem()[1], now=True)


def execute_pair(task: dict) -> dict:
    """Run one pair with papermill and publish its outputs; never raises for a notebook error.

    ``task`` is a plain dict (it crosses process and machine boundaries): notebook,
    input, region, parameters, key, outputs_dir, cwd, jupyter_dir, env, timeout.
    Returns notebook, region, status ("ran" | "failed"), seconds, error, output.
    """
    t0 = time.perf_counter()
    sys.modules.setdefault("rfc3987_syntax", None)
    os.environ.update(task["env"])
    _quiet_worker(task.get("log_dir"))
    _use_kernelspec(task)
    name, region = task["notebook"], task["region"]
    outputs = Path(task["outputs_dir"])
    staging = outputs / STAGING / region / name
    final = output_dir(outputs, region)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    staged_nb = staging / f"{name}.ipynb"
    error = None
    km = None
    try:
        import papermill

        km = _next_kernel(task)
        papermill.execute_notebook(
            # relative to the kernel's working directory: the stored notebook names no machine's paths
            task["input"], str(staged_nb), parameters={**task["parameters"], "output_dir": os.path.relpath(staging, task["cwd"])},
            kernel_name=KERNEL_NAME, progress_bar=False, log_output=False, cwd=task["cwd"],
            execution_timeout=task.get("timeout"), start_timeout=120, km=km,
            request_save_on_cell_execute=False,  # one write at the end, not two per cell
        )
    except Exception as exc:  # noqa: BLE001 - any failure is recorded with the pair, the others go on
        error = _describe(exc)
    finally:
        if km is not None:
            _stop_kernel(km)  # nbclient leaves a kernel it did not start running
    source = json.loads(Path(task["input"]).read_text(encoding="utf-8"))
    try:
        nb = json.loads(staged_nb.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        nb = source
        error = error or "papermill wrote no notebook"
        nb["cells"].insert(0, {"cell_type": "markdown", "id": "pipeline-error", "metadata": {},
                               "source": f"**This notebook did not run:** {error}"})
    with contextlib.suppress(OSError):
        staged_nb.unlink()
    _neutralise(nb, source.get("metadata", {}).get("kernelspec"))
    pm = nb.get("metadata", {}).get("papermill")
    if isinstance(pm, dict):
        pm["input_path"] = os.path.relpath(task["input"], outputs.parent)
        pm["output_path"] = os.path.relpath(final / f"{name}.ipynb", outputs.parent)
    artefacts = _artefacts(staging, staged_nb.name)
    record = {"key": task["key"], "status": "failed" if error else "ok", "artefacts": artefacts}
    if error:
        record["error"] = error
    nb.setdefault("metadata", {}).setdefault("analysis", {})["cache"] = record
    publish(staging, final, name, nb, artefacts)
    shutil.rmtree(staging, ignore_errors=True)
    return {"notebook": name, "region": region, "status": "failed" if error else "ran",
            "seconds": round(time.perf_counter() - t0, 3), "error": error, "output": str(final / f"{name}.ipynb")}


def _describe(exc: Exception) -> str:
    ename, evalue = getattr(exc, "ename", None), getattr(exc, "evalue", None)
    if ename:
        where = getattr(exc, "exec_count", None)
        cell = f"cell [{where}]: " if where else ""
        return f"{cell}{ename}: {evalue}".strip()
    text = str(exc).strip().splitlines()
    return f"{exc.__class__.__name__}: {text[0] if text else ''}"


# --------------------------------------------------------------------------- executors


class LocalExecutor:
    """A process pool; workers are spawned (not forked) so they inherit no lock or thread."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.pool = self._new_pool()

    def _new_pool(self):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        return ProcessPoolExecutor(max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_init)

    def map_unordered(self, tasks: list[dict]) -> Iterator[dict]:
        from concurrent.futures import as_completed
        from concurrent.futures.process import BrokenProcessPool

        try:
            futures = {self.pool.submit(execute_pair, t): t for t in tasks}
        except BrokenProcessPool:  # a worker died in an earlier phase (killed, out of memory)
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = self._new_pool()
            futures = {self.pool.submit(execute_pair, t): t for t in tasks}
        for fut in as_completed(futures):
            yield _result(fut, futures[fut])

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor:
    """Pairs as Dask tasks: ``local`` starts a LocalCluster, otherwise connect to ``address``."""

    def __init__(self, address: str, jobs: int):
        import logging

        from distributed import Client, LocalCluster

        self.cluster = None
        if address == "local":
            self.cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=":0",
                                        silence_logs=logging.ERROR)
            self.client = Client(self.cluster)
        else:
            self.client = Client(address, timeout="20s")

    def map_unordered(self, tasks: list[dict]) -> Iterator[dict]:
        from distributed import as_completed

        futures = {}
        for t in tasks:
            fut = self.client.submit(execute_pair, t, pure=False, key=f"pair-{t['notebook']}-{t['region']}-{t['key'][:8]}")
            futures[fut.key] = (fut, t)
        for fut in as_completed([f for f, _ in futures.values()]):
            _, task = futures.pop(fut.key)
            result = _result(fut, task)
            fut.release()  # the scheduler forgets finished pairs: memory stays flat in N
            yield result

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def _result(fut, task: dict) -> dict:
    try:
        return fut.result()
    except Exception as exc:  # noqa: BLE001 - a dead worker fails its pair, not the run
        return {"notebook": task["notebook"], "region": task["region"], "status": "failed", "seconds": 0.0,
                "error": f"worker error: {_describe(exc)}", "output": ""}


# --------------------------------------------------------------------------- the run


@dataclass
class Report:
    results: list[dict]
    seconds: float
    kernel: str  # "fork" | "stock" | "none"

    def count(self, status: str) -> int:
        return sum(r["status"] == status for r in self.results)

    @property
    def failed(self) -> list[dict]:
        return [r for r in self.results if r["status"] == "failed"]

    def table(self) -> str:
        """Per notebook: ran, reused, failed, seconds; then the failures, one line each."""
        rows: dict[str, list] = {}
        for r in self.results:
            row = rows.setdefault(r["notebook"], [0, 0, 0, 0.0])
            row[("ran", "reused", "failed").index(r["status"])] += 1
            row[3] += r["seconds"]
        lines = [f"{'notebook':<28}{'ran':>6}{'reused':>8}{'failed':>8}{'seconds':>10}"]
        for name, (ran, reused, failed, secs) in rows.items():
            lines.append(f"{name:<28}{ran:>6}{reused:>8}{failed:>8}{secs:>10.1f}")
        lines.append(f"{'total':<28}{self.count('ran'):>6}{self.count('reused'):>8}{self.count('failed'):>8}"
                     f"{self.seconds:>10.1f}  (wall, kernel: {self.kernel})")
        for r in self.failed:
            lines.append(f"FAILED {r['notebook']} [{r['region']}]: {r['error']}  -> {r['output']}")
        return "\n".join(lines)


@contextlib.contextmanager
def _run_lock(outputs_dir: Path):
    import fcntl

    outputs_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(outputs_dir / ".run.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise InputError(f"another run is writing {outputs_dir} (lock {outputs_dir / '.run.lock'})") from None
        yield
    finally:
        os.close(fd)


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
        atomic_write_text(target, text)


def _inputs_fingerprint(outputs_dir: Path, regions: list[str]) -> str:
    """The region findings a cross-region notebook reads."""
    h = hashlib.sha256()
    for r in regions:
        p = output_dir(outputs_dir, r) / "findings.json"
        h.update(r.encode() + (p.read_bytes() if p.exists() else b"<missing>"))
    return h.hexdigest()


def default_jobs() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def run(project: Project, regions: Iterable[str] = (), notebooks: Iterable[str] = (), parameters: Iterable[str] = (),
        jobs: int | None = None, force: bool = False, scheduler: str | None = None, fork: bool = True,
        progress: bool = True, timeout: float | None = None) -> Report:
    """Validate, then run every pair that is not fresh; see the module docstring."""
    t0 = time.perf_counter()
    the_plan = plan(project, regions, notebooks, parameters)
    outputs = Path(project.outputs_dir).resolve()
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise InputError(f"--jobs must be at least 1, not {jobs}")
    versions, source_fp = _versions(), source_fingerprint(project.source_dir)
    region_fp: dict[str, str] = {}
    case = project.case_regions()
    for pair in the_plan.region_pairs:
        if pair.region not in region_fp:
            region_fp[pair.region] = project.data_fingerprint([pair.region, *case.get(pair.region, ())])
        pair.key = cache_key(pair, region_fp[pair.region], source_fp, versions)
    results: list[dict] = []
    with _run_lock(outputs), _Engine(project, outputs, jobs, scheduler, fork) as engine:
        shutil.rmtree(outputs / STAGING, ignore_errors=True)  # left by a killed run
        engine.run(the_plan.region_pairs, force, results, progress, timeout)
        for region in dict.fromkeys(p.region for p in the_plan.region_pairs):
            merge_findings(output_dir(outputs, region))
        if the_plan.cross_pairs:
            data_all = project.data_fingerprint(None)
            for pair in the_plan.cross_pairs:
                pair.key = cache_key(pair, data_all, source_fp, versions, _inputs_fingerprint(outputs, pair.parameters["regions"]))
            engine.run(the_plan.cross_pairs, force, results, progress, timeout)
            merge_findings(output_dir(outputs, CROSS_REGION))
        shutil.rmtree(outputs / STAGING, ignore_errors=True)
        kernel = engine.kernel
    return Report(results, round(time.perf_counter() - t0, 3), kernel)


def _remove_orphaned_run_dirs(base: str) -> None:
    """Temporary folders of runs that were killed (their pid is gone)."""
    for d in Path(base).glob("analysis-run-*-*"):
        try:
            pid = int(d.name.split("-")[2])
            os.kill(pid, 0)
        except ProcessLookupError:
            shutil.rmtree(d, ignore_errors=True)
        except (ValueError, IndexError, PermissionError, OSError):
            continue


class _Engine:
    """Starts the executor and the kernel template lazily: a run with nothing to do starts neither."""

    def __init__(self, project: Project, outputs: Path, jobs: int, scheduler: str | None, fork: bool):
        self.project, self.outputs, self.jobs, self.scheduler, self.fork = project, outputs, jobs, scheduler, fork
        self.executor = self.template = self.tmp = None
        self.kernel = "none"
        self.quiet = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.executor is not None:
            self.executor.close()
        if self.template is not None:
            self.template.stop()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def _start(self) -> None:
        from analysis import kernels

        # short path: unix socket names are limited to ~100 bytes
        base = "/tmp" if os.path.isdir("/tmp") else tempfile.gettempdir()
        _remove_orphaned_run_dirs(base)
        self.tmp = Path(tempfile.mkdtemp(prefix=f"analysis-run-{os.getpid()}-", dir=base))
        self.env = {
            "ANALYSIS_OUTPUTS": str(self.outputs),
            "ANALYSIS_IPC_DIR": str(self.tmp),
            "PYTHONPATH": os.pathsep.join(p for p in (str(PROJ_ROOT), os.environ.get("PYTHONPATH")) if p),
            **self.project.env,
        }
        socket_path = self.tmp / "template.sock" if self.fork else None
        if self.fork:
            preload = kernels.notebook_imports(sorted(Path(self.project.notebooks_dir).glob("*.ipynb")))
            self.template = kernels.Template(socket_path, self.tmp / "template.log", env={**os.environ, **self.env},
                                             preload=preload)
        kernels.write_kernelspec(self.tmp / "jupyter", socket_path)
        self.kernel = "fork" if self.fork else "stock"
        if self.scheduler:
            self.executor = DaskExecutor(self.scheduler, self.jobs)
        else:
            self.executor = LocalExecutor(self.jobs)

    def run(self, pairs: list[Pair], force: bool, results: list[dict], progress: bool, timeout: float | None) -> None:
        todo = []
        for pair in pairs:
            if not force and is_fresh(self.outputs, pair):
                results.append({"notebook": pair.notebook.name, "region": pair.region, "status": "reused",
                                "seconds": 0.0, "error": None, "output": str(output_notebook(self.outputs, pair))})
            else:
                todo.append(pair)
        if not todo:
            return
        if self.executor is None:
            self._start()
        tasks = [{
            "notebook": p.notebook.name, "input": str(Path(p.notebook.path).resolve()), "region": p.region,
            "parameters": p.parameters, "key": p.key, "outputs_dir": str(self.outputs),
            "cwd": str(Path(p.notebook.path).resolve().parent), "jupyter_dir": str(self.tmp / "jupyter"),
            "env": self.env, "timeout": timeout, "log_dir": str(self.tmp) if self.quiet else None,
        } for p in todo]
        from tqdm import tqdm

        with tqdm(total=len(tasks), disable=not progress, unit="nb", file=sys.stderr, leave=False) as bar:
            for result in self.executor.map_unordered(tasks):
                results.append(result)
                bar.set_postfix_str(f"{result['notebook']}[{result['region']}] {result['status']}", refresh=False)
                bar.update(1)


__all__ = ["CROSS_REGION", "InputError", "Notebook", "Pair", "Plan", "Project", "Report", "cache_key", "discover_notebooks",
           "execute_pair", "is_fresh", "merge_findings", "plan", "read_notebook", "run"]
