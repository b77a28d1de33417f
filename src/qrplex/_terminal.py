"""Draws a QR code in a terminal (``qrplex make`` without ``-o`` on a terminal)."""

from __future__ import annotations

import io

from ._model import CodeImage
from ._qr_capacity import segment_for
from ._symbologies import GS1_SYMBOLOGIES, SYMBOLOGIES
from .errors import UnsupportedError

__all__ = ["check_drawable", "draw_in_terminal"]

_DRAWABLE = frozenset({"qr", "microqr"})


def check_drawable(symbology: str) -> None:
    """Raise :class:`UnsupportedError` unless codes of ``symbology`` can be drawn in a
    terminal (QR and Micro QR can; linear barcodes cannot be drawn legibly)."""
    if symbology not in _DRAWABLE:  # a plugin's symbology too: never drawn as a QR Code
        known = SYMBOLOGIES.get(symbology) or GS1_SYMBOLOGIES.get(symbology)
        kind = f"{known.title} barcodes" if known is not None else f"{symbology!r} codes"
        raise UnsupportedError(
            f"{kind} cannot be drawn in a terminal (only QR and Micro QR codes can): "
            f"add -o FILE to write it to a file (qrplex make ... -s {symbology} -o code.png, "
            "or -o code.svg), or redirect stdout to one (> code.png)"
        )


def draw_in_terminal(image: CodeImage, error: str = "M") -> str:
    """Text that draws ``image``'s QR code with half-block characters.

    A terminal cannot show the PNG itself, so segno draws the same content with the charset
    policy every backend follows (:mod:`qrplex._qr_capacity`: the same mode, charset and
    ECI), at error correction level ``error``.
    """
    check_drawable(image.symbology)
    import segno

    segment = segment_for(image.content)
    micro = image.symbology == "microqr"
    code = segno.make(
        image.content,
        error=error,
        mode=segment.mode,
        encoding=segment.encoding,
        eci=segment.eci,
        micro=micro,
        boost_error=False,
    )
    out = io.StringIO()
    code.terminal(out=out, compact=True)
    return out.getvalue()
