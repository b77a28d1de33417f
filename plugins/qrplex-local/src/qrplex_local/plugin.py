"""The qrplex plugin entry point: declares the ``local`` backend.

The backend is declared, not imported: its module (and segno, python-barcode) loads only
when a call uses it. ``tests/test_plugin.py`` checks that the declaration matches the class.
"""

from __future__ import annotations

from collections.abc import Callable

from qrplex import BackendDeclaration, Capabilities, hookimpl

LOCAL = BackendDeclaration(
    name="local",
    target="qrplex_local._backend:LocalBackend",
    capabilities=Capabilities(
        symbologies=frozenset(
            {
                "qr",
                "microqr",
                "ean13",
                "ean8",
                "upca",
                "isbn13",
                "code128",
                "code39",
                "itf",
                "gs1-128",
            }
        ),
        formats=frozenset({"png", "svg"}),
        options=frozenset({"error", "height"}),
        network=False,
    ),
)
"""The ``local`` backend: its name, where its class is, and what it serves (the class takes
its capabilities from here, so the two cannot drift apart)."""


@hookimpl
def qrplex_register_backends(register: Callable[[BackendDeclaration], None]) -> None:
    """Declare :class:`~qrplex_local.LocalBackend` (imported on first use)."""
    register(LOCAL)
