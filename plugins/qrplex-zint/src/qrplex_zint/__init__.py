"""qrplex-zint: the ``zint`` qrplex backend (libzint through ``zint-bindings``).

It serves every symbology of the core in PNG and SVG, and registers Data Matrix, PDF417,
Aztec and the GS1 symbols through the ``qrplex_register_symbologies`` hook.
"""

from __future__ import annotations

from ._backend import ZintBackend

__all__ = ["ZintBackend"]
