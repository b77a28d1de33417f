"""The ``local`` backend: QR codes with segno, barcodes with python-barcode, drawn in-process."""

from __future__ import annotations

from typing import ClassVar

from qrplex import Backend, Capabilities, CodeRequest, Rendering
from qrplex.errors import UnsupportedError
from qrplex.spec import GS1_SYMBOLOGIES, MEDIA_TYPES, SYMBOLOGIES

from ._geometry import layout
from ._matrix import LINEAR_SYMBOLOGIES, MATRIX_SYMBOLOGIES, build_matrix
from ._raster import to_png, to_svg

__all__ = ["INLINE_CONTENT", "INLINE_WIDTH", "LocalBackend"]

INLINE_CONTENT = 20
"""Up to this many characters (and :data:`INLINE_WIDTH` px), ``arender`` runs inline: a
few milliseconds of work at most (a small QR version); anything larger goes to a worker
thread so the event loop stays responsive."""

INLINE_WIDTH = 300


class LocalBackend(Backend):
    """Renders every request locally, with no network and no settings.

    QR and Micro QR codes are encoded with segno, linear barcodes with python-barcode; the
    image is drawn by this package (PNG without Pillow, or SVG) so that it is exactly the
    width asked for, with at least the spec quiet zones. GS1-128 is Code 128 with FNC1, from
    the element string :mod:`qrplex.gs1` checks. Linear barcodes carry no
    human-readable text. See :mod:`qrplex_local._geometry` for the exact layout rules.
    """

    name: ClassVar[str] = "local"
    capabilities: ClassVar[Capabilities] = Capabilities(
        symbologies=MATRIX_SYMBOLOGIES | LINEAR_SYMBOLOGIES,
        formats=frozenset({"png", "svg"}),
        options=frozenset({"error", "height"}),
        network=False,
    )

    def render(self, request: CodeRequest) -> Rendering:
        """Render ``request`` as PNG or SVG.

        Raises:
            InvalidContentError: the content cannot be encoded exactly in the symbology.
            InvalidOptionError: the width is too small for the symbol (the message gives the
                minimum), or an option value is not valid.
            UnsupportedError: the symbology or format is not one it serves.
        """
        if request.format not in self.capabilities.formats:
            raise UnsupportedError(f"the local backend writes png or svg, not {request.format!r}")
        matrix = build_matrix(request)
        lay = layout(
            SYMBOLOGIES.get(request.symbology) or GS1_SYMBOLOGIES[request.symbology],
            matrix.width,
            request.width,
            request.options.get("height"),
        )
        data = to_png(matrix, lay) if request.format == "png" else to_svg(matrix, lay)
        return Rendering(
            data=data,
            media_type=MEDIA_TYPES[request.format],
            width=lay.width,
            height=lay.height,
        )

    async def arender(self, request: CodeRequest) -> Rendering:
        """Async :meth:`render`: small symbols render inline (a thread hop would cost more
        than the work), large ones in a worker thread so the event loop stays responsive."""
        if len(request.content) <= INLINE_CONTENT and (request.width or 0) <= INLINE_WIDTH:
            return self.render(request)
        return await super().arender(request)
