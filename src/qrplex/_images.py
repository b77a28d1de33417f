"""What an image really is (sniffed from its bytes), and SVG checks and rasterizing.

Used by the decoder and by the conformance tests; needs Pillow only to rasterize.
"""

from __future__ import annotations

import io
import itertools
import math
import re
import struct
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["ImageInfo", "explain_svg", "inspect_image", "rasterize_svg"]

_PNG: Final = b"\x89PNG\r\n\x1a\n"
_JPEG: Final = b"\xff\xd8\xff"
_SVG_NS: Final = "{http://www.w3.org/2000/svg}"
_LENGTH: Final = re.compile(r"\A\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(px)?\s*\Z")
_NUMBER: Final = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_PATH_TOKEN: Final = re.compile(rf"[A-Za-z]|{_NUMBER.pattern}")
_LIGHT: Final = frozenset({"#fff", "#ffffff", "white", "none", "transparent"})


@dataclass(frozen=True, slots=True)
class ImageInfo:
    """What the bytes of an image say about themselves.

    Attributes:
        media_type: ``image/png``, ``image/jpeg`` or ``image/svg+xml``, sniffed from the bytes.
        width: width in pixels (for SVG, its ``width`` attribute).
        height: height in pixels (for SVG, its ``height`` attribute).
    """

    media_type: str
    width: int
    height: int


def _svg_root(data: bytes) -> ET.Element:
    try:
        root = ET.fromstring(data)  # noqa: S314 - test helper reading a backend's own output
    except ET.ParseError as error:
        raise AssertionError(f"the SVG is not well-formed XML: {error}") from None
    if root.tag not in (f"{_SVG_NS}svg", "svg"):
        raise AssertionError(f"the SVG's root element is {root.tag!r}, not an svg element")
    return root


def _pixels(root: ET.Element, name: str) -> int:
    value = root.get(name)
    if value is None:
        raise AssertionError(f"the SVG root has no {name} attribute")
    match = _LENGTH.match(value)
    if match is None:
        raise AssertionError(f"the SVG {name} {value!r} is not a length in pixels")
    number = float(match[1])
    if number != int(number) or number < 1:
        raise AssertionError(f"the SVG {name} {value!r} is not a whole number of pixels")
    return int(number)


def inspect_image(data: bytes) -> ImageInfo:
    """The media type and pixel size of ``data``, read from the bytes themselves.

    PNG sizes come from the ``IHDR`` chunk, JPEG sizes from Pillow, SVG sizes from the root's
    ``width`` and ``height`` attributes (plain numbers or ``px``), after checking the document
    is well-formed XML with an ``svg`` root.

    Raises:
        AssertionError: the bytes are not a PNG, JPEG or well-formed SVG, or have no size.
    """
    if data.startswith(_PNG):
        if len(data) < 24 or data[12:16] != b"IHDR":
            raise AssertionError("the PNG has no IHDR chunk first")
        width, height = struct.unpack(">II", data[16:24])
        return ImageInfo("image/png", width, height)
    if data.startswith(_JPEG):
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return ImageInfo("image/jpeg", image.width, image.height)
    head = data[:512].lstrip()
    if head.startswith((b"<?xml", b"<svg", b"<!--", b"<!DOCTYPE")):
        root = _svg_root(data)
        return ImageInfo("image/svg+xml", _pixels(root, "width"), _pixels(root, "height"))
    raise AssertionError(f"the bytes are not a PNG, JPEG or SVG image: {data[:16]!r}...")


# --- a rasterizer for SVGs made of axis-aligned rectangles --------------------------------


class UnsupportedSvgError(Exception):
    """The SVG uses something the rectangle rasterizer does not draw."""


Rect = tuple[float, float, float, float]  # x0, y0, x1, y1 in user units


def _float(element: ET.Element, name: str, default: float = 0.0) -> float:
    value = element.get(name)
    if value is None:
        return default
    match = _LENGTH.match(value)
    if match is None:
        raise UnsupportedSvgError(f"{name}={value!r}")
    return float(match[1])


def _paint(element: ET.Element, name: str, inherited: str | None) -> str | None:
    value = element.get(name)
    style = element.get("style")
    if style:
        for declaration in style.split(";"):
            key, _, raw = declaration.partition(":")
            if key.strip() == name:
                value = raw.strip()
    if value is None:
        return inherited
    return value.strip().lower()


