"""How long does `python -m analysis run` take, against what a user would write by hand?

    python benchmarks/bench_pipeline.py [--quick] [--fixtures] [--jobs N] [--no-scale] [--pairs-only]

One run on one machine, over every (notebook, region) pair:

(a) baseline: a sequential loop of ``papermill`` CLI calls, one per pair;
(b) ``run`` cold (outputs cleared; median of 3);  (c) ``run`` warm (nothing changed);
(d) ``run`` after one region's data changed (which pairs reran is recorded);
(e) side by side, the region notebooks of two regions (horten and kongsberg: 8 pairs):
a sequential ``papermill`` loop against ``run --force`` with ``--jobs`` workers, once with an
empty figure cache (every figure drawn) and once with the figures that run kept;
(f) each notebook's own work: the median seconds its code cells ran (papermill's
per-cell timings, so kernel start-up is not in it), in the loop and in ``run``;
floor: the cost of one notebook that only starts a kernel and imports the libraries,
with a stock kernel and with a forked one, run one at a time;
scale: N synthetic regions (ids ``synthetic-0001``…, generated here, never written to
``data/``) x the fixture probe notebook, with the local pool and a Dask LocalCluster:
time per pair and the orchestrator's peak memory for each N.

The real notebooks run against a copy of ``data/`` (ANALYSIS_DATA) with outputs in a
temporary folder, so the repository is not touched. ``--fixtures`` (automatic when
notebooks/ is empty) uses tests/fixtures instead. Results: benchmarks/results/*.json.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "fixtures"))
RESULTS = ROOT / "benchmarks" / "results"
PY = sys.executable
FIXTURE_REGIONS = ("alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta")
IMPORTS = ("import numpy, pandas, scipy.stats, matplotlib.pyplot, seaborn, statsmodels.api\n"
           "import analysis.data, analysis.regions")


def _env(**extra) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.update({k: str(v) for k, v in extra.items()})
    return env


def _timed(cmd: list[str], env: dict, cwd: Path = ROOT) -> tuple[float, subprocess.CompletedProcess]:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True, check=False)
    return time.perf_counter() - t0, done


def _totals(stdout: str) -> dict:
    for line in stdout.splitlines():
        if line.startswith("total"):
            ran, reused, failed = (int(x) for x in line.split()[1:4])
            return {"ran": ran, "reused": reused, "failed": failed}
    return {}


def _keys(outputs: Path) -> dict[str, str]:
    from analysis.pipeline import stored_cache

    return {p.relative_to(outputs).as_posix(): (stored_cache(p) or {}).get("key", "")
            for p in sorted(outputs.glob("*/*.ipynb"))}


# --------------------------------------------------------------------------- the two setups


class RealSetup:
    """The repository's notebooks, on a copy of data/, outputs in a temporary folder."""

    label = "real notebooks"

    def __init__(self, work: Path, jobs: int):
        from analysis import config

        self.work, self.jobs = work, jobs
        # A snapshot of the code and notebooks: edits to the working tree while the
        # benchmark runs (they change every cache key) must not turn (c) into a cold run.
        self.repo = work / "repo"
        for folder in ("analysis", "notebooks"):
            shutil.copytree(ROOT / folder, self.repo / folder, ignore=shutil.ignore_patterns("__pycache__"))
        self.data = self.repo / "data"
        shutil.copytree(config.data_dir(), self.data, ignore=shutil.ignore_patterns(".validated"))
        self.outputs = work / "outputs"
        self.env = _env(ANALYSIS_DATA=self.data, ANALYSIS_OUTPUTS=self.outputs, ANALYSIS_SEEDS=config.seeds_dir(),
                        ANALYSIS_NOTEBOOKS=self.repo / "notebooks")
        self.env["PYTHONPATH"] = os.pathsep.join(p for p in (str(self.repo), os.environ.get("PYTHONPATH")) if p)
        from analysis.pipeline import discover_notebooks
        from analysis.data.regions import case_regions

        self.notebooks_dir = self.repo / "notebooks"
        self.notebooks = discover_notebooks(self.notebooks_dir)
        self.regions = [r.region_id for r in case_regions(self.data / "regions.csv")]

    def run_cmd(self, *extra: str) -> list[str]:
        return [PY, "-m", "analysis", "run", "--jobs", str(self.jobs), *extra]

    def run_code(self, regions: list[str]) -> str:
        """Python that builds the Project ``run`` uses (folders from the environment) as ``project``."""
        return "from analysis.pipeline import Project\nproject = Project()"

    def region_notebook_names(self) -> list[str]:
        return [nb.name for nb in self.notebooks.values() if nb.scope == "region"]

    def pair_regions(self) -> list[str]:
        wanted = [r for r in ("horten", "kongsberg") if r in self.regions]
        return wanted if len(wanted) == 2 else self.regions[:2]

    @property
    def cwd(self) -> Path:
        return self.repo

    def prevalidate(self) -> None:
        code = ("import sys; from pathlib import Path; from analysis.data import validate_package as v; "
                f"sys.exit(bool(v(Path({str(self.data / 'datapackage.json')!r}))))")
        subprocess.run([PY, "-c", code], env=self.env, check=True)

    def change_one_region(self) -> str:
        """Edit a free-text cell of one region's row: that region's data fingerprint changes."""
        for name in ("population", "history_events", "indicators", "case_content"):
            path = self.data / f"{name}.csv"
            if not path.exists():
                continue
            rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
            header = rows[0]
            text_cols = [c for c in ("notes", "description", "event", "item") if c in header]
            if not text_cols or "region_id" not in header:
                continue
            col, rid = header.index(text_cols[0]), header.index("region_id")
            for row in rows[1:]:
                if row[rid] in self.regions:
                    row[col] = (row[col] + " (benchmark edit)").strip()
                    with path.open("w", encoding="utf-8", newline="") as fh:
                        csv.writer(fh, lineterminator="\n").writerows(rows)
                    return row[rid]
        raise RuntimeError("found no region row to edit")


