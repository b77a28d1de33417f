"""Where the symbol goes in the image: scale, quiet zones and height, in whole pixels.

The rules are the same for every qrplex backend. With ``M`` the symbol width in modules and
``Ql`` / ``Qr`` the spec quiet zones in modules (a matrix code uses ``Ql`` on all four sides):

* no width asked for: a default scale (10 px per module for matrix codes, 3 px for linear
  barcodes) and exactly the spec quiet zones, so the image is ``scale * (M + Ql + Qr)`` wide;
* a width asked for: ``scale = width // (M + Ql + Qr)`` and every leftover pixel goes to the
  quiet zones, so the image is *exactly* ``width`` wide and each quiet zone is at least its
  spec width in pixels. A matrix code splits the leftover evenly (the odd pixel to the right
  and to the bottom) and pads top and bottom the same way, so it is square; a linear barcode
  splits it in the ratio ``Ql : Qr``.

A linear barcode has no human-readable text under the bars. Its image is ``options["height"]``
pixels high when given. Otherwise its bars are 50 modules high, or 15 % of the image width
for long symbols (as GS1 recommends for Code 128) up to 1000 px, that is
``max(50 * scale, min(round(0.15 * width), 1000))`` pixels, with a margin of one module
(``scale`` pixels) above and below. With an explicit height the margin above and below is
``min(scale, height // 8)`` and the bars fill the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from qrplex.errors import InvalidOptionError
from qrplex.spec import MAX_WIDTH, Symbology

__all__ = ["DEFAULT_SCALE", "Layout", "layout"]

DEFAULT_SCALE: Final[dict[int, int]] = {2: 10, 1: 3}
"""Pixels per module when no width is asked for, by dimension."""

_DEFAULT_BAR_MODULES: Final = 50
_DEFAULT_BAR_SHARE: Final = 0.15
_DEFAULT_BAR_SHARE_LIMIT: Final = 1000


@dataclass(frozen=True, slots=True)
class Layout:
    """The pixel geometry of one image.

    Attributes:
        width: image width in pixels.
        height: image height in pixels.
        scale: pixels per module.
        left: light pixels left of the first module (the left quiet zone).
        top: light pixels above the first module row (for a linear barcode, above the bars).
        bar_height: for a linear barcode, the height of every bar; for a matrix code, equal
            to ``scale`` (the height of one module row).
    """

    width: int
    height: int
    scale: int
    left: int
    top: int
    bar_height: int


def _whole(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidOptionError(f"{what} must be a whole number of pixels, got {value!r}")
    if value < 1:
        raise InvalidOptionError(f"{what} must be at least 1 pixel, got {value}")
    return value


def layout(
    spec: Symbology,
    modules: int,
    width: int | None,
    height: object = None,
) -> Layout:
    """Lay out a symbol ``modules`` wide for ``spec`` in an image ``width`` px wide.

    Args:
        spec: the symbology (its dimension and quiet zones).
        modules: the symbol width in modules, quiet zones excluded.
        width: the exact image width wanted, or ``None`` for the default scale.
        height: for a linear barcode, the total image height wanted (``options["height"]``),
            or ``None`` for the default.

    Raises:
        InvalidOptionError: the width is too small for the symbol (the message states the
            minimum width in pixels) or a width or height is not a positive whole number.
    """
    dim = spec.dimension
    quiet_left = spec.quiet_left
    quiet_right = spec.quiet_left if dim == 2 else spec.quiet_right
    total = modules + quiet_left + quiet_right
    if width is None:
        # The default scale, shrunk if needed so the image stays within the core's maximum.
        scale = max(1, min(DEFAULT_SCALE[dim], MAX_WIDTH // total))
        image_width = scale * total
    else:
        image_width = _whole(width, "width")
        if image_width < total:
            raise InvalidOptionError(
                f"width {image_width} px is too small for this {spec.title}: it is {modules} "
                f"modules wide plus {quiet_left + quiet_right} modules of quiet zone, so the "
                f"minimum width is {total} px"
            )
        scale = image_width // total
    leftover = image_width - scale * modules
    left = leftover * quiet_left // (quiet_left + quiet_right)

    if dim == 2:
        return Layout(
            width=image_width,
            height=image_width,
            scale=scale,
            left=left,
            top=left,
            bar_height=scale,
        )

    if height is None:
        share = min(round(_DEFAULT_BAR_SHARE * image_width), _DEFAULT_BAR_SHARE_LIMIT)
        bar_height = max(_DEFAULT_BAR_MODULES * scale, share)
        margin = scale
        image_height = bar_height + 2 * margin
    else:
        image_height = _whole(height, "height")
        margin = min(scale, image_height // 8)
        bar_height = image_height - 2 * margin
    return Layout(
        width=image_width,
        height=image_height,
        scale=scale,
        left=left,
        top=margin,
        bar_height=bar_height,
    )
