"""The qrplex plugin entry point: the ``cloudinfinite`` backend and ``qrplex emulator``."""

from __future__ import annotations

from collections.abc import Callable

from qrplex import Backend, Command, hookimpl


@hookimpl
def qrplex_register_backends(register: Callable[[type[Backend]], None]) -> None:
    """Register :class:`~qrplex_cloudinfinite.CloudInfiniteBackend`."""
    from ._backend import CloudInfiniteBackend

    register(CloudInfiniteBackend)


@hookimpl
def qrplex_register_commands(register: Callable[[Command], None]) -> None:
    """Register the ``qrplex emulator`` subcommand."""
    from .emulator._cli import COMMAND

    register(COMMAND)
