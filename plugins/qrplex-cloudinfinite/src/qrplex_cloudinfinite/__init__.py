"""qrplex backend for Tencent Cloud Infinite's ``qrcode-generate`` API, with an offline emulator.

``CloudInfiniteBackend`` is imported on first use, so importing this package (for example for
``qrplex_cloudinfinite.emulator``) stays light and does not pull in httpx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._backend import CloudInfiniteBackend

__all__ = ["CloudInfiniteBackend"]


def __getattr__(name: str) -> Any:
    if name == "CloudInfiniteBackend":
        from ._backend import CloudInfiniteBackend

        return CloudInfiniteBackend
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
