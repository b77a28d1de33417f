"""What an image really is (sniffed from its bytes), and SVG checks and rasterizing.

Used by the decoder and by the conformance tests; needs Pillow only to rasterize.
"""

from __future__ import annotations

import itertools
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from PIL import Image

__all__ = ["ImageInfo", "explain_svg", "inspect_image", "paint_svg", "rasterize_svg"]

_SVG_NS: Final = "{http://www.w3.org/2000/svg}"
_LENGTH: Final = re.compile(r"\A\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*(px)?\s*\Z")
_NUMBER: Final = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
_PATH_TOKEN: Final = re.compile(rf"[A-Za-z]|{_NUMBER.pattern}")


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
    """The media type and pixel size of ``data``, read from the bytes themselves by the
    core's own reader (:func:`qrplex.spec.read_header`: the same rules as the checks on every
    backend's image), as a test assertion.

    Raises:
        AssertionError: the bytes are not a PNG, JPEG or well-formed SVG, or have no size.
    """
    from ._inspection import ImageDefectError, read_header

    try:
        facts = read_header(data)
    except ImageDefectError as defect:
        raise AssertionError(
            f"the bytes are not a whole PNG, JPEG or SVG image: {defect}"
        ) from None
    if facts.width < 1 or facts.height < 1:
        raise AssertionError(f"the image has no size: {facts.width}x{facts.height} px")
    return ImageInfo(facts.media_type, facts.width, facts.height)


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


_PAINT_NAMES: Final = ("fill", "stroke", "stroke-width")
# Presentation attributes drawn as the kit draws them only at these values.
_NEUTRAL: Final[dict[str, float | str]] = {
    "opacity": 1.0,
    "fill-opacity": 1.0,
    "stroke-opacity": 1.0,
    "fill-rule": "nonzero",
    "stroke-linecap": "butt",
    "rx": 0.0,
    "ry": 0.0,
}
_HARMLESS: Final = frozenset(
    {"id", "class", "shape-rendering", "version", "baseProfile"}
    | {"stroke-linejoin", "stroke-miterlimit"}
)
_ATTRIBUTES: Final = {
    "svg": frozenset({"width", "height", "viewBox", "preserveAspectRatio", "x", "y"}),
    "g": frozenset(),
    "rect": frozenset({"x", "y", "width", "height"}),
    "path": frozenset({"d"}),
}
_XML_SPACE: Final = "{http://www.w3.org/XML/1998/namespace}space"


def _declarations(element: ET.Element, tag: str) -> dict[str, str]:
    """The element's presentation attributes and ``style`` declarations (which win), after
    refusing anything the kit would not draw as a renderer does. ``class`` is harmless:
    only a ``<style>`` element (refused) could style it."""
    found: dict[str, str] = {}
    for name, value in element.attrib.items():
        if name in _ATTRIBUTES[tag] or name in _HARMLESS or name == _XML_SPACE:
            continue
        if name == "style":
            for declaration in value.split(";"):
                key, colon, raw = declaration.partition(":")
                if key.strip() or colon:
                    found[key.strip().lower()] = raw.strip()
            continue
        if name.startswith("{"):
            raise UnsupportedSvgError(f"the attribute {name!r} on a {tag} element")
        found.setdefault(name, value.strip())
    for name, value in found.items():
        if name in _NEUTRAL:
            if not _is_neutral(value, _NEUTRAL[name]):
                raise UnsupportedSvgError(f"{name}={value!r} on a {tag} element")
        elif name not in (*_PAINT_NAMES, "transform") and name not in _HARMLESS:
            raise UnsupportedSvgError(f"the {name!r} attribute or style on a {tag} element")
    return found


def _is_neutral(value: str, neutral: float | str) -> bool:
    if isinstance(neutral, str):
        return value.strip().lower() == neutral
    try:
        return float(value) == neutral
    except ValueError:
        return False


def _grey(value: str | None, inherited: int | None) -> int | None:
    """The grey level (ITU-R 601 luma) a paint draws with; ``None``: it paints nothing."""
    if value is None:
        return inherited
    value = value.strip().lower()
    if value in ("none", "transparent"):
        return None
    from PIL import ImageColor

    try:
        colour = ImageColor.getcolor(value, "LA")
    except ValueError:
        raise UnsupportedSvgError(
            f"the paint {value!r} (only plain colours: no gradients, patterns, url(), "
            f"currentColor or inherit)"
        ) from None
    grey, alpha = colour if isinstance(colour, tuple) else (colour, 255)
    if alpha != 255:
        raise UnsupportedSvgError(f"the translucent colour {value!r}")
    return int(grey)


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


Shape = tuple[Rect, int]  # where, and the grey level it is painted with


