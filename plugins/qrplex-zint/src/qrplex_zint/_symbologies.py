"""The symbologies this plugin adds to qrplex, with their content rules and module counts.

Registered through the ``qrplex_register_symbologies`` hook, so the core checks every request
for them before any backend runs: the content (text policy, GS1 element strings), the
capacity (a dry-run encode with libzint: nothing is drawn, and the symbol is kept for the
backend), the options and the minimum width (the symbol's longer side plus its quiet zones).

* ``datamatrix``: Data Matrix ECC 200, any text (:mod:`qrplex_zint._text`); option ``shape``:
  ``"square"`` (default) or ``"rectangle"``. Quiet zone 1 module (ISO/IEC 16022).
* ``pdf417``: PDF417, any text; quiet zone 2 modules (ISO/IEC 15438); rows 3 modules high.
* ``aztec``: Aztec Code, any text; quiet zone 1 module (the standard needs none).
* ``gs1-datamatrix``, ``gs1-qr``, ``gs1-databar-expanded``: a GS1 element string, checked by
  :func:`qrplex.gs1.parse` and normalized as the core normalizes GS1 content
  (:meth:`qrplex.gs1.ElementString.normalized`: ``(01)...(10)...``).
  GS1 DataMatrix takes ``shape``, GS1 QR Code takes ``error`` (``L``, ``M``, ``Q``, ``H``;
  default ``M``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from qrplex.errors import InvalidContentError, InvalidOptionError
from qrplex.spec import QR_LEVELS, Symbology

__all__ = ["CAPACITY", "PLUGIN_SYMBOLOGIES", "SHAPES"]

SHAPES: Final = ("square", "rectangle")
"""The values of the Data Matrix ``shape`` option (``"square"`` by default)."""

CAPACITY: Final[dict[str, str]] = {
    "datamatrix": "3116 digits, 2335 capital letters or 1554 bytes of non-ASCII text "
    "(144x144 modules)",
    "datamatrix-rectangle": "98 digits, 72 capital letters or 44 bytes of non-ASCII text "
    "(16x48 modules)",
    "pdf417": "2528 digits, 1726 capital letters or 1032 bytes of non-ASCII text",
    "aztec": "3835 digits, 3069 capital letters or 1912 bytes of non-ASCII text",
    "gs1-datamatrix": "up to 3114 digits of element string (144x144 modules)",
    "gs1-datamatrix-rectangle": "up to 96 digits of element string (16x48 modules)",
    "gs1-qr-L": "up to 7089 digits of element string (version 40, level L)",
    "gs1-qr-M": "up to 5596 digits of element string (version 40, level M)",
    "gs1-qr-Q": "up to 3993 digits of element string (version 40, level Q)",
    "gs1-qr-H": "up to 3057 digits of element string (version 40, level H)",
    "gs1-databar-expanded": "up to 74 digits or 41 alphanumeric characters of element string, "
    "AIs included",
}
"""What the largest symbol of each holds with libzint's default error correction, for the
error when a content does not fit (the edges are tested: one more character does not fit).
Text beyond ASCII counts its UTF-8 or Latin-1 bytes, its ECI designator included; other ASCII
text packs between bytes and capital letters."""


def _check_options(name: str, title: str, options: Mapping[str, Any]) -> None:
    shape = options.get("shape", "square")
    if "shape" in options and shape not in SHAPES:
        raise InvalidOptionError(
            f"shape {shape!r} is not valid for a {title}: use {' or '.join(map(repr, SHAPES))}"
        )
    level = options.get("error", "M")
    if "error" in options and not (isinstance(level, str) and level.upper() in QR_LEVELS):
        raise InvalidOptionError(
            f"error level {level!r} is not valid for a {title}: use one of {', '.join(QR_LEVELS)}"
        )


def _capacity_key(name: str, options: Mapping[str, Any]) -> str:
    if name == "gs1-qr":
        return f"{name}-{str(options.get('error', 'M')).upper()}"
    rectangle = options.get("shape") == "rectangle"
    return f"{name}-rectangle" if rectangle else name


def _fits(name: str, title: str, content: str, options: Mapping[str, Any]) -> None:
    """Encode once (no drawing) to know whether the content fits."""
    from ._matrix import encode  # libzint loads on first use, not at plugin discovery

    try:
        encode(name, content, _normalized(options))
    except InvalidContentError as error:
        key = _capacity_key(name, options)
        what = f"rectangular {title}" if key.endswith("-rectangle") else title
        raise InvalidContentError(
            f"the content ({len(content)} characters) does not fit in a {what}: its largest "
            f"symbol holds {CAPACITY[key]} ({error})"
        ) from None


def _normalized(options: Mapping[str, Any]) -> dict[str, Any]:
    """Option values as the encoder reads them (``error`` upper-cased)."""
    result = dict(options)
    if isinstance(result.get("error"), str):
        result["error"] = result["error"].upper()
    return result


def _text_rule(name: str, title: str) -> Callable[[str, Mapping[str, Any]], str]:
    def rule(content: str, options: Mapping[str, Any]) -> str:
        _check_options(name, title, options)
        _fits(name, title, content, options)
        return content

    rule.__doc__ = f"Any text a {title} can hold (ECI 3 / 26 for non-ASCII text)."
    return rule


def _gs1_rule(name: str, title: str) -> Callable[[str, Mapping[str, Any]], str]:
    def rule(content: str, options: Mapping[str, Any]) -> str:
        from qrplex import gs1

        _check_options(name, title, options)
        normalized = gs1.normalize(content)
        _fits(name, title, normalized, options)
        return normalized

    rule.__doc__ = f"A GS1 element string a {title} can hold, in its human-readable form."
    return rule


def _modules(name: str) -> Callable[[str, Mapping[str, Any]], int | None]:
    def modules(content: str, options: Mapping[str, Any]) -> int | None:
        from ._matrix import encode

        try:
            return encode(name, content, _normalized(options)).side
        except InvalidContentError:
            return None

    return modules


def _symbology(
    name: str,
    title: str,
    dimension: int,
    quiet: int,
    options: tuple[str, ...],
    examples: tuple[str, ...],
    *,
    gs1: bool = False,
) -> Symbology:
    rule = _gs1_rule(name, title) if gs1 else _text_rule(name, title)
    return Symbology(
        name,
        title,
        2 if dimension == 2 else 1,
        quiet,
        quiet,
        options=options,
        content=rule,
        modules=_modules(name),
        examples=examples,
    )


_GS1_EXAMPLES: Final = (
    "(01)09506000134352(17)201225(10)ABC123",
    "(01)09506000134352(10)ABC123(21)XYZ",
    "(00)106141411234567897",
)

PLUGIN_SYMBOLOGIES: Final[tuple[Symbology, ...]] = (
    _symbology(
        "datamatrix",
        "Data Matrix",
        2,
        1,
        ("shape",),
        ("https://example.com/p/123", "Grüße, 世界", "0123456789", "A"),
    ),
    _symbology("pdf417", "PDF417", 2, 2, (), ("PDF417 sample", "Grüße, 世界", "0123456789")),
    _symbology("aztec", "Aztec Code", 2, 1, (), ("Aztec sample", "Grüße, 世界", "0123456789")),
    _symbology("gs1-datamatrix", "GS1 DataMatrix", 2, 1, ("shape",), _GS1_EXAMPLES, gs1=True),
    _symbology("gs1-qr", "GS1 QR Code", 2, 4, ("error",), _GS1_EXAMPLES, gs1=True),
    _symbology(
        "gs1-databar-expanded", "GS1 DataBar Expanded", 1, 1, ("height",), _GS1_EXAMPLES, gs1=True
    ),
)
"""The symbologies the plugin registers, in order."""
