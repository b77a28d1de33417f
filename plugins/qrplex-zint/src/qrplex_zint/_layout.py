"""Where the symbol goes in the image: the same rules as qrplex's ``local`` backend.

With ``M`` the symbol's width in modules (for a matrix code, its longer side) and ``Ql`` /
``Qr`` the symbology's quiet zones (a matrix code has ``Ql`` on all four sides):

* no width asked for: 10 px a module for matrix codes, 3 px for linear barcodes (less if the
  image would exceed :data:`qrplex.spec.MAX_WIDTH`), and exactly the quiet zones;
* a width asked for: ``scale = width // (M + Ql + Qr)``, and the leftover pixels widen the
  quiet zones, so the image is exactly that wide. A matrix code's image is square: the symbol
  is centred (the odd pixel to the right and bottom), so a rectangular one (PDF417, a
  rectangular Data Matrix) has wider quiet zones above and below; a linear barcode splits the
  leftover in the ratio ``Ql : Qr``.
* a linear barcode has no text under its bars; it is ``options["height"]`` px high when given
  (margins of ``min(scale, height // 8)`` above and below), else its bars are
  ``max(50 * scale, min(round(0.15 * width), 1000))`` px high, with one module of margin
  above and below.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from qrplex.spec import MAX_WIDTH, Symbology

if TYPE_CHECKING:
    from ._matrix import Matrix

__all__ = ["Layout", "layout"]

DEFAULT_SCALE: Final[dict[int, int]] = {2: 10, 1: 3}
"""Pixels per module when no width is asked for, by dimension."""

_BAR_MODULES: Final = 50
_BAR_SHARE: Final = 0.15
_BAR_SHARE_LIMIT: Final = 1000


@dataclass(frozen=True, slots=True)
class Layout:
    """The pixel geometry of one image.

    Attributes:
        width: image width in pixels.
        height: image height in pixels.
        scale: pixels per module.
        left: light pixels left of the symbol.
        top: light pixels above the symbol.
        row_height: pixels per module row (a linear barcode: its bar height).
    """

    width: int
    height: int
    scale: int
    left: int
    top: int
    row_height: int


def layout(spec: Symbology, matrix: Matrix, width: int | None, height: int | None) -> Layout:
    """Lay ``matrix`` out for ``spec`` in an image ``width`` px wide (``None``: default).

    The core has checked ``width`` against the symbol's minimum width; ``height`` is the
    linear barcode's ``options["height"]`` (checked by the core too).
    """
    quiet_left = spec.quiet_left
    quiet_right = quiet_left if spec.dimension == 2 else spec.quiet_right
    side = matrix.side
    total = side + quiet_left + quiet_right
    if width is None:
        scale = max(1, min(DEFAULT_SCALE[spec.dimension], MAX_WIDTH // total))
        width = scale * total
    else:
        scale = max(1, width // total)
    if spec.dimension == 2:
        left = (width - scale * matrix.width) // 2
        top = (width - scale * matrix.height) // 2
        return Layout(width, width, scale, left, top, scale * matrix.row_height)
    leftover = width - scale * matrix.width
    left = leftover * quiet_left // (quiet_left + quiet_right)
    if height is None:
        share = min(round(_BAR_SHARE * width), _BAR_SHARE_LIMIT)
        bars = max(_BAR_MODULES * scale, share)
        return Layout(width, bars + 2 * scale, scale, left, scale, bars)
    margin = min(scale, height // 8)
    return Layout(width, height, scale, left, margin, height - 2 * margin)
