"""Looking at the images the benchmarked code produced: sizes, and whether two are the same."""

from __future__ import annotations

import io
import re

__all__ = ["png_pixels", "same_png", "size_of"]

_SVG_SIZE = re.compile(rb'<svg[^>]*?\swidth="([^"]+)"[^>]*?\sheight="([^"]+)"', re.DOTALL)


def png_pixels(data: bytes) -> tuple[tuple[int, int], bytes]:
    """The size and greyscale pixels of a PNG (decoded with Pillow)."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        grey = image.convert("L")
        return grey.size, grey.tobytes()


def same_png(first: bytes, second: bytes) -> bool:
    """Whether two PNG files hold the same pixels (whatever their encoding)."""
    return png_pixels(first) == png_pixels(second)


def size_of(data: bytes) -> str:
    """``W×H`` of a PNG (pixels) or an SVG (its ``width``/``height`` attributes, with units)."""
    if data.startswith(b"\x89PNG"):
        (width, height), _ = png_pixels(data)
        return f"{width}×{height} px"
    match = _SVG_SIZE.search(data[:4096])
    if match is None:
        return "unknown size"
    svg_width, svg_height = (value.decode("ascii", "replace") for value in match.groups())
    unit = "" if re.search(r"[a-z%]$", svg_width) else " px"
    return f"{svg_width}×{svg_height}{unit}"
