"""The qrplex plugin entry point: the ``cloudinfinite`` backend and ``qrplex emulator``.

Both are declared without importing them: the backend's module (its HTTP client, signing)
loads only when a call uses the backend, the emulator's only when its command runs or
``qrplex --help`` lists it. ``tests/test_plugin_declaration.py`` checks that the declaration
matches the class.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from qrplex import BackendDeclaration, Capabilities, hookimpl

if TYPE_CHECKING:
    from qrplex import Command  # only its command hook needs it, and that runs rarely

CLOUDINFINITE = BackendDeclaration(
    name="cloudinfinite",
    target="qrplex_cloudinfinite._backend:CloudInfiniteBackend",
    capabilities=Capabilities(
        symbologies=frozenset({"qr", "ean13"}),
        formats=frozenset({"png"}),
        options=frozenset(),
        max_width=10000,
        network=True,
    ),
)
"""The ``cloudinfinite`` backend, as :class:`~qrplex_cloudinfinite.CloudInfiniteBackend`
declares itself."""


@hookimpl
def qrplex_register_backends(register: Callable[[BackendDeclaration], None]) -> None:
    """Declare :class:`~qrplex_cloudinfinite.CloudInfiniteBackend` (imported on first use)."""
    register(CLOUDINFINITE)


@hookimpl
def qrplex_register_commands(register: Callable[[Command], None]) -> None:
    """Register the ``qrplex emulator`` subcommand."""
    from .emulator._cli import COMMAND

    register(COMMAND)
