"""The conformance kit on the ``local`` backend (segno and python-barcode)."""

from __future__ import annotations

from qrplex.testing import BackendConformance


class TestLocalConformance(BackendConformance):
    """Every symbology, PNG and SVG."""

    backend_name = "local"
