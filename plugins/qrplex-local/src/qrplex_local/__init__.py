"""qrplex-local: the ``local`` qrplex backend (segno and python-barcode, drawn in-process)."""

from __future__ import annotations

from ._backend import LocalBackend

__all__ = ["LocalBackend"]
