"""Linear barcode bars: python-barcode's encoders, with the content checked first.

python-barcode is used only for its bar patterns (``build()``), never for its writers. It
silently changes some contents instead of rejecting them, so each is checked here and
rejected with :class:`~qrplex.errors.InvalidContentError` instead:

* UPC-A keeps the first 11 digits and recomputes the 12th: a wrong check digit would be
  replaced. EAN-13 / EAN-8 are built with ``no_checksum=True`` (the given check digit is
  drawn) after the check digit is verified here.
* ISBN-13 is drawn as the EAN-13 it is: python-barcode's ``ISBN13`` rejects every 979
  prefix but 979-1 and 979-8 (so 979-0..., 979-2..., which the core accepts) and otherwise
  draws the same bars.
* Code 39 content is upper-cased by python-barcode; lowercase is rejected here. No check
  character is added (``add_checksum=False``), so the symbol decodes to exactly the content.
* ITF gets a ``0`` prepended to an odd number of digits; odd lengths are rejected here.
  Bars are drawn with narrow = 1 and wide = 3 modules (python-barcode's default is 2 and 5),
  so a module is the narrow element X and the 10-module quiet zones are the spec's 10X.
* Code 128 is encoded by :func:`qrplex.spec.code128_values` and drawn by
  :mod:`qrplex_local._code128` (python-barcode drops a leading ``"99"`` and has no FNC4 for
  characters 128-255). GS1-128 too, with FNC1 (``fnc1=True``), from the element string
  :func:`qrplex.gs1.parse` checks.

The facts (check digits, the Code 39 set) come from :mod:`qrplex.spec`, as the core's do.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from qrplex import CodeRequest
from qrplex.errors import InvalidContentError, InvalidOptionError
from qrplex.spec import CODE39_CHARS, gtin_check_digit

from ._code128 import code128_pattern, gs1_128_pattern

__all__ = ["gtin_check_digit", "linear_pattern", "linear_row"]

_CODE39_CHARS: Final = frozenset(CODE39_CHARS)
_ITF_NARROW: Final = 1
_ITF_WIDE: Final = 3
_BITS: Final = bytes.maketrans(b"01", b"\x00\x01")


def _digits(content: str, title: str) -> None:
    if not (content.isascii() and content.isdigit()):
        raise InvalidContentError(f"{title} takes digits 0-9 only, not {content!r}")


def _gtin(content: str, length: int, title: str) -> None:
    _digits(content, title)
    if len(content) != length:
        raise InvalidContentError(
            f"{title} takes {length} digits with its check digit, not {len(content)}"
        )
    expected = gtin_check_digit(content[:-1])
    if content[-1] != expected:
        raise InvalidContentError(
            f"{title} {content} has check digit {content[-1]}, but the check digit of "
            f"{content[:-1]} is {expected}"
        )


def _ean13(content: str) -> tuple[str, dict[str, Any]]:
    _gtin(content, 13, "EAN-13")
    return "ean13", {"no_checksum": True}


def _isbn13(content: str) -> tuple[str, dict[str, Any]]:
    _gtin(content, 13, "ISBN-13")
    if content[:3] not in ("978", "979"):
        raise InvalidContentError(f"an ISBN-13 starts with 978 or 979, not {content[:3]}")
    return "ean13", {"no_checksum": True}


def _ean8(content: str) -> tuple[str, dict[str, Any]]:
    _gtin(content, 8, "EAN-8")
    return "ean8", {"no_checksum": True}


def _upca(content: str) -> tuple[str, dict[str, Any]]:
    _gtin(content, 12, "UPC-A")
    return "upca", {}


def _code39(content: str) -> tuple[str, dict[str, Any]]:
    bad = sorted(set(content) - _CODE39_CHARS)
    if bad or not content:
        raise InvalidContentError(
            "Code 39 carries 0-9, A-Z (uppercase), space and - . $ / + %"
            + (f"; not {', '.join(map(repr, bad))}" if bad else ", and cannot be empty")
        )
    return "code39", {"add_checksum": False}


def _itf(content: str) -> tuple[str, dict[str, Any]]:
    _digits(content, "Interleaved 2 of 5")
    if len(content) % 2:
        raise InvalidContentError(
            f"Interleaved 2 of 5 encodes digit pairs: it needs an even number of digits, "
            f"not {len(content)}"
        )
    return "itf", {"narrow": _ITF_NARROW, "wide": _ITF_WIDE}


_PYTHON_BARCODE: Final[Mapping[str, Callable[[str], tuple[str, dict[str, Any]]]]] = {
    "ean13": _ean13,
    "isbn13": _isbn13,
    "ean8": _ean8,
    "upca": _upca,
    "code39": _code39,
    "itf": _itf,
}


def linear_pattern(symbology: str, content: str) -> str:
    """The bars of ``content`` as ``"1"`` (dark) / ``"0"`` (light) modules, no quiet zone.

    Raises:
        InvalidContentError: the content cannot be encoded exactly.
    """
    if not content:
        raise InvalidContentError(f"{symbology} content cannot be empty")
    if symbology == "code128":
        try:
            return code128_pattern(content)
        except ValueError as exc:
            raise InvalidContentError(str(exc)) from exc
    if symbology == "gs1-128":
        return gs1_128_pattern(content)
    name, kwargs = _PYTHON_BARCODE[symbology](content)

    import barcode
    from barcode.errors import BarcodeError

    try:
        symbol = barcode.get_barcode_class(name)(content, **kwargs)
        encoded = str(symbol)
        (pattern,) = symbol.build()
    except (BarcodeError, ValueError, LookupError, RuntimeError) as exc:
        raise InvalidContentError(f"cannot encode {content!r} as {symbology}: {exc}") from exc
    if encoded != content:  # belt and braces: it must draw exactly what was asked for
        raise InvalidContentError(f"{symbology} {content!r} would be drawn as {encoded!r}")
    if not isinstance(pattern, str) or not pattern or set(pattern) - {"0", "1"}:
        raise InvalidContentError(f"python-barcode drew no usable bars for {content!r}")
    return pattern


def linear_row(request: CodeRequest) -> bytes:
    """The single module row (1 dark, 0 light) of the barcode for ``request``.

    Light modules at either end are left to the quiet zones, which the layout adds exactly.
    """
    if "error" in request.options:
        raise InvalidOptionError(
            f"the error option applies to QR codes only, not to {request.symbology}"
        )
    pattern = linear_pattern(request.symbology, request.content).strip("0")
    return pattern.encode("ascii").translate(_BITS)
