"""qrplex-local: the ``local`` qrplex backend (segno and python-barcode, drawn in-process)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._backend import LocalBackend

__all__ = ["LocalBackend"]


def __getattr__(name: str) -> Any:
    # Imported on first use: the entry point (``.plugin``) imports this package first, and
    # the backend is declared so that discovering the plugin does not import it.
    if name == "LocalBackend":
        from ._backend import LocalBackend

        return LocalBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
