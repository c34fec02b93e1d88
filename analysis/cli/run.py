"""Commands that run the notebooks: run, list, setup-kernel."""

from __future__ import annotations

import argparse
from pathlib import Path

from analysis import config
from analysis.cli.registry import command


@command("run", "execute the notebooks for every region (parallel, cached); cross-region notebooks run too "
                "when no --region is given or when named with --notebook")
def run_command(args: argparse.Namespace) -> int:
    from analysis.pipeline import Project, run, write_environment

    project = Project(notebooks_dir=args.notebooks_dir or config.notebooks_dir(),
                      outputs_dir=args.outputs_dir or config.outputs_dir())
    # progress on stderr: a bar on a terminal, a line per finished pair otherwise (analysis.progress)
    report = run(project, regions=args.region or (), notebooks=args.notebook or (), parameters=args.parameter or (),
                 jobs=args.jobs, force=args.force, scheduler=args.scheduler, fork=not args.stock_kernel,
                 progress=True, timeout=args.timeout)
    print(report.table())
    write_environment(Path(project.outputs_dir) / "environment.json")  # what produced these outputs
    return 1 if report.failed else 0


@run_command.arguments
def _run_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region", action="append", metavar="R", help="a case region (repeatable; default: all)")
    p.add_argument("--notebook", action="append", metavar="N", help="a notebook name (repeatable; default: all)")
    p.add_argument("-p", "--parameter", action="append", metavar="NAME=VALUE",
                   help="a notebook parameter; VALUE is a Python literal or else a string (repeatable)")
    p.add_argument("--jobs", "-j", type=int, default=None, help="parallel notebook runs (default: one per core)")
    p.add_argument("--force", action="store_true", help="rerun pairs whose cached output is current")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on Dask: tcp://host:port of an existing scheduler, or 'local' for a LocalCluster")
    p.add_argument("--stock-kernel", action="store_true", help="start a fresh ipykernel per notebook (no forked kernels)")
    add_timeout_argument(p)
    p.add_argument("--notebooks-dir", type=Path, default=None, help=argparse.SUPPRESS)
    p.add_argument("--outputs-dir", type=Path, default=None, help=argparse.SUPPRESS)


def add_timeout_argument(p: argparse.ArgumentParser) -> None:
    """``--timeout``, shared by run and verify."""
    from analysis.pipeline.limits import CELL_TIMEOUT

    p.add_argument("--timeout", type=seconds, default=CELL_TIMEOUT, metavar="SECONDS",
                   help=f"seconds a cell may run before its notebook fails (default: {CELL_TIMEOUT}; "
                        "'none': no limit, for a cell that is meant to run long)")


def seconds(text: str) -> float | None:
    """A ``--timeout`` value: a number of seconds, or ``none`` for no limit (argparse names a bad one)."""
    return None if text.strip().lower() == "none" else float(text)


@command("list", "regions, notebooks, and which sections have data")
def list_command(args: argparse.Namespace) -> int:
    from analysis.data.regions import CASE_STUDY, SECTIONS, SHORT_EXAMPLE, all_regions
    from analysis.pipeline import discover_notebooks

    folder = args.notebooks_dir or config.notebooks_dir()
    notebooks = discover_notebooks(folder) if Path(folder).is_dir() else {}
    regions = all_regions()
    roles = {CASE_STUDY: "case", SHORT_EXAMPLE: "short-example"}
    by_role = {role: [r.region_id for r in regions if roles.get(r.presentation, "reference") == role]
               for role in ("case", "short-example", "reference")}
    print("Regions")
    print(f"  {len(by_role['case'])} case regions get the region notebooks (run --region R): "
          f"{', '.join(by_role['case']) or '(none)'}")
    print(f"  {len(by_role['short-example'])} short examples are shown together in the cross-region short-cases "
          f"notebook: {', '.join(by_role['short-example']) or '(none)'}")
    print(f"  {len(by_role['reference'])} reference areas (Norway, counties, groups of towns) are what the chapters "
          "compare with; they get no notebooks of their own")
    print()
    short = [s.replace("_", "-") for s in SECTIONS]
    print(f"  {'region':<22}{'role':<15}" + "".join(f"{s:<21}" for s in short) + "name")
    for r in regions:
        marks = "".join(f"{'yes' if r.sections.get(s) else '-':<21}" for s in SECTIONS)
        print(f"  {r.region_id:<22}{roles.get(r.presentation, 'reference'):<15}{marks}{r.name}")
    print("\nNotebooks")
    if not notebooks:
        print(f"  (none in {folder})")
    for nb in notebooks.values():
        print(f"  {nb.order:>3}  {nb.name:<24}{nb.scope:<14}{nb.title}")
    return 0


@list_command.arguments
def _list_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--notebooks-dir", type=Path, default=None, help=argparse.SUPPRESS)


@command("setup-kernel", "register the 'tech-towns' Jupyter kernel (idempotent)")
def setup_kernel_command(args: argparse.Namespace) -> int:
    from analysis.pipeline.kernels import install_kernelspec

    print(install_kernelspec(user=args.user))
    return 0


@setup_kernel_command.arguments
def _setup_kernel_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", action="store_true", help="install for this user instead of into the environment")
