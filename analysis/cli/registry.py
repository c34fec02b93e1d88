"""The commands of ``python -m analysis``: name -> help, arguments, handler.

A command module registers its commands with the :func:`command` decorator::

    @command("verify", "compare findings with published values")
    def verify(args): ...

    @verify.arguments
    def _(parser): parser.add_argument("--region", action="append")

A handler returns the exit status. It does not catch :class:`~analysis.errors.AnalysisError`:
``analysis.cli.main`` prints it as one line with exit status 2.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class Command:
    help: str
    handler: Callable[[argparse.Namespace], int]
    add_arguments: Callable[[argparse.ArgumentParser], None] = field(default=lambda parser: None)

    def arguments(self, fn: Callable[[argparse.ArgumentParser], None]):
        self.add_arguments = fn
        return fn


COMMANDS: dict[str, Command] = {}


def command(name: str, help: str):
    def register(fn: Callable[[argparse.Namespace], int]) -> Command:
        COMMANDS[name] = Command(help, fn)
        return COMMANDS[name]

    return register
