"""The qrplex entry point of qrplex-zint: the ``zint`` backend and the symbologies it adds.

Imports stay light: libzint loads when a request needs it (a symbology's content rule, or the
backend's first render), not when qrplex discovers the plugin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from qrplex import hookimpl

if TYPE_CHECKING:
    from qrplex import Backend
    from qrplex.spec import Symbology


@hookimpl
def qrplex_register_backends(register: Callable[[type[Backend]], None]) -> None:
    """Register :class:`~qrplex_zint.ZintBackend`."""
    from ._backend import ZintBackend

    register(ZintBackend)


@hookimpl
def qrplex_register_symbologies(register: Callable[[Symbology], None]) -> None:
    """Register Data Matrix, PDF417, Aztec, GS1 DataMatrix, GS1 QR Code and GS1 DataBar
    Expanded."""
    from ._symbologies import PLUGIN_SYMBOLOGIES

    for symbology in PLUGIN_SYMBOLOGIES:
        register(symbology)
