"""Turn a request into a module matrix: segno for QR / Micro QR, python-barcode for linear codes.

Both libraries are used only as *encoders*. segno yields the QR module matrix without a border;
python-barcode's ``build()`` yields the bar pattern (``"10100011..."``, one character per
module). Their writers are not used: the image is drawn by :mod:`qrplex_local._raster`.

Every content is checked here again before it is encoded, because both libraries silently
"fix" some contents instead of rejecting them (python-barcode recomputes a wrong UPC-A check
digit, upper-cases Code 39, pads an odd-length ITF with ``0``, treats ``ñ`` as Code 128 FNC1;
segno picks Kanji mode for byte strings that merely look like Shift JIS). Whatever a library
would change is rejected with :class:`~qrplex.errors.InvalidContentError` instead, so the
symbol always decodes to exactly ``request.content``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from qrplex._model import CodeRequest
from qrplex.errors import InvalidContentError, InvalidOptionError, UnsupportedError

__all__ = [
    "LINEAR_SYMBOLOGIES",
    "MATRIX_SYMBOLOGIES",
    "ModuleMatrix",
    "build_matrix",
    "gtin_check_digit",
    "qr_charset",
]

MATRIX_SYMBOLOGIES: Final = frozenset({"qr", "microqr"})
"""The 2D symbologies, encoded with segno."""

LINEAR_SYMBOLOGIES: Final = frozenset(
    {"ean13", "ean8", "upca", "isbn13", "code128", "code39", "itf"}
)
"""The 1D symbologies, encoded with python-barcode."""

_ERROR_LEVELS: Final[Mapping[str, tuple[str, ...]]] = {
    "qr": ("L", "M", "Q", "H"),
    "microqr": ("L", "M", "Q"),
}
_DEFAULT_ERROR: Final = "M"

# The QR alphanumeric mode's 45 characters (ISO/IEC 18004, table 5).
_QR_ALPHANUMERIC: Final = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
_CODE39_CHARS: Final = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%")

# Narrow and wide ITF elements in modules: ratio 3:1, so one module is the narrow element X
# (the unit the spec's 10X quiet zone is measured in). python-barcode's default is 2:5.
_ITF_NARROW: Final = 1
_ITF_WIDE: Final = 3


@dataclass(frozen=True, slots=True)
class ModuleMatrix:
    """A symbol as modules, without any quiet zone.

    Attributes:
        rows: one ``bytes`` per module row, one byte per module: 1 dark, 0 light. A linear
            barcode has exactly one row, whose bars span the height of the image.
        dimension: 2 for a matrix code, 1 for a linear barcode.
    """

    rows: tuple[bytes, ...]
    dimension: Literal[1, 2]

    @property
    def width(self) -> int:
        """The symbol width in modules (quiet zones excluded)."""
        return len(self.rows[0])


def build_matrix(request: CodeRequest) -> ModuleMatrix:
    """Encode ``request.content`` in ``request.symbology`` as a :class:`ModuleMatrix`.

    Raises:
        InvalidContentError: the content cannot be carried exactly (bad characters, wrong
            length or check digit, over capacity, ...).
        InvalidOptionError: an option value does not apply (unknown error level, ...).
        UnsupportedError: the symbology is not one this backend knows.
    """
    if request.symbology in MATRIX_SYMBOLOGIES:
        return _qr_matrix(request)
    if request.symbology in LINEAR_SYMBOLOGIES:
        return _linear_matrix(request)
    raise UnsupportedError(f"the local backend cannot encode {request.symbology!r}")


# --- QR / Micro QR --------------------------------------------------------------------------


def qr_charset(content: str) -> tuple[str, bool]:
    """The byte encoding and whether to signal it with an ECI, for QR ``content``.

    * ASCII only: ISO-8859-1 (the QR default charset), no ECI; numeric and alphanumeric
      contents get those modes.
    * other ISO-8859-1 text: ISO-8859-1 *with* ECI 3. Without the ECI readers guess the
      charset, and zxing-cpp reads ``"ÄÖÜ"`` as Shift JIS ``"ﾄﾖﾜ"`` and ``"Ã©"`` as UTF-8
      ``"é"``. The ECI costs 12 bits; the byte count is the same as without it.
    * anything else: UTF-8 with ECI 26.
    """
    if content.isascii():
        return "latin-1", False
    try:
        content.encode("latin-1")
    except UnicodeEncodeError:
        return "utf-8", True
    return "latin-1", True


def _qr_error_level(request: CodeRequest) -> str:
    value = request.options.get("error", _DEFAULT_ERROR)
    allowed = _ERROR_LEVELS[request.symbology]
    level = value.upper() if isinstance(value, str) else value
    if level not in allowed:
        raise InvalidOptionError(
            f"error level {value!r} is not valid for {request.symbology}; "
            f"use one of {', '.join(allowed)}"
        )
    return str(level)


def _qr_matrix(request: CodeRequest) -> ModuleMatrix:
    import segno

    content = request.content
    micro = request.symbology == "microqr"
    title = "Micro QR Code" if micro else "QR Code"
    if "height" in request.options:
        raise InvalidOptionError(f"a {title} is square: the height option does not apply")
    error = _qr_error_level(request)
    if not content:
        raise InvalidContentError(f"a {title} cannot be empty")
    encoding, eci = qr_charset(content)
    if micro and eci:
        raise InvalidContentError(
            "a Micro QR Code cannot declare its character set (it has no ECI), so it can "
            "only carry ASCII text reliably; use a QR Code"
        )
    # segno guesses the mode from the *encoded bytes* and picks Kanji mode whenever they
    # happen to look like Shift JIS pairs (latin-1 "\x81@", UTF-8 "丁偀"), which readers
    # then decode as different text. Only numeric / alphanumeric are left to segno.
    mode = None if set(content) <= _QR_ALPHANUMERIC else "byte"
    try:
        qr = segno.make(
            content,
            error=error,
            mode=mode,
            encoding=encoding,
            eci=eci,
            micro=micro,
            boost_error=False,
        )
    except segno.DataOverflowError as exc:
        raise InvalidContentError(
            f"the content is too long for a {title} at error level {error} "
            f"({len(content)} characters, {len(content.encode(encoding))} bytes): {exc}"
        ) from exc
    except (ValueError, TypeError) as exc:
        raise InvalidContentError(f"cannot encode the content as a {title}: {exc}") from exc
    if micro != qr.is_micro:
        raise InvalidContentError(f"segno did not produce a {title} for this content")
    return ModuleMatrix(rows=tuple(bytes(row) for row in qr.matrix), dimension=2)


# --- linear barcodes ------------------------------------------------------------------------


def gtin_check_digit(digits: str) -> int:
    """The GS1 mod-10 check digit for ``digits`` (the number without its check digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def _check_gtin(content: str, length: int, title: str) -> None:
    if not (content.isascii() and content.isdigit()):
        raise InvalidContentError(f"{title} content must be digits only, got {content!r}")
    if len(content) != length:
        raise InvalidContentError(
            f"{title} content must be {length} digits including the check digit, got {len(content)}"
        )
    expected = gtin_check_digit(content[:-1])
    if int(content[-1]) != expected:
        raise InvalidContentError(
            f"{title} check digit of {content!r} is wrong: expected {expected}"
        )


def _ean13(content: str) -> tuple[str, dict[str, Any]]:
    _check_gtin(content, 13, "EAN-13")
    return "ean13", {"no_checksum": True}


def _isbn13(content: str) -> tuple[str, dict[str, Any]]:
    _check_gtin(content, 13, "ISBN-13")
    if content[:3] not in ("978", "979"):
        raise InvalidContentError(f"ISBN-13 must start with 978 or 979, got {content!r}")
    # An ISBN-13 *is* an EAN-13; python-barcode's ISBN13 class adds an outdated prefix
    # rule (it rejects 979-0..., 979-2...) and draws exactly the same bars otherwise.
    return "ean13", {"no_checksum": True}


def _ean8(content: str) -> tuple[str, dict[str, Any]]:
    _check_gtin(content, 8, "EAN-8")
    return "ean8", {"no_checksum": True}


def _upca(content: str) -> tuple[str, dict[str, Any]]:
    # python-barcode's UPCA keeps the first 11 digits and recomputes the 12th, so a wrong
    # check digit would be silently replaced: it is checked here first.
    _check_gtin(content, 12, "UPC-A")
    return "upca", {}


def _code128(content: str) -> tuple[str, dict[str, Any]]:
    if not content:
        raise InvalidContentError("Code 128 content cannot be empty")
    # python-barcode also accepts "ñ", "ò", "ó", "ô" and maps them to FNC1..FNC4.
    bad = sorted({c for c in content if ord(c) > 0x7F})
    if bad:
        raise InvalidContentError(
            f"Code 128 can only carry ASCII characters; not {', '.join(map(repr, bad))}"
        )
    return "code128", {}


def _code39(content: str) -> tuple[str, dict[str, Any]]:
    if not content:
        raise InvalidContentError("Code 39 content cannot be empty")
    # python-barcode upper-cases the content, which would decode to different text.
    bad = sorted(set(content) - _CODE39_CHARS)
    if bad:
        raise InvalidContentError(
            "Code 39 can only carry 0-9, A-Z (upper case), space and - . $ / + %; "
            f"not {', '.join(map(repr, bad))}"
        )
    return "code39", {"add_checksum": False}


def _itf(content: str) -> tuple[str, dict[str, Any]]:
    if not (content.isascii() and content.isdigit()):
        raise InvalidContentError(f"ITF content must be digits only, got {content!r}")
    # python-barcode prepends a "0" to an odd number of digits.
    if len(content) % 2:
        raise InvalidContentError(
            f"ITF encodes digits in pairs: the content needs an even number of digits, "
            f"got {len(content)}"
        )
    return "itf", {"narrow": _ITF_NARROW, "wide": _ITF_WIDE}


_LINEAR: Final[Mapping[str, Callable[[str], tuple[str, dict[str, Any]]]]] = {
    "ean13": _ean13,
    "isbn13": _isbn13,
    "ean8": _ean8,
    "upca": _upca,
    "code128": _code128,
    "code39": _code39,
    "itf": _itf,
}


def _linear_matrix(request: CodeRequest) -> ModuleMatrix:
    if "error" in request.options:
        raise InvalidOptionError(
            f"the error option applies to QR codes only, not to {request.symbology}"
        )
    content = request.content
    name, kwargs = _LINEAR[request.symbology](content)

    import barcode
    from barcode.errors import BarcodeError

    try:
        symbol = barcode.get_barcode_class(name)(content, **kwargs)
        encoded = str(symbol)
        (pattern,) = symbol.build()
    except (BarcodeError, ValueError, KeyError, IndexError, RuntimeError) as exc:
        raise InvalidContentError(
            f"cannot encode {content!r} as {request.symbology}: {exc}"
        ) from exc
    if encoded != content:
        # Belt and braces: python-barcode must encode exactly what was asked for.
        raise InvalidContentError(
            f"{request.symbology} content {content!r} would be encoded as {encoded!r}"
        )
    if not isinstance(pattern, str) or not pattern or set(pattern) - {"0", "1"}:
        raise InvalidContentError(f"python-barcode produced no usable bars for {content!r}")
    # Light modules at the ends belong to the quiet zones, which the layout adds exactly.
    pattern = pattern.strip("0")
    return ModuleMatrix(rows=(pattern.encode("ascii").translate(_BITS),), dimension=1)


_BITS: Final = bytes.maketrans(b"01", b"\x00\x01")
