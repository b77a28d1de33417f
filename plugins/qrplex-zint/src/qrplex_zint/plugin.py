"""The qrplex entry point of qrplex-zint: the ``zint`` backend and the symbologies it adds.

Imports stay light: libzint loads when a request needs it (a symbology's content rule, or the
backend's first render), not when qrplex discovers the plugin.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from qrplex import BackendDeclaration, Capabilities, hookimpl

if TYPE_CHECKING:
    from qrplex.spec import Symbology

ZINT = BackendDeclaration(
    name="zint",
    target="qrplex_zint._backend:ZintBackend",
    capabilities=Capabilities(
        symbologies=frozenset(
            {
                *("qr", "microqr", "ean13", "isbn13", "ean8", "upca", "code128", "code39", "itf"),
                *("gs1-128", "datamatrix", "pdf417", "aztec", "gs1-datamatrix", "gs1-qr"),
                "gs1-databar-expanded",
            }
        ),
        formats=frozenset({"png", "svg"}),
        options=frozenset({"error", "height", "shape"}),
        network=False,
    ),
)
"""The ``zint`` backend: its name, where its class is, and what it serves (the class takes
its capabilities from here, so the two cannot drift apart)."""


@hookimpl
def qrplex_register_backends(register: Callable[[BackendDeclaration], None]) -> None:
    """Declare :class:`~qrplex_zint.ZintBackend` (imported on first use)."""
    register(ZINT)


@hookimpl
def qrplex_register_symbologies(register: Callable[[Symbology], None]) -> None:
    """Register Data Matrix, PDF417, Aztec, GS1 DataMatrix, GS1 QR Code and GS1 DataBar
    Expanded."""
    from ._symbologies import PLUGIN_SYMBOLOGIES

    for symbology in PLUGIN_SYMBOLOGIES:
        register(symbology)
