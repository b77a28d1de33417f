"""The core as a plugin: it registers its nine symbologies, and GS1-128, through the same hook
as any plugin (``qrplex_register_symbologies``), so a plugin defining one of those names
differently is a conflict reported like any other."""

from __future__ import annotations

from collections.abc import Callable

from ._hookspecs import hookimpl
from ._symbologies import Symbology

__all__ = ["PLUGIN_NAME", "qrplex_register_symbologies"]

PLUGIN_NAME = "qrplex"
"""The name the core's symbologies are registered under (in messages and ``qrplex backends``)."""


@hookimpl
def qrplex_register_symbologies(register: Callable[[Symbology], None]) -> None:
    """Register the core's nine symbologies (QR Code, Micro QR Code, the GTINs, Code 128,
    Code 39, Interleaved 2 of 5), then GS1-128."""
    from ._validation import CORE_SYMBOLOGIES, GS1_CORE_SYMBOLOGIES

    for spec in (*CORE_SYMBOLOGIES.values(), *GS1_CORE_SYMBOLOGIES.values()):
        register(spec)
