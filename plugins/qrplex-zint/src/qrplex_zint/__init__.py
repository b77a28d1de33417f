"""qrplex-zint: the ``zint`` qrplex backend (libzint through ``zint-bindings``).

It serves every symbology of the core in PNG and SVG, and registers Data Matrix, PDF417,
Aztec and the GS1 symbols through the ``qrplex_register_symbologies`` hook.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._backend import ZintBackend

__all__ = ["ZintBackend"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the entry point (``.plugin``) imports this package first, and
    # the backend is declared so that discovering the plugin does not import it.
    if name == "ZintBackend":
        from ._backend import ZintBackend

        return ZintBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