def _subpaths(d: str) -> list[list[tuple[float, float]]]:
    tokens = _PATH_TOKEN.findall(d)
    paths: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    x = y = 0.0
    index = 0
    command = ""

    def number() -> float:
        nonlocal index
        if index >= len(tokens) or tokens[index].isalpha():
            raise UnsupportedSvgError("a path command without its numbers")
        index += 1
        return float(tokens[index - 1])

    while index < len(tokens):
        if tokens[index].isalpha():
            command = tokens[index]
            index += 1
        elif not command:
            raise UnsupportedSvgError("a path that does not start with a command")
        relative = command.islower()
        name = command.upper()
        if name == "Z":
            if current:
                paths.append(current)
                x, y = current[0]
            current = []
            continue
        if name == "M":
            if current:
                paths.append(current)
            dx, dy = number(), number()
            x, y = (x + dx, y + dy) if relative else (dx, dy)
            current = [(x, y)]
            command = "l" if relative else "L"  # implicit line-tos follow a move-to
            continue
        if name == "H":
            value = number()
            x = x + value if relative else value
        elif name == "V":
            value = number()
            y = y + value if relative else value
        elif name == "L":
            dx, dy = number(), number()
            x, y = (x + dx, y + dy) if relative else (dx, dy)
        else:
            raise UnsupportedSvgError(f"path command {command!r}")
        current.append((x, y))
    if current:
        paths.append(current)
    return paths


def _filled_rect(points: list[tuple[float, float]]) -> Rect:
    if points and points[-1] == points[0]:
        points = points[:-1]
    xs = sorted({x for x, _ in points})
    ys = sorted({y for _, y in points})
    corners = {(xs[0], ys[0]), (xs[-1], ys[0]), (xs[0], ys[-1]), (xs[-1], ys[-1])}
    if len(xs) != 2 or len(ys) != 2 or set(points) != corners:
        raise UnsupportedSvgError("a filled path that is not a rectangle")
    return xs[0], ys[0], xs[1], ys[1]


def _stroked_rects(points: list[tuple[float, float]], stroke_width: float) -> list[Rect]:
    half = stroke_width / 2
    rects: list[Rect] = []
    for (x0, y0), (x1, y1) in itertools.pairwise(points):
        if y0 == y1:
            rects.append((min(x0, x1), y0 - half, max(x0, x1), y0 + half))
        elif x0 == x1:
            rects.append((x0 - half, min(y0, y1), x0 + half, max(y0, y1)))
        else:
            raise UnsupportedSvgError("a diagonal stroke")
    return rects


Affine = tuple[float, float, float, float]  # x -> sx * x + tx, y -> sy * y + ty
_TRANSFORM: Final = re.compile(r"\s*(matrix|translate|scale)\s*\(([^)]*)\)\s*,?")


def _compose(outer: Affine, inner: Affine) -> Affine:
    return (
        outer[0] * inner[0],
        outer[1] * inner[1],
        outer[0] * inner[2] + outer[2],
        outer[1] * inner[3] + outer[3],
    )


def _transform(text: str | None) -> Affine:
    """An axis-aligned ``transform`` (``matrix`` without rotation, ``translate``, ``scale``)."""
    result: Affine = (1.0, 1.0, 0.0, 0.0)
    if text is None:
        return result
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TRANSFORM.match(text, position)
        if match is None:
            raise UnsupportedSvgError(f"transform {text!r}")
        numbers = [float(value) for value in _NUMBER.findall(match[2])]
        if match[1] == "scale" and len(numbers) in (1, 2):
            step: Affine = (numbers[0], numbers[-1], 0.0, 0.0)
        elif match[1] == "translate" and len(numbers) in (1, 2):
            step = (1.0, 1.0, numbers[0], numbers[1] if len(numbers) == 2 else 0.0)
        elif match[1] == "matrix" and len(numbers) == 6 and numbers[1] == numbers[2] == 0:
            step = (numbers[0], numbers[3], numbers[4], numbers[5])
        else:
            raise UnsupportedSvgError(f"transform {match[0]!r}")
        result = _compose(result, step)
        position = match.end()
    return result


def _apply(affine: Affine, rect: Rect) -> Rect:
    sx, sy, tx, ty = affine
    xs = (sx * rect[0] + tx, sx * rect[2] + tx)
    ys = (sy * rect[1] + ty, sy * rect[3] + ty)
    return min(xs), min(ys), max(xs), max(ys)