def _shapes(root: ET.Element) -> list[Shape]:
    """The painted rectangles in document (paint) order, each with its grey level."""
    shapes: list[Shape] = []

    def visit(
        element: ET.Element, fill: int | None, stroke: int | None, width: float, outer: Affine
    ) -> None:
        tag = element.tag.removeprefix(_SVG_NS)
        if tag in ("title", "desc", "metadata"):
            return
        if tag not in _ATTRIBUTES:
            raise UnsupportedSvgError(f"a {tag} element")
        found_paint = _declarations(element, tag)
        affine = _compose(outer, _transform(found_paint.get("transform")))
        fill = _grey(found_paint.get("fill"), fill)
        stroke = _grey(found_paint.get("stroke"), stroke)
        if "stroke-width" in found_paint:
            match = _LENGTH.match(found_paint["stroke-width"])
            if match is None:
                raise UnsupportedSvgError(f"stroke-width={found_paint['stroke-width']!r}")
            width = float(match[1])
        found: list[Shape] = []
        if tag == "rect":
            if stroke is not None:
                raise UnsupportedSvgError("a stroked rect")
            if fill is not None:
                x, y = _float(element, "x"), _float(element, "y")
                rect = (x, y, x + _float(element, "width"), y + _float(element, "height"))
                found.append((rect, fill))
        elif tag == "path":
            subpaths = _subpaths(element.get("d", ""))
            if fill is not None:  # a renderer fills the whole path, then strokes it
                found.extend((_filled_rect(p), fill) for p in subpaths if len(p) > 2)
            if stroke is not None:
                for points in subpaths:
                    found.extend((rect, stroke) for rect in _stroked_rects(points, width))
        else:
            if tag == "svg" and element is not root:
                raise UnsupportedSvgError("a nested svg element")
            for child in element:
                visit(child, fill, stroke, width, affine)
        shapes.extend((_apply(affine, rect), grey) for rect, grey in found)

    visit(root, 0, None, 1.0, (1.0, 1.0, 0.0, 0.0))
    return shapes


def rasterize_svg(data: bytes) -> object | None:
    """Draw an SVG made of axis-aligned rectangles as a greyscale PIL image, or ``None``.

    zxing-cpp reads only raster images. This draws SVGs as barcode generators write them, in
    document order as a renderer paints them: ``rect`` elements and ``path`` elements that
    are filled rectangles (``M``, ``H``, ``V``, ``L``, ``Z`` commands, absolute or relative)
    or horizontal / vertical strokes, in ``g`` groups, each painted with the grey level
    (luma) of its plain, opaque ``fill`` / ``stroke`` colour (attribute or ``style``
    declaration; SVG's default fill is black), with a ``viewBox`` scaling user units to the
    ``width`` × ``height`` pixels and ``transform`` attributes that only scale and
    translate. A pixel takes the paint of the last shape whose area holds its centre;
    pixels no shape covers are composited onto white. Anything it would not draw as a
    renderer does returns ``None`` (curves, rotations, text, gradients, ``url()`` paints,
    translucent colours, ``opacity`` below 1, ``<style>``, ``<defs>``, ``<use>``,
    images, unknown elements or attributes); :func:`explain_svg` says what it was.

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
    from PIL import Image

    painted = paint_svg(data)
    if isinstance(painted, str):
        return painted
    white = Image.new("LA", painted.size, (255, 255))
    return Image.alpha_composite(white.convert("RGBA"), painted.convert("RGBA")).convert("L")


def paint_svg(data: bytes) -> Image.Image | str:
    """The SVG painted on a transparent canvas (a greyscale image with alpha: what no shape
    covers stays transparent, as in a renderer), or why it cannot be drawn.

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
            aspect = root.get("preserveAspectRatio", "").strip()
            if not math.isclose(scale_x, scale_y, rel_tol=1e-6) and aspect != "none":
                raise UnsupportedSvgError(
                    f"a viewBox {view_box!r} of another aspect ratio than {width}x{height} "
                    f"(letterboxed by preserveAspectRatio)"
                )
        shapes = _shapes(root)
    except UnsupportedSvgError as error:
        return f"it uses {error}"
    except ValueError as error:
        return f"a number it cannot read: {error}"
    image = Image.new("LA", (width, height), (255, 0))
    draw = ImageDraw.Draw(image)
    for (x0, y0, x1, y1), grey in shapes:
        # Pixels whose centres (i + 0.5) fall inside [x0, x1) x [y0, y1).
        left = math.ceil((x0 - offset_x) * scale_x - 0.5)
        right = math.ceil((x1 - offset_x) * scale_x - 0.5)
        top = math.ceil((y0 - offset_y) * scale_y - 0.5)
        bottom = math.ceil((y1 - offset_y) * scale_y - 0.5)
        if right > left and bottom > top:
            draw.rectangle((left, top, right - 1, bottom - 1), fill=(grey, 255))
    return image
