"""The qrplex plugin entry point: registers the ``local`` backend."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from qrplex import hookimpl

if TYPE_CHECKING:
    from qrplex import Backend


@hookimpl
def qrplex_register_backends(register: Callable[[type[Backend]], None]) -> None:
    """Register :class:`~qrplex_local.LocalBackend`."""
    from ._backend import LocalBackend

    register(LocalBackend)
