"""Symbols from libzint as module rows: the one place that talks to ``zint-bindings``.

libzint encodes; this module reads its module grid (``Symbol.encoded_data``: one row of 144
bytes per module row, least significant bit first, 1 dark) into :class:`Matrix` rows of
``"0"`` / ``"1"`` characters, and nothing of libzint's own drawing (no human-readable text,
no quiet zones, no bearer bars) is used: :mod:`qrplex_zint._raster` draws the image.

What each symbology is asked of libzint:

* QR Code / Micro QR Code: the core's plan (:attr:`qrplex.CodeRequest.qr`): its version and
  error level are forced (``option_2`` / ``option_1``), its bytes are given raw (libzint's
  DATA mode, so it never converts text to Shift JIS), with the plan's ECI (3 or 26) when it
  has one. libzint picks the segment modes itself (it has no option to force one), which never
  needs more room than the plan's single mode, so the symbol is exactly the planned version.
* EAN-13, ISBN-13, EAN-8, UPC-A: the full number with its check digit (libzint checks it).
* Code 128: the ISO-8859-1 bytes. Code 39: libzint draws wide elements 2 modules wide; they
  are widened to 3 here, the ratio the core counts module widths with (and ``local`` draws).
  ITF: as libzint draws it (wide elements are 3 modules already).
* Data Matrix, PDF417, Aztec: the text policy of :mod:`qrplex_zint._text` (ASCII plain,
  other Latin-1 behind ECI 3, anything else UTF-8 behind ECI 26). Data Matrix is square by
  default, or rectangular with ``shape="rectangle"``. PDF417 rows are 3 modules high.
* GS1 symbologies: libzint's GS1 mode, from the element string in brackets
  (``[01]...[10]...``), with FNC1 where the standard puts it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

import zint

from qrplex.errors import InvalidContentError
from qrplex.spec import QrPlan, plan_qr

from ._text import text_payload

__all__ = ["SYMBOLOGIES", "Matrix", "encode"]

_QR_LEVELS: Final[dict[str, int]] = {"L": 1, "M": 2, "Q": 3, "H": 4}
_DATA_MODE: Final = zint.InputMode(0)  # raw bytes; the stubs have no name for it
_GS1_MODE: Final = zint.InputMode.GS1
_PDF417_ROW_HEIGHT: Final = 3
_ROW_BYTES: Final = 144
_CODE39_WIDE: Final = re.compile(r"11|00")
# libzint's option_2 for the six rectangular ECC 200 sizes: 8x18, 8x32, 12x26, 12x36, 16x36,
# 16x48.
_DM_RECTANGLES: Final = (25, 26, 27, 28, 29, 30)


@dataclass(frozen=True, slots=True)
class Matrix:
    """A symbol as module rows, without quiet zones.

    Attributes:
        rows: one ``str`` of ``"0"`` (light) and ``"1"`` (dark) per module row; a linear
            barcode has exactly one.
        dimension: 2 for a matrix (or stacked) code, 1 for a linear barcode.
        row_height: how many modules high each row is drawn (3 for PDF417, else 1).
    """

    rows: tuple[str, ...]
    dimension: Literal[1, 2]
    row_height: int = 1

    @property
    def width(self) -> int:
        """The symbol's width in modules."""
        return len(self.rows[0])

    @property
    def height(self) -> int:
        """The symbol's height in modules (a linear barcode: 1)."""
        return len(self.rows) * self.row_height

    @property
    def side(self) -> int:
        """The longer side of a matrix code, or the width of a linear barcode, in modules."""
        return max(self.width, self.height) if self.dimension == 2 else self.width


def _rows(symbol: zint.Symbol) -> tuple[str, ...]:
    raw = symbol.encoded_data.tobytes()
    width = symbol.width
    used = (width + 7) // 8
    rows = []
    for row in range(symbol.rows):
        start = row * _ROW_BYTES
        value = int.from_bytes(raw[start : start + used], "little")
        rows.append(f"{value:0{used * 8}b}"[::-1][:width])
    return tuple(rows)


def _run(symbol: zint.Symbol, data: bytes | str, title: str) -> None:
    try:
        symbol.encode(data)
    except RuntimeError as error:
        raise InvalidContentError(f"libzint cannot encode this {title}: {error}") from None


def _plan(content: str, symbology: str, level: str, plan: QrPlan | None) -> QrPlan:
    micro = symbology == "microqr"
    if plan is None or plan.micro != micro:
        plan = plan_qr(content, level, micro=micro)
    if plan is None:
        title = "Micro QR Code" if micro else "QR Code"
        raise InvalidContentError(f"the content does not fit in a {title} at error level {level}")
    return plan


def _qr(content: str, symbology: str, options: Mapping[str, Any], plan: QrPlan | None) -> Matrix:
    level = str(options.get("error", "M")).upper()
    plan = _plan(content, symbology, level, plan)
    symbol = zint.Symbol()
    symbol.symbology = zint.Symbology.MICROQR if plan.micro else zint.Symbology.QRCODE
    symbol.option_1 = _QR_LEVELS[level]
    symbol.option_2 = plan.version
    symbol.input_mode = _DATA_MODE
    if plan.eci is not None:
        symbol.eci = plan.eci
    _run(symbol, content.encode(plan.encoding), "QR Code")
    return Matrix(_rows(symbol), 2)


def _linear(kind: zint.Symbology, title: str) -> Callable[[str, Mapping[str, Any]], Matrix]:
    def encode(content: str, options: Mapping[str, Any]) -> Matrix:
        symbol = zint.Symbol()
        symbol.symbology = kind
        symbol.input_mode = _DATA_MODE
        _run(symbol, content.encode("latin-1"), title)
        return Matrix(_rows(symbol)[:1], 1)

    return encode


