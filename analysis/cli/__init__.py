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


def build_parser() -> argparse.ArgumentParser:
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
    except AnalysisError as exc:
        print(f"error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `python -m analysis where ... | head`: the reader has gone, nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


def _one_line(exc: AnalysisError) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


if __name__ == "__main__":
    sys.exit(main())
