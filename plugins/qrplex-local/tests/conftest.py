"""Helpers for the ``local`` backend tests: render, decode with zxing-cpp, read pixels back.

Tests reach the helpers through the session-scoped ``kit`` fixture (this module itself), so
hypothesis tests can use them too; ``sym`` runs a test once per symbology.
"""

from __future__ import annotations

import io
import re
import sys
import xml.etree.ElementTree as ET
from types import ModuleType
from typing import Any

import pytest
import zxingcpp
from PIL import Image, ImageChops, ImageDraw, ImageOps

from qrplex import CodeRequest, Rendering, gs1, spec
from qrplex_local import LocalBackend
from qrplex_local._matrix import build_matrix

SVG_NS = "{http://www.w3.org/2000/svg}"

# The core's nine and GS1-128 (which the core registers besides them), by name.
SYMBOLOGIES = {**spec.SYMBOLOGIES, **spec.GS1_SYMBOLOGIES}

# One valid, normalized content per symbology (check digits included).
SAMPLES: dict[str, str] = {
    "qr": "https://example.com/?q=1",
    "microqr": "HELLO 123",
    "ean13": "4006381333931",
    "ean8": "96385074",
    "upca": "036000291452",
    "isbn13": "9780306406157",
    "code128": "Code 128 / 0123456789",
    "code39": "CODE-39 $/+%",
    "itf": "0123456789",
    "gs1-128": "(01)09506000134352(10)ABC123(17)201225",
}

# The zxing-cpp format each symbology must be read as (Code 39 without full-ASCII decoding).
ZXING_FORMATS: dict[str, Any] = {
    "qr": zxingcpp.BarcodeFormat.QRCode,
    "microqr": zxingcpp.BarcodeFormat.MicroQRCode,
    "ean13": zxingcpp.BarcodeFormat.EAN13,
    "ean8": zxingcpp.BarcodeFormat.EAN8,
    "upca": zxingcpp.BarcodeFormat.UPCA,
    "isbn13": zxingcpp.BarcodeFormat.EAN13,
    "code128": zxingcpp.BarcodeFormat.Code128,
    "code39": zxingcpp.BarcodeFormat.Code39Std,
    "itf": zxingcpp.BarcodeFormat.ITF,
    "gs1-128": zxingcpp.BarcodeFormat.Code128,
}

_RECT = re.compile(r"M(\d+) (\d+)h(\d+)v(\d+)h-(\d+)z")


def render(
    content: str,
    symbology: str = "qr",
    format: str = "png",
    width: int | None = None,
    **options: Any,
) -> Rendering:
    """Render through ``LocalBackend({}).render`` directly (no core validation)."""
    request = CodeRequest(content, symbology, format, width, options)
    return LocalBackend({}).render(request)


def read(png: bytes, symbology: str) -> list[Any]:
    """The barcodes zxing-cpp finds in ``png``, restricted to the symbology's format.

    Plain text mode: control characters come back as themselves (HRI shows ``<NUL>``).
    """
    image = Image.open(io.BytesIO(png))
    return list(
        zxingcpp.read_barcodes(
            image, formats=ZXING_FORMATS[symbology], text_mode=zxingcpp.TextMode.Plain
        )
    )


def decode(png: bytes, symbology: str) -> list[str]:
    """The texts zxing-cpp reads from ``png`` (see :func:`read`)."""
    return [result.text for result in read(png, symbology)]


def decoded_as(symbology: str, content: str) -> set[str]:
    """The texts that count as reading ``content`` back exactly.

    zxing-cpp 3.x reports a UPC-A as the equivalent 13-digit EAN-13 (a leading ``0``), even
    when asked for UPC-A only. GS1-128 reads as the data a scanner transmits, with a GS after
    each variable-length field that is not last.
    """
    if symbology == "gs1-128":
        return {gs1.parse(content).fnc1_data()}
    return {content, "0" + content} if symbology == "upca" else {content}


def png_image(png: bytes) -> Image.Image:
    """The PNG as an 8-bit greyscale image (0 dark, 255 light)."""
    return Image.open(io.BytesIO(png)).convert("L")


def svg_image(svg: bytes) -> Image.Image:
    """Rasterize the SVG written by the backend: its path's rectangles, pixel for pixel.

    Also checks the document is what the backend promises: well-formed, a white background
    rect and one black path made only of ``M x y h w v h h -w z`` rectangles.
    """
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG_NS}svg"
    width, height = int(root.attrib["width"]), int(root.attrib["height"])
    assert root.attrib["viewBox"] == f"0 0 {width} {height}"
    assert root.attrib["shape-rendering"] == "crispEdges"
    background, path = list(root)
    assert background.tag == f"{SVG_NS}rect"
    assert background.attrib == {"width": str(width), "height": str(height), "fill": "#fff"}
    assert path.tag == f"{SVG_NS}path"
    assert path.attrib["fill"] == "#000"
    d = path.attrib["d"]
    rects = _RECT.findall(d)
    assert "".join(f"M{x} {y}h{w}v{h}h-{w2}z" for x, y, w, h, w2 in rects) == d
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for x, y, w, h, w2 in ((int(v) for v in rect) for rect in rects):
        assert w == w2
        assert min(w, h) > 0
        assert x + w <= width
        assert y + h <= height
        draw.rectangle((x, y, x + w - 1, y + h - 1), fill=0)
    return image


def dark_box(image: Image.Image) -> tuple[int, int, int, int]:
    """``(left, top, right, bottom)`` of the dark pixels (right and bottom exclusive)."""
    box = ImageOps.invert(image).getbbox()
    assert box is not None, "no dark pixel at all"
    return box


def same_pixels(first: Image.Image, second: Image.Image) -> bool:
    """Whether two greyscale images are identical, pixel for pixel."""
    return first.size == second.size and ImageChops.difference(first, second).getbbox() is None


def symbol_modules(content: str, symbology: str, **options: Any) -> int:
    """The symbol width in modules, as the backend encodes it."""
    return build_matrix(CodeRequest(content, symbology, "png", None, options)).width


def minimum_width(content: str, symbology: str, **options: Any) -> int:
    """The smallest width the symbol fits in: one pixel a module plus the quiet zones."""
    spec = SYMBOLOGIES[symbology]
    right = spec.quiet_left if spec.dimension == 2 else spec.quiet_right
    return symbol_modules(content, symbology, **options) + spec.quiet_left + right


@pytest.fixture(scope="session")
def kit() -> ModuleType:
    """The helpers of this module: ``kit.render(...)``, ``kit.decode(...)``, ``kit.SAMPLES``."""
    return sys.modules[__name__]


@pytest.fixture(params=sorted(SAMPLES))
def sym(request: pytest.FixtureRequest) -> str:
    """Each symbology the backend serves, in turn."""
    return str(request.param)
