"""The hooks through which plugins register things; the core keeps the control flow."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from ._backend import Backend
    from ._commands import Command
    from ._registry_info import BackendDeclaration
    from ._symbologies import Symbology

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

PROJECT_NAME = "qrplex"
"""The pluggy project name and the entry-point group plugins are found through."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
"""Marks a plugin's hook implementations: ``@qrplex.hookimpl``."""


@hookspec
def qrplex_register_backends(
    register: Callable[[type[Backend] | BackendDeclaration], None],
) -> None:
    """Register backends: call ``register()`` once per backend, with a
    :class:`qrplex.BackendDeclaration` (recommended: the backend's module is imported only
    when it is used) or the backend class itself."""


@hookspec
def qrplex_register_symbologies(register: Callable[[Symbology], None]) -> None:
    """Register symbologies: call ``register(qrplex.spec.Symbology(...))`` once per symbology.

    The core registers its nine through this hook too. A name registered twice with different
    specs (by two plugins, or by a plugin and the core) is an error naming both.
    """


@hookspec
def qrplex_register_commands(register: Callable[[Command], None]) -> None:
    """Register extra ``qrplex`` CLI subcommands: call ``register(Command(...))``."""
