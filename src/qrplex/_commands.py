"""Extra CLI subcommands that plugins contribute (``qrplex emulator`` comes from one)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Command"]


@dataclass(frozen=True, slots=True)
class Command:
    """A ``qrplex`` subcommand.

    Attributes:
        name: the subcommand (``"emulator"``).
        help: one line for ``qrplex --help``.
        add_arguments: adds the subcommand's arguments to its parser.
        run: runs it with the parsed arguments and returns the exit status.
    """

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
