"""Draw a :class:`~qrplex_zint._matrix.Matrix` as PNG or SVG, pixel-exact and fast.

Written by hand, as ``local``'s writer is, because libzint's own raster and vector output
sizes modules in whole-module borders and can put text under bars: here the image is exactly
the width asked for, with the leftover pixels in the quiet zones (:mod:`qrplex_zint._layout`).

* PNG: 1-bit greyscale (0 dark, 1 light), filter type 0 on every row, written with
  :mod:`zlib` and :mod:`struct`. Each distinct module row becomes one scanline, built once
  and repeated, so the cost grows with the symbol, not with the image's area.
* SVG: a white background ``rect`` and one black ``path`` of rectangles, one per horizontal
  run of dark modules, in relative commands; ``width`` / ``height`` in pixels with a
  matching ``viewBox``.
"""

from __future__ import annotations

import functools
import re
import struct
import zlib
from typing import TYPE_CHECKING, Final

from ._layout import Layout

if TYPE_CHECKING:
    from ._matrix import Matrix

__all__ = ["to_png", "to_svg"]

_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
_BATCH_BYTES: Final = 1 << 20
_PIECE: Final = re.compile("1+0*|0+")
_LEVEL: Final = 2  # a QR code of a URL: ~1.4x the bytes of level 9 (~750 B), in a tenth of its time


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


@functools.lru_cache(maxsize=32)
def _spread(scale: int) -> dict[str, bytes]:
    """Eight modules (``"0"`` / ``"1"``) -> their ``8 * scale`` pixel bits (1 dark), as bytes."""
    return {
        chunk: int("".join(bit * scale for bit in chunk), 2).to_bytes(scale, "big")
        for chunk in (f"{value:08b}" for value in range(256))
    }


def _scanline(row: str | None, lay: Layout, padded: int) -> bytes:
    """One PNG scanline: filter byte 0, then ``padded`` pixel bits (0 dark, 1 light)."""
    light = (1 << padded) - 1
    if row is None:
        return b"\x00" + light.to_bytes(padded // 8, "big")
    table = _spread(lay.scale)
    whole = row + "0" * (-len(row) % 8)  # light modules up to a multiple of 8
    dark = int.from_bytes(b"".join([table[whole[i : i + 8]] for i in range(0, len(whole), 8)]))
    shift = padded - lay.left - len(whole) * lay.scale  # < 0: only light padding drops off
    dark = dark << shift if shift >= 0 else dark >> -shift
    return b"\x00" + (light ^ dark).to_bytes(padded // 8, "big")


def _bands(matrix: Matrix, lay: Layout, padded: int) -> list[tuple[bytes, int]]:
    """``(scanline, times)`` from top to bottom; each distinct module row is built once."""
    blank = _scanline(None, lay, padded)
    bands: list[tuple[bytes, int]] = [(blank, lay.top)] if lay.top else []
    lines: dict[str, bytes] = {}
    for row in matrix.rows:
        line = lines.get(row)
        if line is None:
            line = lines[row] = _scanline(row, lay, padded)
        bands.append((line, lay.row_height))
    below = lay.height - lay.top - lay.row_height * len(matrix.rows)
    if below > 0:
        bands.append((blank, below))
    return bands


def _deflate(bands: list[tuple[bytes, int]], size: int) -> bytes:
    """The zlib stream of the scanlines; in slices of about 1 MiB for a large image, so that
    memory stays bounded."""
    if size <= _BATCH_BYTES:
        return zlib.compress(b"".join([line * times for line, times in bands]), _LEVEL)
    compressor = zlib.compressobj(_LEVEL)
    parts: list[bytes] = []
    for line, times in bands:
        batch = max(1, _BATCH_BYTES // len(line))
        while times > 0:
            parts.append(compressor.compress(line * min(batch, times)))
            times -= batch
    parts.append(compressor.flush())
    return b"".join(parts)


def to_png(matrix: Matrix, lay: Layout) -> bytes:
    """``matrix`` laid out as ``lay``, as a 1-bit greyscale PNG."""
    padded = (lay.width + 7) // 8 * 8
    data = _deflate(_bands(matrix, lay, padded), (padded // 8 + 1) * lay.height)
    header = struct.pack(">IIBBBBB", lay.width, lay.height, 1, 0, 0, 0, 0)
    return b"".join(
        (_PNG_SIGNATURE, _chunk(b"IHDR", header), _chunk(b"IDAT", data), _chunk(b"IEND", b""))
    )


class _Pieces(dict[str, str]):
    """SVG path commands for a run of dark modules followed by a run of light ones (either
    may be empty), relative to the run's top-left corner, built on first use."""

    def __init__(self, scale: int, high: int) -> None:
        super().__init__()
        self.scale, self.high = scale, high

    def __missing__(self, piece: str) -> str:
        dark = piece.count("1") * self.scale
        move = len(piece) * self.scale
        command = f"h{dark}v{self.high}h-{dark}zm{move} 0" if dark else f"m{move} 0"
        self[piece] = command
        return command


@functools.lru_cache(maxsize=32)
def _pieces(scale: int, high: int) -> _Pieces:
    return _Pieces(scale, high)


def to_svg(matrix: Matrix, lay: Layout) -> bytes:
    """``matrix`` laid out as ``lay``, as an SVG document (UTF-8 bytes).

    Each dark run is one rectangle, written relative to the previous one: a row is split
    into (dark run, light run) pieces by a regular expression, and each distinct piece's
    commands are made once, so little Python code runs per run.
    """
    pieces = _pieces(lay.scale, lay.row_height)
    commands = [
        f"M{lay.left} {lay.top + index * lay.row_height}"
        + "".join(map(pieces.__getitem__, _PIECE.findall(row.rstrip("0"))))
        for index, row in enumerate(matrix.rows)
    ]
    w, h = lay.width, lay.height
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
        f'viewBox="0 0 {w} {h}" shape-rendering="crispEdges">'
        f'<rect width="{w}" height="{h}" fill="#fff"/>'
        f'<path fill="#000" d="{"".join(commands)}"/>'
        "</svg>\n"
    ).encode("ascii")