class FixtureSetup:
    """tests/fixtures/notebooks (probe + summary) for eight fixture regions."""

    label = "fixture notebooks"

    def __init__(self, work: Path, jobs: int):
        from pipeline_project import make_project

        from analysis.pipeline import discover_notebooks

        self.work, self.jobs = work, jobs
        self.project = make_project(work, regions=FIXTURE_REGIONS)
        self.data, self.outputs = work / "data", Path(self.project.outputs_dir)
        self.notebooks_dir = Path(self.project.notebooks_dir)
        self.notebooks = discover_notebooks(self.notebooks_dir)
        self.regions = list(FIXTURE_REGIONS)
        self.env = _env(ANALYSIS_OUTPUTS=self.outputs)

    def run_cmd(self, *extra: str) -> list[str]:
        cmd = [PY, str(ROOT / "tests" / "fixtures" / "pipeline_project.py"), str(self.work), "--jobs", str(self.jobs)]
        for r in self.regions:
            cmd += ["--region", r]
        return cmd + list(extra)

    def run_code(self, regions: list[str]) -> str:
        return (f"import sys\nsys.path.insert(0, {str(ROOT / 'tests' / 'fixtures')!r})\n"
                "from pipeline_project import make_project\n"
                f"project = make_project({str(self.work)!r}, regions={tuple(self.regions)!r})")

    def region_notebook_names(self) -> list[str]:
        return [nb.name for nb in self.notebooks.values() if nb.scope == "region"]

    def pair_regions(self) -> list[str]:
        return self.regions[:2]

    def prevalidate(self) -> None:
        from analysis.data import validate_package

        validate_package(self.data / "datapackage.json")

    def change_one_region(self) -> str:
        path = self.data / "values.csv"
        path.write_text(path.read_text().replace("beta,2001,4.0", "beta,2001,4.25"))
        return "beta"


