"""Draw a module matrix as PNG or SVG with exact pixel geometry.

This writer is hand-written on purpose. segno's and python-barcode's writers can only draw
quiet zones in whole modules (and python-barcode's raster writer needs Pillow and sizes
modules in millimetres at a DPI), so neither can make an image of *exactly* the width asked
for, with the leftover pixels placed in the quiet zones. Here every module is ``scale``
pixels and the quiet zones are whatever :func:`qrplex_local._geometry.layout` says.

* PNG: 1-bit greyscale (0 dark, 1 light), non-interlaced, filter type 0 on every row,
  written with :mod:`zlib` and :mod:`struct` only (no Pillow).
* SVG: a white background ``rect`` and one ``path`` of dark rectangles, one per horizontal
  run of dark modules (a matrix code) or per bar (a linear barcode, each spanning the bar
  height). The root has ``width`` and ``height`` in pixels (unitless user units), a matching
  ``viewBox`` and ``shape-rendering="crispEdges"``.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

from ._geometry import Layout
from ._matrix import ModuleMatrix

__all__ = ["dark_runs", "to_png", "to_svg"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_BATCH_BYTES = 1 << 20


def dark_runs(row: bytes) -> Iterator[tuple[int, int]]:
    """Yield ``(start, length)`` of every run of dark modules in ``row``, left to right."""
    start = -1
    for index, module in enumerate(row):
        if module and start < 0:
            start = index
        elif not module and start >= 0:
            yield start, index - start
            start = -1
    if start >= 0:
        yield start, len(row) - start


def _bands(matrix: ModuleMatrix, lay: Layout) -> Iterator[tuple[bytes | None, int]]:
    """Yield ``(module row or None for all light, pixel rows)`` from top to bottom."""
    if lay.top:
        yield None, lay.top
    used = lay.top
    for row in matrix.rows:
        yield row, lay.bar_height
        used += lay.bar_height
    if lay.height > used:
        yield None, lay.height - used


def _png_row(row: bytes | None, lay: Layout) -> bytes:
    """One PNG scanline: filter byte 0, then the pixels packed 8 to a byte, MSB first."""
    padded = (lay.width + 7) // 8 * 8
    if row is None:
        bits = "1" * padded
    else:
        modules = "".join("0" if module else "1" for module in row)
        pixels = "".join(bit * lay.scale for bit in modules)
        bits = ("1" * lay.left + pixels).ljust(padded, "1")
    return b"\x00" + int(bits, 2).to_bytes(padded // 8, "big")


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def to_png(matrix: ModuleMatrix, lay: Layout) -> bytes:
    """Encode ``matrix`` laid out as ``lay`` as a 1-bit greyscale PNG."""
    compressor = zlib.compressobj(9)
    parts: list[bytes] = []
    for row, repeat in _bands(matrix, lay):
        scanline = _png_row(row, lay)
        batch = max(1, _BATCH_BYTES // len(scanline))  # bounded memory for huge images
        while repeat > 0:
            parts.append(compressor.compress(scanline * min(batch, repeat)))
            repeat -= batch
    parts.append(compressor.flush())
    header = struct.pack(">IIBBBBB", lay.width, lay.height, 1, 0, 0, 0, 0)
    return b"".join(
        (
            _PNG_SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", b"".join(parts)),
            _chunk(b"IEND", b""),
        )
    )


def to_svg(matrix: ModuleMatrix, lay: Layout) -> bytes:
    """Encode ``matrix`` laid out as ``lay`` as a compact SVG document (UTF-8 bytes)."""
    commands: list[str] = []
    y = lay.top
    for row in matrix.rows:
        for start, length in dark_runs(row):
            x = lay.left + start * lay.scale
            w = length * lay.scale
            commands.append(f"M{x} {y}h{w}v{lay.bar_height}h-{w}z")
        y += lay.bar_height
    w, h = lay.width, lay.height
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" shape-rendering="crispEdges">'
        f'<rect width="{w}" height="{h}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(commands)}"/>'
        "</svg>\n"
    ).encode("ascii")
