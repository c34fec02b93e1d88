"""``python -m analysis …``: the project's commands.

:mod:`~analysis.cli.registry` holds the commands; :mod:`~analysis.cli.run` (run, list,
setup-kernel), :mod:`~analysis.cli.publish` (report, book, verify) and :mod:`~analysis.cli.data`
(where, check-data, new-region, fetch-ssb) register them when imported, in the order
``--help`` lists them.
Every :class:`~analysis.errors.AnalysisError` a command raises is printed here as one
line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys

from analysis.cli import run, publish, data  # noqa: F401 - importing them registers their commands
from analysis.cli.registry import COMMANDS
from analysis.errors import AnalysisError


# --help shows this, not the docstring: argparse prints reStructuredText markup as it is
DESCRIPTION = ("The commands of the technology-towns case studies: run the notebooks, publish and check what they "
               "made, and work on the data.")


def version() -> str:
    """The installed distribution's version (whatever its name), else pyproject.toml's for a bare checkout."""
    from importlib import metadata

    for dist in metadata.packages_distributions().get(__package__.split(".")[0], []):
        try:
            return f"{dist} {metadata.version(dist)}"
        except metadata.PackageNotFoundError:
            continue
    import tomllib

    from analysis.config import PROJ_ROOT

    try:
        project = tomllib.loads((PROJ_ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
        return f"{project['name']} {project['version']} (not installed)"
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown version (not installed)"


class _VersionAction(argparse.Action):
    """--version, looked up only when asked: reading the installed distributions takes a moment."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0, help=help)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"{parser.prog} ({version()})")
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=DESCRIPTION)
    parser.add_argument("--version", action=_VersionAction, help="show the package version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, cmd in COMMANDS.items():
        p = sub.add_parser(name, help=cmd.help, description=cmd.help)
        cmd.add_arguments(p)
        p.set_defaults(handler=cmd.handler)
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        return _run(argv)
    except BrokenPipeError:  # `python -m analysis where ... | head`: the reader has gone, nothing to say
        # Python flushes stdout again at exit; pointing it at devnull keeps that flush quiet
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _run(argv: list[str] | None) -> int:
    try:
        args = build_parser().parse_args(argv)
    except SystemExit:  # --help, --version, a usage error: flushed here so a closed pipe is caught in main
        sys.stdout.flush()
        raise
    try:
        status = int(args.handler(args) or 0)
        sys.stdout.flush()  # here, not at exit, for the same reason
        return status
    except AnalysisError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _one_line(exc: AnalysisError) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