# --------------------------------------------------------------------------- measurements


def cell_seconds(path: Path) -> float | None:
    """Seconds the code cells of an executed notebook ran, from papermill's per-cell timings."""
    try:
        cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError):
        return None
    durations = [c.get("metadata", {}).get("papermill", {}).get("duration") for c in cells if c["cell_type"] == "code"]
    return sum(d for d in durations if isinstance(d, int | float))


def baseline(setup, jupyter_dir: Path, regions: list[str] | None = None, cross_region: bool = True,
             name: str = "baseline") -> dict:
    """(a) What a user writes: one papermill CLI call per pair, in a loop (``regions``: only these)."""
    from analysis.pipeline.kernels import write_kernelspec

    write_kernelspec(jupyter_dir, None)  # the stock `tech-towns` kernel, registered or not
    out = setup.work / name
    env = {**setup.env, "JUPYTER_PATH": str(jupyter_dir), "ANALYSIS_OUTPUTS": str(out)}
    papermill = str(Path(PY).parent / "papermill")
    times, failed, cells = [], 0, {}
    t0 = time.perf_counter()
    for nb in setup.notebooks.values():
        if nb.scope != "region" and not cross_region:
            continue
        targets = (regions or setup.regions) if nb.scope == "region" else ["cross-region"]
        for region in targets:
            (out / region).mkdir(parents=True, exist_ok=True)
            cmd = [papermill, str(nb.path), str(out / region / f"{nb.name}.ipynb"), "-k", "tech-towns",
                   "-p", "output_dir", str(out / region), "--cwd", str(nb.path.parent), "--no-progress-bar"]
            cmd += ["-p", "region", region] if nb.scope == "region" else ["-y", json.dumps({"regions": setup.regions})]
            secs, done = _timed(cmd, env, cwd=getattr(setup, "cwd", ROOT))
            times.append(secs)
            failed += done.returncode != 0
            cells.setdefault(nb.name, {})[region] = cell_seconds(out / region / f"{nb.name}.ipynb")
    return {"seconds": time.perf_counter() - t0, "pairs": len(times), "failed": failed,
            "per_pair_median": statistics.median(times), "cell_seconds": cells}


