"""The emulator's encoder: libzint (through ``zint-bindings``) for the symbol, ``zlib`` for the
PNG.

Deliberately independent of the ``local`` backend (segno / python-barcode), so that the two
check each other.

* QR code: ECC level M, version chosen by libzint, qrplex's charset policy: ASCII as plain
  bytes, other ISO-8859-1 text as Latin-1 under ECI 3, anything else as UTF-8 under ECI 26
  (the real service's charset handling is not documented). The image is square,
  ``width`` x ``width``, with a quiet zone of at least 4 modules.
* Barcode (``mode=1``): EAN-13 from 12 digits (libzint appends the check digit), quiet zones of
  at least 11 modules left and 7 right, no human-readable text; height is ``width`` times the
  nominal EAN-13 bar-height-to-width ratio (22.85 mm / 37.29 mm).
* Modules are whole pixels (``width // modules`` each); pixels left over widen the quiet zones.
* Output: a 1-bit grayscale PNG. Its rows are built as text (``"0"`` a dark pixel, ``"1"`` a
  light one) and packed with ``int(..., 2)``: each module row becomes a line once, and is
  repeated as whole scanlines. (Pillow's resize, paste and PNG writer, used before, cost
  four times as much for these images, mostly in converting the image to bytes.)

The same content, mode and width always give the same bytes, so recent renderings are kept
(:data:`CACHE_BYTES` of PNG at most) and a repeated request is answered without rendering.
"""

from __future__ import annotations

import struct
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass

import zint

__all__ = ["CACHE_BYTES", "RenderError", "Rendered", "render"]

CACHE_BYTES = 8 << 20
"""PNG bytes of recent renderings kept (8 MiB)."""

QR_QUIET = 4
EAN_QUIET_LEFT = 11
EAN_QUIET_RIGHT = 7
EAN_MODULES = 95
EAN_HEIGHT_RATIO = 22.85 / 37.29

# zint packs modules least-significant bit first, 1 = dark; a PNG line is written most
# significant bit first, 0 = black. One table gives a byte's 8 modules as PNG pixel digits.
_MODULES = [f"{i:08b}"[::-1].translate({48: "1", 49: "0"}) for i in range(256)]


class RenderError(ValueError):
    """The content or width cannot be rendered (the service answers InvalidArgument)."""


@dataclass(frozen=True)
class Rendered:
    """A rendered symbol.

    Attributes:
        png: the PNG file.
        width: image width in pixels.
        height: image height in pixels.
        modules: symbol width in modules, without quiet zones.
        eci: the ECI designator the QR code carries (3 Latin-1, 26 UTF-8), or ``None``.
    """

    png: bytes
    width: int
    height: int
    modules: int
    eci: int | None = None


def _module_rows(symbol: zint.Symbol) -> list[str]:
    """The symbol's module rows as pixel digits (``"0"`` dark, ``"1"`` light)."""
    data = symbol.encoded_data
    stride = data.shape[1] if data.shape else 144
    raw = data.tobytes()
    row_bytes = (symbol.width + 7) // 8
    return [
        "".join(_MODULES[b] for b in raw[row * stride : row * stride + row_bytes])[: symbol.width]
        for row in range(symbol.rows)
    ]


def _scanlines(
    rows: list[str], *, scale: int, row_height: int, left: int, top: int, width: int, height: int
) -> bytes:
    """PNG scanlines (filter byte 0 and the packed row) of a ``width`` x ``height`` light
    image with ``rows`` drawn at (``left``, ``top``), each module ``scale`` pixels wide and
    each row ``row_height`` pixels high."""
    stride = (width + 7) // 8
    padding = "1" * (8 * stride - width)

    def line(pixels: str) -> bytes:
        return b"\0" + int(pixels + padding, 2).to_bytes(stride, "big")

    widen = {48: "0" * scale, 49: "1" * scale}
    blank = line("1" * width)
    lines = [blank] * top
    for row in rows:
        drawn = row.translate(widen)
        lines += [line("1" * left + drawn + "1" * (width - left - len(drawn)))] * row_height
    lines += [blank] * (height - len(lines))
    return b"".join(lines)


