"""``python -m analysis …``: the project's commands.

Each command is a :class:`Command` in :data:`COMMANDS` (name -> help, add_arguments,
handler). Another module adds one with the :func:`command` decorator::

    @command("verify", "compare findings with published values")
    def verify(args): ...

    @verify.arguments
    def _(parser): parser.add_argument("--region", action="append")

A handler returns the exit status. Bad input is one line on stderr and status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Command:
    help: str
    handler: Callable[[argparse.Namespace], int]
    add_arguments: Callable[[argparse.ArgumentParser], None] = field(default=lambda parser: None)

    def arguments(self, fn: Callable[[argparse.ArgumentParser], None]):
        self.add_arguments = fn
        return fn


COMMANDS: dict[str, Command] = {}
# Modules that register commands when imported (the lead adds theirs here).
COMMAND_MODULES: list[str] = ["analysis.commands", "analysis.regioncommands"]


def command(name: str, help: str):
    def register(fn: Callable[[argparse.Namespace], int]) -> Command:
        COMMANDS[name] = Command(help, fn)
        return COMMANDS[name]

    return register


class UsageError(Exception):
    """Bad input found by a handler: printed as one line, exit status 2."""


# --------------------------------------------------------------------------- run


@command("run", "execute the notebooks for every region (parallel, cached); cross-region notebooks run last, "
                "when no --region is given or when named with --notebook")
def run_command(args: argparse.Namespace) -> int:
    from analysis.pipeline import InputError, Project, run

    project = Project(notebooks_dir=args.notebooks_dir, outputs_dir=args.outputs_dir)
    try:
        report = run(project, regions=args.region or (), notebooks=args.notebook or (), parameters=args.parameter or (),
                     jobs=args.jobs, force=args.force, scheduler=args.scheduler, fork=not args.stock_kernel,
                     progress=sys.stderr.isatty(), timeout=args.timeout)
    except InputError as exc:
        raise UsageError(str(exc)) from None
    print(report.table())
    from analysis.verify import write_environment

    write_environment(Path(project.outputs_dir) / "environment.json")  # what produced these outputs
    return 1 if report.failed else 0


@run_command.arguments
def _run_arguments(p: argparse.ArgumentParser) -> None:
    from analysis.config import NOTEBOOKS_DIR, OUTPUTS_DIR

    p.add_argument("--region", action="append", metavar="R", help="a case region (repeatable; default: all)")
    p.add_argument("--notebook", action="append", metavar="N", help="a notebook name (repeatable; default: all)")
    p.add_argument("-p", "--parameter", action="append", metavar="NAME=VALUE",
                   help="a notebook parameter; VALUE is a Python literal or else a string (repeatable)")
    p.add_argument("--jobs", "-j", type=int, default=None, help="parallel notebook runs (default: one per core)")
    p.add_argument("--force", action="store_true", help="rerun pairs whose cached output is current")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run on Dask: tcp://host:port of an existing scheduler, or 'local' for a LocalCluster")
    p.add_argument("--stock-kernel", action="store_true", help="start a fresh ipykernel per notebook (no forked kernels)")
    p.add_argument("--timeout", type=float, default=None, help="seconds a cell may run (default: no limit)")
    p.add_argument("--notebooks-dir", type=Path, default=NOTEBOOKS_DIR, help=argparse.SUPPRESS)
    p.add_argument("--outputs-dir", type=Path, default=OUTPUTS_DIR, help=argparse.SUPPRESS)


# --------------------------------------------------------------------------- list


@command("list", "regions, notebooks, and which sections have data")
def list_command(args: argparse.Namespace) -> int:
    from analysis.pipeline import InputError, discover_notebooks
    from analysis.regions import SECTIONS, RegionError, all_regions

    try:
        notebooks = discover_notebooks(args.notebooks_dir) if Path(args.notebooks_dir).is_dir() else {}
        regions = all_regions()
    except (InputError, RegionError, OSError, KeyError) as exc:
        raise UsageError(str(exc)) from None
    print("Regions (case regions get the region notebooks)")
    short = [s.replace("_", "-") for s in SECTIONS]
    print(f"  {'region':<22}{'case':<6}" + "".join(f"{s:<21}" for s in short) + "name")
    for r in regions:
        marks = "".join(f"{'yes' if r.sections.get(s) else '-':<21}" for s in SECTIONS)
        print(f"  {r.region_id:<22}{'yes' if r.case else '-':<6}{marks}{r.name}")
    print("\nNotebooks")
    if not notebooks:
        print(f"  (none in {args.notebooks_dir})")
    for nb in notebooks.values():
        print(f"  {nb.order:>3}  {nb.name:<24}{nb.scope:<14}{nb.title}")
    return 0


@list_command.arguments
def _list_arguments(p: argparse.ArgumentParser) -> None:
    from analysis.config import NOTEBOOKS_DIR

    p.add_argument("--notebooks-dir", type=Path, default=NOTEBOOKS_DIR, help=argparse.SUPPRESS)


# --------------------------------------------------------------------------- setup-kernel


@command("setup-kernel", "register the 'tech-towns' Jupyter kernel (idempotent)")
def setup_kernel_command(args: argparse.Namespace) -> int:
    from analysis.kernels import install_kernelspec

    print(install_kernelspec(user=args.user))
    return 0


@setup_kernel_command.arguments
def _setup_kernel_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--user", action="store_true", help="install for this user instead of into the environment")


# --------------------------------------------------------------------------- main


def build_parser() -> argparse.ArgumentParser:
    import importlib

    for module in COMMAND_MODULES:
        importlib.import_module(module)
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, cmd in COMMANDS.items():
        p = sub.add_parser(name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(p)
        p.set_defaults(handler=cmd.handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except UsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