def _code128(content: str, options: Mapping[str, Any]) -> Matrix:
    try:
        return _linear(zint.Symbology.CODE128, "Code 128")(content, options)
    except InvalidContentError as error:
        from ._code128 import long_code128

        if "too long" not in str(error):  # not libzint's length limit: its message says why
            raise
        return Matrix((long_code128(content),), 1)


def _code39(content: str, options: Mapping[str, Any]) -> Matrix:
    row = _linear(zint.Symbology.CODE39, "Code 39")(content, options).rows[0]
    return Matrix((_CODE39_WIDE.sub(lambda wide: wide[0] + wide[0][0], row),), 1)


def _text_symbol(
    kind: zint.Symbology, title: str, row_height: int = 1
) -> Callable[[str, Mapping[str, Any]], Matrix]:
    def encode(content: str, options: Mapping[str, Any]) -> Matrix:
        payload = text_payload(content, title)
        symbol = zint.Symbol()
        symbol.symbology = kind
        symbol.input_mode = _DATA_MODE
        if payload.eci is not None:
            symbol.eci = payload.eci
        if kind == zint.Symbology.DATAMATRIX:
            _encode_shaped(symbol, payload.data, title, options)
        else:
            _run(symbol, payload.data, title)
        return Matrix(_rows(symbol), 2, row_height)

    return encode


def _shape(symbol: zint.Symbol, options: Mapping[str, Any]) -> Sequence[int]:
    """Data Matrix: the square sizes (libzint picks the smallest), or the rectangular sizes
    to try in turn, smallest first (never DMRE)."""
    if options.get("shape", "square") == "square":
        symbol.option_3 = zint.DataMatrixOptions.SQUARE
        return (0,)
    return _DM_RECTANGLES


def _encode_shaped(
    symbol: zint.Symbol, data: bytes | str, title: str, options: Mapping[str, Any]
) -> None:
    """Encode in the first size that holds the data (one try for a square symbol)."""
    sizes = _shape(symbol, options)
    for size in sizes[:-1]:
        symbol.option_2 = size
        try:
            symbol.encode(data)
        except RuntimeError:
            continue
        return
    symbol.option_2 = sizes[-1]
    _run(symbol, data, title if len(sizes) == 1 else f"rectangular {title}")


def _gs1(
    kind: zint.Symbology, title: str, dimension: Literal[1, 2]
) -> Callable[[str, Mapping[str, Any]], Matrix]:
    def encode(content: str, options: Mapping[str, Any]) -> Matrix:
        from qrplex import gs1

        symbol = zint.Symbol()
        symbol.symbology = kind
        symbol.input_mode = _GS1_MODE
        data = gs1.parse(content).bracketed()
        if kind == zint.Symbology.DATAMATRIX:
            _encode_shaped(symbol, data, title, options)
        else:
            if kind == zint.Symbology.QRCODE:
                symbol.option_1 = _QR_LEVELS[str(options.get("error", "M")).upper()]
            _run(symbol, data, title)
        rows = _rows(symbol)
        return Matrix(rows if dimension == 2 else rows[:1], dimension)

    return encode


_ENCODERS: Final[dict[str, Callable[[str, Mapping[str, Any]], Matrix]]] = {
    "ean13": _linear(zint.Symbology.EANX_CHK, "EAN-13"),
    "isbn13": _linear(zint.Symbology.EANX_CHK, "ISBN-13"),
    "ean8": _linear(zint.Symbology.EANX_CHK, "EAN-8"),
    "upca": _linear(zint.Symbology.UPCA_CHK, "UPC-A"),
    "code128": _code128,
    "code39": _code39,
    "itf": _linear(zint.Symbology.C25INTER, "Interleaved 2 of 5"),
    "datamatrix": _text_symbol(zint.Symbology.DATAMATRIX, "Data Matrix"),
    "pdf417": _text_symbol(zint.Symbology.PDF417, "PDF417", _PDF417_ROW_HEIGHT),
    "aztec": _text_symbol(zint.Symbology.AZTEC, "Aztec Code"),
    "gs1-128": _gs1(zint.Symbology.GS1_128, "GS1-128", 1),
    "gs1-datamatrix": _gs1(zint.Symbology.DATAMATRIX, "GS1 DataMatrix", 2),
    "gs1-qr": _gs1(zint.Symbology.QRCODE, "GS1 QR Code", 2),
    "gs1-databar-expanded": _gs1(zint.Symbology.DBAR_EXP, "GS1 DataBar Expanded", 1),
}

SYMBOLOGIES: Final = frozenset({"qr", "microqr", *_ENCODERS})
"""Every symbology :func:`encode` knows: the core's (GS1-128 included) and the plugin's (the
backend's ``SERVED``, which a test keeps equal)."""


@functools.lru_cache(maxsize=256)
def _cached(symbology: str, content: str, items: tuple[tuple[str, Any], ...]) -> Matrix:
    return _ENCODERS[symbology](content, dict(items))


def encode(
    symbology: str, content: str, options: Mapping[str, Any], plan: QrPlan | None = None
) -> Matrix:
    """The module rows of ``content`` in ``symbology``.

    Symbols other than QR codes are kept (the last 256): the content rules of the plugin's
    symbologies encode once to check capacity and count modules, and the backend draws the
    same symbol without encoding it again.

    Raises:
        InvalidContentError: libzint cannot encode it (the message says why).
        KeyError: a symbology it does not know.
    """
    if symbology in ("qr", "microqr"):
        return _qr(content, symbology, options, plan)
    items = tuple(sorted(options.items()))
    try:
        hash(items)
    except TypeError:  # an unhashable option value (the rules refuse it): no caching
        return _ENCODERS[symbology](content, options)
    return _cached(symbology, content, items)