def forced_run(setup, regions: list[str], figures: Path) -> dict:
    """``run --force`` of ``regions`` (region notebooks only) in a fresh process; wall time and per-pair results.

    Through the pipeline's Python API rather than the CLI so that the per-pair results,
    with each notebook's cell timings taken before they are neutralised, come back.
    ``figures`` is the cache of drawn figures and tables the notebooks use (ANALYSIS_RENDERED): empty, all are drawn.
    """
    code = setup.run_code(regions) + (
        "\nimport json, time\nfrom analysis.pipeline import run\nt0 = time.perf_counter()\n"
        f"report = run(project, regions={list(regions)!r}, notebooks={setup.region_notebook_names()!r}, force=True, "
        f"jobs={setup.jobs}, progress=False)\n"
        "print(json.dumps({'run_seconds': time.perf_counter() - t0, 'results': report.results}))\n")
    secs, done = _timed([PY, "-c", code], {**setup.env, "ANALYSIS_RENDERED": str(figures)}, cwd=getattr(setup, "cwd", ROOT))
    if done.returncode:
        raise RuntimeError(f"run failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    cells: dict[str, dict[str, float]] = {}
    for r in out["results"]:
        cells.setdefault(r["notebook"], {})[r["region"]] = r["cell_seconds"]
    return {"seconds": secs, "run_seconds": out["run_seconds"], "pairs": len(out["results"]),
            "failed": sum(r["status"] == "failed" for r in out["results"]), "cell_seconds": cells}


def side_by_side(setup, jupyter_dir: Path, regions: list[str]) -> dict:
    """(e) and (f): the same pairs as a sequential papermill loop (a first run: every figure drawn) and as
    ``run --force`` twice: first with an empty figure cache (every figure drawn, as in the loop), then again
    with the figures the first one kept (what a rerun of unchanged figures costs)."""
    loop = baseline(setup, jupyter_dir, regions=regions, cross_region=False, name="pairs-loop")
    print(f"  (e) papermill loop over {loop['pairs']} pairs {loop['seconds']:.1f} s", flush=True)
    figures = setup.work / "pairs-figures"
    shutil.rmtree(figures, ignore_errors=True)
    drawn = forced_run(setup, regions, figures)
    print(f"  (e) run --force over {drawn['pairs']} pairs, figures drawn {drawn['seconds']:.1f} s", flush=True)
    kept = forced_run(setup, regions, figures)
    print(f"  (e) run --force over {kept['pairs']} pairs, figures kept {kept['seconds']:.1f} s", flush=True)
    return {"regions": regions, "loop": loop, "run": drawn, "run_kept": kept}


def pipeline_run(setup, *extra: str) -> dict:
    secs, done = _timed(setup.run_cmd(*extra), setup.env, cwd=getattr(setup, "cwd", ROOT))
    totals = _totals(done.stdout)
    if not totals:
        raise RuntimeError(f"run failed: {done.stdout}\n{done.stderr}")
    return {"seconds": secs, **totals, "exit": done.returncode}


def floor(jobs_dir: Path) -> dict:
    """Kernel start + imports of one notebook, one at a time, stock and forked kernel."""
    import nbformat

    from analysis.pipeline import Project, run

    nbs = jobs_dir / "floor-notebooks"
    nbs.mkdir(parents=True)
    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "tech-towns", "display_name": "Python (tech-towns)", "language": "python"},
                   "analysis": {"scope": "region", "title": "Imports only", "order": 1}}
    nb.cells = [nbformat.v4.new_code_cell('region = "x"\noutput_dir = ""', metadata={"tags": ["parameters"]}),
                nbformat.v4.new_code_cell(IMPORTS)]
    nbformat.write(nb, nbs / "imports-only.ipynb")
    regions = {f"floor-{i}": () for i in range(5)}
    out = {}
    for fork in (False, True):
        project = Project(notebooks_dir=nbs, outputs_dir=jobs_dir / f"floor-{fork}", regions=regions,
                          fingerprint=lambda ids: "floor", validate=list)
        report = run(project, jobs=1, force=True, progress=False, fork=fork)
        secs = [r["seconds"] for r in report.results]
        # the first forked kernel waits for the template's own imports
        out["fork" if fork else "stock"] = statistics.median(secs[1:] if fork else secs)
    return out