def _dark_rects(root: ET.Element) -> list[Rect]:
    rects: list[Rect] = []

    def visit(
        element: ET.Element, fill: str | None, stroke: str | None, width: float, outer: Affine
    ) -> None:
        affine = _compose(outer, _transform(element.get("transform")))
        tag = element.tag.removeprefix(_SVG_NS)
        fill = _paint(element, "fill", fill)
        stroke = _paint(element, "stroke", stroke)
        stroke_width = element.get("stroke-width")
        if stroke_width is not None:
            width = float(stroke_width)
        dark_fill = fill not in _LIGHT
        dark_stroke = stroke is not None and stroke not in _LIGHT
        found: list[Rect] = []
        if tag == "rect":
            if dark_stroke:
                raise UnsupportedSvgError("a stroked rect")
            if dark_fill:
                x, y = _float(element, "x"), _float(element, "y")
                found.append((x, y, x + _float(element, "width"), y + _float(element, "height")))
        elif tag == "path":
            for points in _subpaths(element.get("d", "")):
                if dark_stroke:
                    found.extend(_stroked_rects(points, width))
                if dark_fill and len(points) > 2:
                    found.append(_filled_rect(points))
        elif tag in ("svg", "g"):
            for child in element:
                visit(child, fill, stroke, width, affine)
        elif tag not in ("title", "desc", "metadata", "defs"):
            raise UnsupportedSvgError(f"a {tag} element")
        rects.extend(_apply(affine, rect) for rect in found)

    visit(root, None, None, 1.0, (1.0, 1.0, 0.0, 0.0))
    return rects


def rasterize_svg(data: bytes) -> object | None:
    """Draw an SVG made of axis-aligned rectangles as a greyscale PIL image, or ``None``.

    zxing-cpp reads only raster images. This draws SVGs as barcode generators write them:
    ``rect`` elements and ``path`` elements that are filled rectangles (``M``, ``H``, ``V``,
    ``L``, ``Z`` commands, absolute or relative) or horizontal / vertical strokes, with
    ``fill`` / ``stroke`` other than white or none being dark, and a ``viewBox`` scaling user
    units to the ``width`` × ``height`` pixels, and ``transform`` attributes that only scale
    and translate. A pixel is dark when its centre is inside a dark shape. Anything else
    (curves, rotations, text, gradients, images) returns ``None``; :func:`explain_svg` says
    what it was.

    Raises:
        AssertionError: the SVG is not well-formed or has no pixel width and height.
    """
    raster = explain_svg(data)
    return None if isinstance(raster, str) else raster


def explain_svg(data: bytes) -> Image.Image | str:
    """:func:`rasterize_svg`'s image, or why the SVG cannot be drawn (``"a circle element"``).

    Raises:
        AssertionError: the SVG is not well-formed or has no pixel width and height.
    """
    from PIL import Image, ImageDraw

    root = _svg_root(data)
    width, height = _pixels(root, "width"), _pixels(root, "height")
    scale_x = scale_y = 1.0
    offset_x = offset_y = 0.0
    view_box = root.get("viewBox")
    try:
        if view_box is not None:
            numbers = [float(value) for value in _NUMBER.findall(view_box)]
            if len(numbers) != 4 or numbers[2] <= 0 or numbers[3] <= 0:
                raise UnsupportedSvgError(f"viewBox {view_box!r}")
            offset_x, offset_y = numbers[0], numbers[1]
            scale_x, scale_y = width / numbers[2], height / numbers[3]
        rects = _dark_rects(root)
    except UnsupportedSvgError as error:
        return f"it uses {error}"
    except ValueError as error:
        return f"a number it cannot read: {error}"
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for x0, y0, x1, y1 in rects:
        # Pixels whose centres (i + 0.5) fall inside [x0, x1) x [y0, y1).
        left = math.ceil((x0 - offset_x) * scale_x - 0.5)
        right = math.ceil((x1 - offset_x) * scale_x - 0.5)
        top = math.ceil((y0 - offset_y) * scale_y - 0.5)
        bottom = math.ceil((y1 - offset_y) * scale_y - 0.5)
        if right > left and bottom > top:
            draw.rectangle((left, top, right - 1, bottom - 1), fill=0)
    return image
