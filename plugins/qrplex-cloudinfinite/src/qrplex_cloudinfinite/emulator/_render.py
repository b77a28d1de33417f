"""The emulator's encoder: libzint (through ``zint-bindings``) for the symbol, Pillow for pixels.

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
* Output: a 1-bit PNG.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import zint
from PIL import Image

__all__ = ["RenderError", "Rendered", "render"]

QR_QUIET = 4
EAN_QUIET_LEFT = 11
EAN_QUIET_RIGHT = 7
EAN_MODULES = 95
EAN_HEIGHT_RATIO = 22.85 / 37.29

# zint packs modules least-significant bit first, 1 = dark; Pillow's "1" mode wants the most
# significant bit first, 1 = white. One table does both.
_TO_PILLOW = bytes(int(f"{i:08b}"[::-1], 2) ^ 0xFF for i in range(256))


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


def _module_image(symbol: zint.Symbol) -> Image.Image:
    data = symbol.encoded_data
    stride = data.shape[1] if data.shape else 144
    raw = data.tobytes()
    row_bytes = (symbol.width + 7) // 8
    packed = b"".join(
        raw[row * stride : row * stride + row_bytes] for row in range(symbol.rows)
    ).translate(_TO_PILLOW)
    return Image.frombytes("1", (symbol.width, symbol.rows), packed)


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


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
    modules = _module_image(symbol).resize((size * scale, size * scale), Image.Resampling.NEAREST)
    canvas = Image.new("1", (width, width), 1)
    offset = QR_QUIET * scale + leftover // 2
    canvas.paste(modules, (offset, offset))
    return Rendered(_png(canvas), width, width, size, eci)


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
    bars = _module_image(symbol).resize((EAN_MODULES * scale, height), Image.Resampling.NEAREST)
    canvas = Image.new("1", (width, height), 1)
    canvas.paste(bars, (EAN_QUIET_LEFT * scale + leftover // 2, 0))
    return Rendered(_png(canvas), width, height, EAN_MODULES)


def render(content: str, mode: int, width: int) -> Rendered:
    """Render ``content`` as a QR code (``mode=0``) or EAN-13 barcode (``mode=1``).

    Raises:
        RenderError: the content does not fit, or ``width`` is below the symbol's minimum.
    """
    if mode == 1:
        return _ean13(content, width)
    return _qr(content, width)