def _peak_rss_mb() -> float:
    """Peak resident memory of this process. VmHWM, not ru_maxrss: Linux carries ru_maxrss
    over exec, so a child would report the benchmark process's own peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def scale_one(n: int, engine: str, work: Path, jobs: int) -> dict:
    """In a fresh process: N synthetic regions x probe; wall per pair and peak orchestrator memory."""
    from pipeline_project import NOTEBOOKS

    from analysis.pipeline import Project, run

    nbs = work / "nbs"
    nbs.mkdir(parents=True)
    shutil.copy(NOTEBOOKS / "probe.ipynb", nbs / "probe.ipynb")
    regions = {f"synthetic-{i:04d}": () for i in range(1, n + 1)}
    project = Project(notebooks_dir=nbs, outputs_dir=work / "outputs", regions=regions,
                      fingerprint=lambda ids: hashlib.sha256(repr(ids).encode()).hexdigest(), validate=list)
    t0 = time.perf_counter()
    report = run(project, jobs=jobs, progress=False, scheduler="local" if engine == "dask" else None)
    wall = time.perf_counter() - t0
    rss = _peak_rss_mb()
    return {"n": n, "engine": engine, "seconds": wall, "per_pair": wall / n, "ran": report.count("ran"),
            "failed": report.count("failed"), "orchestrator_max_rss_mb": rss}


def scale(ns: list[int], jobs: int, work: Path) -> list[dict]:
    rows = []
    for engine in ("pool", "dask"):
        for n in ns:
            d = work / f"scale-{engine}-{n}"
            done = subprocess.run([PY, __file__, "--scale-one", str(n), engine, str(d), "--jobs", str(jobs)],
                                  capture_output=True, text=True, env=_env(), check=False)
            if done.returncode:
                raise RuntimeError(f"scale {engine} {n} failed:\n{done.stderr[-3000:]}")
            rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"  scale {engine:<5} N={n:<4} {rows[-1]['per_pair']:.3f} s/pair, "
                  f"{rows[-1]['orchestrator_max_rss_mb']:.0f} MB", flush=True)
            shutil.rmtree(d, ignore_errors=True)
    return rows


# --------------------------------------------------------------------------- report


# the targets on 2 cores (issue: one analysis library, fast notebooks)
COLD_TARGET = 0.10  # a cold full run, as a share of the sequential papermill loop
WARM_TARGET = 0.5  # seconds for a run with nothing to do
PAIRS_TARGET = 0.15  # run --force for two regions, as a share of the papermill loop over the same pairs
OWN_WORK_TARGET = 1.0  # median seconds of a notebook's own cells


def _median(values) -> float:
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else float("nan")


def pairs_table(res: dict) -> list[str]:
    """(e) and (f) as lines of the printed table."""
    e = res["pairs"]
    loop, drawn, kept = e["loop"], e["run"], e.get("run_kept")
    runs = [("figures drawn", drawn)] + ([("figures from the cache", kept)] if kept else [])
    lines = [f"(e) the same {loop['pairs']} pairs ({', '.join(e['regions'])} x region notebooks), jobs={res['jobs']}",
             f"{'    papermill CLI loop, sequential':<44}{loop['seconds']:>9.1f}{1.0:>12.2f}  {loop['pairs']}/0/{loop['failed']}"]
    for label, r in runs:
        lines.append(f"{'    run --force, ' + label:<44}{r['seconds']:>9.1f}{r['seconds'] / loop['seconds']:>12.3f}  "
                     f"{r['pairs']}/0/{r['failed']}")
    lines += ["(f) each notebook's own work: median seconds of its code cells (papermill's cell timings, no kernel start)",
              f"    {'notebook':<28}{'papermill loop':>16}{'run, drawn':>12}{'run, cached':>13}{'regions':>9}"]
    full = (res.get("baseline") or {}).get("cell_seconds", {})
    order = res["region_notebooks"] + res["cross_notebooks"]  # reading order, not the order pairs finished in
    for name, by_region in sorted(drawn["cell_seconds"].items(), key=lambda kv: order.index(kv[0])):
        looped = full.get(name) or loop["cell_seconds"].get(name, {})
        cached = (kept or {}).get("cell_seconds", {}).get(name, {})
        lines.append(f"    {name:<28}{_median(looped.values()):>16.2f}{_median(by_region.values()):>12.2f}"
                     f"{_median(cached.values()):>13.2f}{len(by_region):>9}")
    for name, by_region in full.items():  # notebooks only the full loop ran (cross-region)
        if name not in drawn["cell_seconds"]:
            lines.append(f"    {name:<28}{_median(by_region.values()):>16.2f}{'':>12}{'':>13}{len(by_region):>9}")
    for label, r in runs:
        ratio = r["seconds"] / loop["seconds"]
        worst = max((_median(v.values()) for v in r["cell_seconds"].values()), default=float("nan"))
        lines.append(f"targets ({label}): run --force <= {PAIRS_TARGET:.2f} x the loop: "
                     f"{'met' if ratio <= PAIRS_TARGET else 'NOT met'} ({ratio:.3f}); each notebook's own work <= "
                     f"{OWN_WORK_TARGET} s median: {'met' if worst <= OWN_WORK_TARGET else 'NOT met'} (slowest {worst:.2f} s)")
    return lines


def table(res: dict) -> str:
    if res.get("cold") is None:  # --pairs-only
        return "\n".join([f"Pipeline benchmark ({res['setup']}, jobs={res['jobs']}, {res['cores']} cores, {res['date']})",
                          f"{'step':<44}{'seconds':>9}{'x loop':>12}  ran/reused/failed", *pairs_table(res)])
    a, b, c, d = (res[k] for k in ("baseline", "cold", "warm", "changed"))
    base = a["seconds"] if a else float("nan")
    lines = [
        (f"Pipeline benchmark ({res['setup']}, {res['pair_count']} pairs, jobs={res['jobs']}, {res['cores']} cores, "
         f"{res['date']})"),
        f"{'step':<44}{'seconds':>9}{'x baseline':>12}  ran/reused/failed",
    ]
    if a:
        lines.append(f"{'(a) papermill CLI loop (baseline)':<44}{base:>9.1f}{1.0:>12.2f}  {a['pairs']}/0/{a['failed']}")
    for label, r in (("(b) run, cold", b), ("(c) run, warm (nothing changed)", c),
                     (f"(d) run, {res['changed_region']} data changed", d)):
        lines.append(f"{label:<44}{r['seconds']:>9.2f}{r['seconds'] / base:>12.3f}  "
                     f"{r['ran']}/{r['reused']}/{r['failed']}")
    if len(res.get("cold_runs", [])) > 1:
        lines.append(f"(b) cold is the median of {len(res['cold_runs'])} runs: "
                     f"{', '.join(f'{s:.2f}' for s in res['cold_runs'])} s")
    lines.append(f"(d) reran: {', '.join(res['changed_pairs']) or '-'}")
    fl = res["floor"]
    lines.append(f"per notebook: baseline {a['per_pair_median'] if a else float('nan'):.2f} s (median CLI call); "
                 f"cold run {b['seconds'] / res['pair_count']:.2f} s wall/pair; floor (kernel start + imports) "
                 f"stock {fl['stock']:.2f} s, forked {fl['fork']:.2f} s")
    targets = [(f"cold <= {COLD_TARGET:.2f} x baseline: {'met' if b['seconds'] <= COLD_TARGET * base else 'NOT met'} "
                f"({b['seconds'] / base:.3f})"),
               f"warm <= {WARM_TARGET} s: {'met' if c['seconds'] <= WARM_TARGET else 'NOT met'} ({c['seconds']:.2f} s)"]
    region = res["changed_region"]
    expected = {f"{region}/{nb}.ipynb" for nb in res["region_notebooks"]} | {
        f"cross-region/{nb}.ipynb" for nb in res["cross_notebooks"]}
    targets.append(f"(d) reruns only {region} + cross-region: {'met' if set(res['changed_pairs']) == expected else 'NOT met'}")
    lines.append("targets: " + "; ".join(targets))
    if res.get("pairs"):
        lines += pairs_table(res)
    if res.get("scale"):
        lines.append(f"{'scale (synthetic regions x probe)':<36}{'N':>6}{'s/pair':>9}{'peak MB':>9}")
        for s in res["scale"]:
            lines.append(f"  {s['engine']:<34}{s['n']:>6}{s['per_pair']:>9.3f}{s['orchestrator_max_rss_mb']:>9.0f}")
        for engine in ("pool", "dask"):
            rows = sorted((s for s in res["scale"] if s["engine"] == engine), key=lambda s: s["n"])
            if len(rows) > 1:
                lines.append(f"  {engine}: N x{rows[-1]['n'] / rows[0]['n']:.0f} -> s/pair x"
                             f"{rows[-1]['per_pair'] / rows[0]['per_pair']:.2f}, memory x"
                             f"{rows[-1]['orchestrator_max_rss_mb'] / rows[0]['orchestrator_max_rss_mb']:.2f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="fixture regions only for scale (N = 10, 25), no repeats")
    p.add_argument("--fixtures", action="store_true", help="use tests/fixtures instead of notebooks/")
    p.add_argument("--jobs", type=int, default=None, help="workers (default: one per core)")
    p.add_argument("--no-scale", action="store_true")
    p.add_argument("--no-baseline", action="store_true")
    p.add_argument("--pairs-only", action="store_true",
                   help="only (e) and (f): two regions' pairs as a papermill loop and as run --force, cell timings")
    p.add_argument("--scale-one", nargs=3, metavar=("N", "ENGINE", "DIR"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    from analysis.pipeline import default_jobs

    jobs = args.jobs or default_jobs()
    if args.scale_one:
        n, engine, d = args.scale_one
        print(json.dumps(scale_one(int(n), engine, Path(d), jobs)))
        return 0
    fixtures = args.fixtures or not list((ROOT / "notebooks").glob("*.ipynb"))
    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    try:
        setup = (FixtureSetup if fixtures else RealSetup)(work, jobs)
        pairs = sum(len(setup.regions) if nb.scope == "region" else 1 for nb in setup.notebooks.values())
        print(f"benchmark: {setup.label}, {pairs} pairs, jobs={jobs}; work in {work}", flush=True)
        setup.prevalidate()
        res = {"setup": setup.label, "pair_count": pairs, "jobs": jobs, "cores": os.cpu_count(),
               "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "python": platform.python_version(),
               "machine": platform.machine()}
        res["region_notebooks"] = [nb.name for nb in setup.notebooks.values() if nb.scope == "region"]
        res["cross_notebooks"] = [nb.name for nb in setup.notebooks.values() if nb.scope != "region"]
        if args.pairs_only:
            res.update(cold=None, baseline=None, pairs=side_by_side(setup, work / "jupyter", setup.pair_regions()))
            _write(res, f"pipeline-{'fixtures' if fixtures else 'real'}-pairs")
            return 0
        res["baseline"] = None if args.no_baseline else baseline(setup, work / "jupyter")
        if res["baseline"]:
            print(f"  (a) baseline {res['baseline']['seconds']:.1f} s", flush=True)
        repeats = 1 if args.quick else 3
        colds = []
        for _ in range(repeats):  # a 20 s run is more exposed to the machine's noise than the loop
            shutil.rmtree(setup.outputs, ignore_errors=True)
            colds.append(pipeline_run(setup))
            print(f"  (b) cold {colds[-1]['seconds']:.1f} s", flush=True)
        res["cold"] = sorted(colds, key=lambda r: r["seconds"])[len(colds) // 2]  # the median run
        res["cold_runs"] = [r["seconds"] for r in colds]
        res["warm"] = min((pipeline_run(setup) for _ in range(repeats)), key=lambda r: r["seconds"])
        print(f"  (c) warm {res['warm']['seconds']:.2f} s", flush=True)
        before = _keys(setup.outputs)
        res["changed_region"] = setup.change_one_region()
        res["changed"] = pipeline_run(setup)
        after = _keys(setup.outputs)
        res["changed_pairs"] = sorted(k for k in after if before.get(k) != after[k])
        print(f"  (d) changed {res['changed']['seconds']:.1f} s", flush=True)
        res["pairs"] = side_by_side(setup, work / "jupyter", setup.pair_regions())
        res["floor"] = floor(work)
        if not args.no_scale:
            res["scale"] = scale([10, 25] if args.quick else [25, 100, 400], jobs, work)
        _write(res, f"pipeline-{'fixtures' if fixtures else 'real'}{'-quick' if args.quick else ''}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def _write(res: dict, name: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(res, indent=1) + "\n")
    text = table(res)
    (RESULTS / f"{name}.txt").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    sys.exit(main())
