"""The conformance kit on the ``zint`` backend: every symbology it declares, PNG and SVG.

The backend picks its own QR segment modes (libzint optimizes them; it has no option to force
one): the kit still checks every byte segment's ECI, the version (through the minimum width)
and the error level.
"""

from __future__ import annotations

from qrplex.testing import BackendConformance


class TestZintConformance(BackendConformance):
    """Found through its installed entry point, like any third party's plugin."""

    backend_name = "zint"
    free_segmentation = True