_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png(width: int, height: int, scanlines: bytes) -> bytes:
    """A 1-bit grayscale PNG of these scanlines."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)  # 1-bit grayscale
    return (
        _PNG_SIGNATURE
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(scanlines, 1))  # level 1: a fifth of the time
        + _chunk(b"IEND", b"")
    )


def _encode(symbol: zint.Symbol, data: bytes | str) -> None:
    try:
        symbol.encode(data)
    except RuntimeError as exc:
        raise RenderError(f"qrcode-content cannot be encoded: {exc}") from None


def _qr(content: str, width: int) -> Rendered:
    symbol = zint.Symbol()
    symbol.symbology = zint.Symbology.QRCODE
    symbol.option_1 = 2  # ECC level M
    data: bytes | str = content
    eci: int | None = None
    if content.isascii():
        data = content.encode("ascii")
    elif all(ord(char) < 256 for char in content):
        # Raw Latin-1 bytes: in UNICODE mode libzint refuses C1 controls (U+0080-U+009F)
        # under ECI 3, though they are bytes like any other here.
        symbol.input_mode = zint.InputMode(0)  # DATA (raw bytes); the stubs lack the name
        symbol.eci = eci = 3
        data = content.encode("latin-1")
    else:
        symbol.input_mode = zint.InputMode.UNICODE
        symbol.eci = eci = 26
    _encode(symbol, data)
    size = symbol.width
    total = size + 2 * QR_QUIET
    if width < total:
        raise RenderError(
            f"width {width} is too small: this QR code needs at least {total} px "
            f"({size} modules and a {QR_QUIET}-module quiet zone each side)"
        )
    scale, leftover = divmod(width, total)
    offset = QR_QUIET * scale + leftover // 2
    lines = _scanlines(
        _module_rows(symbol),
        scale=scale,
        row_height=scale,
        left=offset,
        top=offset,
        width=width,
        height=width,
    )
    return Rendered(_png(width, width, lines), width, width, size, eci)


def _ean13(content: str, width: int) -> Rendered:
    symbol = zint.Symbol()
    symbol.symbology = zint.Symbology.EANX
    symbol.show_text = False
    _encode(symbol, content)
    if symbol.width != EAN_MODULES or symbol.rows != 1:  # pragma: no cover - libzint contract
        raise RenderError(f"qrcode-content {content!r} did not give an EAN-13 symbol")
    total = EAN_QUIET_LEFT + EAN_MODULES + EAN_QUIET_RIGHT
    if width < total:
        raise RenderError(
            f"width {width} is too small: an EAN-13 barcode needs at least {total} px "
            f"({EAN_MODULES} modules and {EAN_QUIET_LEFT}/{EAN_QUIET_RIGHT}-module quiet zones)"
        )
    scale, leftover = divmod(width, total)
    height = max(1, round(width * EAN_HEIGHT_RATIO))
    lines = _scanlines(
        _module_rows(symbol),
        scale=scale,
        row_height=height,
        left=EAN_QUIET_LEFT * scale + leftover // 2,
        top=0,
        width=width,
        height=height,
    )
    return Rendered(_png(width, height, lines), width, height, EAN_MODULES)


class _Recent:
    """The most recently used renderings, up to :data:`CACHE_BYTES` of PNG (thread-safe)."""

    def __init__(self, budget: int) -> None:
        self._budget = budget
        self._size = 0
        self._entries: OrderedDict[tuple[str, int, int], Rendered] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int, int]) -> Rendered | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: tuple[str, int, int], rendered: Rendered) -> None:
        size = len(rendered.png)
        if size > self._budget // 16:
            return  # a huge image would push out many small ones
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = rendered
            self._size += size
            while self._size > self._budget:
                _, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped.png)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._size = 0


_recent = _Recent(CACHE_BYTES)


def cached(content: str, mode: int, width: int) -> Rendered | None:
    """The rendering of an earlier identical request, if it is still kept."""
    return _recent.get((content, mode, width))


def render(content: str, mode: int, width: int) -> Rendered:
    """Render ``content`` as a QR code (``mode=0``) or EAN-13 barcode (``mode=1``).

    Raises:
        RenderError: the content does not fit, or ``width`` is below the symbol's minimum.
    """
    key = (content, mode, width)
    found = _recent.get(key)
    if found is not None:
        return found
    rendered = _ean13(content, width) if mode == 1 else _qr(content, width)
    _recent.put(key, rendered)
    return rendered
