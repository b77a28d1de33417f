"""Draws a QR code in a terminal (``qrplex make`` without ``-o`` on a terminal)."""

from __future__ import annotations

import io

from ._model import CodeImage
from .errors import UnsupportedError

__all__ = ["draw_in_terminal"]


def draw_in_terminal(image: CodeImage) -> str:
    """Text that draws ``image``'s QR code with half-block characters.

    The drawing is made by segno from the image's content, with the same charset policy every
    backend follows, so it shows the same code the backend produced (a terminal cannot show
    the PNG itself). Linear barcodes cannot be drawn legibly in a terminal.
    """
    if image.symbology not in {"qr", "microqr"}:
        raise UnsupportedError(
            f"a {image.symbology} barcode cannot be drawn in a terminal; "
            "write it to a file with -o FILE, or redirect stdout"
        )
    import segno

    try:
        image.content.encode("latin-1")
        encoding, eci = "latin-1", False
    except UnicodeEncodeError:
        encoding, eci = "utf-8", True
    code = segno.make(
        image.content,
        encoding=encoding,
        eci=eci,
        micro=image.symbology == "microqr",
        boost_error=False,
    )
    out = io.StringIO()
    code.terminal(out=out, compact=True)
    return out.getvalue()
