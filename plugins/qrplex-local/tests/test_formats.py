"""The PNG and SVG files themselves: structure, and no Pillow anywhere in the backend."""

from __future__ import annotations

import ast
import os
import struct
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
import zlib
from pathlib import Path
from types import ModuleType

import pytest

import qrplex_local


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    chunks: list[tuple[bytes, bytes]] = []
    offset = 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        data = png[offset + 8 : offset + 8 + length]
        (crc,) = struct.unpack(">I", png[offset + 8 + length : offset + 12 + length])
        assert crc == zlib.crc32(kind + data)
        chunks.append((kind, data))
        offset += 12 + length
    assert offset == len(png)
    return chunks


@pytest.mark.parametrize("width", [None, 29, 100, 1001])
def test_png_is_1_bit_greyscale_with_filter_0(kit: ModuleType, sym: str, width: int | None) -> None:
    content = kit.SAMPLES[sym]
    if width is not None:
        width = max(width, kit.minimum_width(content, sym))
    rendering = kit.render(content, sym, "png", width)
    chunks = _chunks(rendering.data)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    w, h, depth, colour, compression, filtering, interlace = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (w, h) == (rendering.width, rendering.height)
    assert (depth, colour, compression, filtering, interlace) == (1, 0, 0, 0, 0)
    raw = zlib.decompress(chunks[1][1])
    stride = 1 + (w + 7) // 8
    assert len(raw) == h * stride
    assert all(raw[row * stride] == 0 for row in range(h))


def test_png_padding_bits_are_light(kit: ModuleType) -> None:
    rendering = kit.render("hello", "qr", width=99)  # 99 px: 5 padding bits a row
    raw = zlib.decompress(_chunks(rendering.data)[1][1])
    stride = 1 + 13
    assert all(raw[row * stride + 13] & 0b11111 == 0b11111 for row in range(99))


def test_svg_root(kit: ModuleType, sym: str) -> None:
    rendering = kit.render(kit.SAMPLES[sym], sym, "svg")
    assert rendering.data.startswith(b"<svg ")
    root = ET.fromstring(rendering.data)
    assert root.attrib["width"] == str(rendering.width)
    assert root.attrib["height"] == str(rendering.height)
    assert root.attrib["viewBox"] == f"0 0 {rendering.width} {rendering.height}"
    assert root.attrib["shape-rendering"] == "crispEdges"
    kit.svg_image(rendering.data)  # and nothing but background + rectangles


def test_svg_linear_is_one_rect_per_bar(kit: ModuleType) -> None:
    rendering = kit.render("4006381333931", "ean13", "svg")
    d = ET.fromstring(rendering.data)[1].attrib["d"]
    # 2 bars for each of the 12 digits drawn, 2 in each of the 3 guard patterns.
    assert d.count("M") == 12 * 2 + 3 * 2
    assert d.count(f"v{rendering.height - 2 * 3}h") == 30  # each spans the bar height


_NO_PILLOW = """
import importlib.abc, sys

class NoPillow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "PIL" or name.startswith("PIL."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoPillow())
from qrplex import CodeRequest
from qrplex_local import LocalBackend

samples = %r
for symbology, content in samples.items():
    for format in ("png", "svg"):
        LocalBackend({}).render(CodeRequest(content, symbology, format, 500))
assert not [name for name in sys.modules if name.split(".")[0] == "PIL"]
print("rendered without Pillow")
"""

_QR_ONLY = """
import sys
from qrplex import CodeRequest
from qrplex_local import LocalBackend
import qrplex_local.plugin

LocalBackend({}).render(CodeRequest("hello", "qr", "png"))
LocalBackend({}).render(CodeRequest("HELLO", "microqr", "svg"))
loaded = sorted({name.split(".")[0] for name in sys.modules} & {"PIL", "barcode"})
assert not loaded, loaded
print("no Pillow, no python-barcode")
"""


def _run(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_renders_everything_without_pillow(kit: ModuleType) -> None:
    assert _run(_NO_PILLOW % (kit.SAMPLES,)).strip() == "rendered without Pillow"


def test_qr_does_not_even_import_pillow_or_python_barcode() -> None:
    assert _run(_QR_ONLY).strip() == "no Pillow, no python-barcode"


def test_package_source_never_imports_pillow() -> None:
    package = Path(qrplex_local.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not [n for n in names if n.split(".")[0] == "PIL"], path
