"""The symbologies and output formats qrplex knows, with the facts every backend shares.

:data:`SYMBOLOGIES` holds the facts of the core's nine symbologies, :data:`GS1_SYMBOLOGIES`
those of the GS1 symbologies the core checks itself (GS1-128). The core registers them, with
their content rules, through the ``qrplex_register_symbologies`` hook, as any plugin
registers its own (see :mod:`qrplex._registry`); what is in effect is
:func:`qrplex.spec.symbologies`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

__all__ = [
    "CODE39_CHARS",
    "FORMATS",
    "GS1_SYMBOLOGIES",
    "MEDIA_TYPES",
    "SYMBOLOGIES",
    "ContentRule",
    "Dimension",
    "ModuleCount",
    "Symbology",
    "gtin_check_digit",
]

Dimension = Literal[1, 2]

ContentRule = Callable[[str, Mapping[str, Any]], str]
"""Checks a non-empty content (with the request's options) and returns it normalized (a check
digit added, ...); raises :class:`qrplex.InvalidContentError` (or
:class:`qrplex.InvalidOptionError` for an option value) saying what is wrong and what is
allowed. It also enforces the symbology's capacity."""

ModuleCount = Callable[[str, Mapping[str, Any]], "int | None"]
"""The width in modules, without quiet zones, of the symbol for a normalized content and its
options (``None`` when it cannot be computed); the core's minimum width is this plus the
quiet zones, one pixel a module."""


@dataclass(frozen=True, slots=True)
class Symbology:
    """What qrplex knows about one symbology.

    Attributes:
        name: the name used in the API (``"qr"``, ``"ean13"``, ...).
        title: a human name for messages.
        dimension: 2 for matrix codes (square output), 1 for linear barcodes.
        quiet_left: minimum quiet zone on the left, in modules (also top and bottom for 2D).
        quiet_right: minimum quiet zone on the right, in modules.
        options: the options a request may set; ``None`` for the default: ``("height",)`` for
            a linear barcode (1 to :data:`~qrplex.spec.MAX_HEIGHT` px, checked by the core),
            none for a matrix code. The core's QR Code and Micro QR Code take ``("error",)``.
        content: the :data:`ContentRule` that checks and normalizes a content; ``None``
            accepts any non-empty text as it is.
        modules: the :data:`ModuleCount` of a content, for the minimum width; ``None`` when
            the width cannot be known before drawing (then only ``MAX_WIDTH`` bounds it).
        examples: valid contents, for the docs and the conformance kit.
    """

    name: str
    title: str
    dimension: Dimension
    quiet_left: int
    quiet_right: int
    options: tuple[str, ...] | None = None
    content: ContentRule | None = None
    modules: ModuleCount | None = None
    examples: tuple[str, ...] = ()

    @property
    def allowed_options(self) -> tuple[str, ...]:
        """The options a request may set (see ``options``)."""
        if self.options is not None:
            return self.options
        return ("height",) if self.dimension == 1 else ()


SYMBOLOGIES: Final[dict[str, Symbology]] = {
    s.name: s
    for s in (
        Symbology("qr", "QR Code", 2, 4, 4),
        Symbology("microqr", "Micro QR Code", 2, 2, 2),
        Symbology("ean13", "EAN-13", 1, 11, 7),
        Symbology("ean8", "EAN-8", 1, 7, 7),
        Symbology("upca", "UPC-A", 1, 9, 9),
        Symbology("isbn13", "ISBN-13 (EAN-13)", 1, 11, 7),
        Symbology("code128", "Code 128", 1, 10, 10),
        Symbology("code39", "Code 39", 1, 10, 10),
        Symbology("itf", "Interleaved 2 of 5", 1, 10, 10),
    )
}

GS1_SYMBOLOGIES: Final[dict[str, Symbology]] = {
    s.name: s for s in (Symbology("gs1-128", "GS1-128", 1, 10, 10),)
}
"""The GS1 symbologies the core registers besides the nine: their content is a GS1 element
string, checked by :func:`qrplex.gs1.parse`. Registered like a plugin's (the conformance kit
derives their cases from their ``examples``), so :data:`SYMBOLOGIES` stays the nine."""

MEDIA_TYPES: Final[dict[str, str]] = {
    "png": "image/png",
    "svg": "image/svg+xml",
    "jpeg": "image/jpeg",
}

FORMATS: Final[tuple[str, ...]] = tuple(MEDIA_TYPES)


CODE39_CHARS: Final[str] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%"
"""The 43 characters of Code 39 (no lowercase; no full-ASCII extension, no check character)."""


def gtin_check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of ``digits``: an EAN-13, ISBN-13, EAN-8 or UPC-A number
    without its check digit (weights 3 and 1 from the right).

    >>> gtin_check_digit("590123412345")
    '7'

    Raises:
        ValueError: ``digits`` has a character that is not an ASCII digit.
    """
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"a GTIN has ASCII digits only, not {digits!r}")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str(-total % 10)


PLUGIN_PROVIDERS: Final[dict[str, str]] = {
    name: "qrplex-zint"
    for name in (
        "datamatrix",
        "pdf417",
        "aztec",
        "gs1-datamatrix",
        "gs1-qr",
        "gs1-databar-expanded",
    )
}
"""Symbologies the core does not register, by the built-in plugin that does: what to install
when one is asked for and not registered."""


def install_hint(symbology: object) -> str | None:
    """What to install for ``symbology`` when a built-in plugin registers it, else None:
    ``"'datamatrix' comes with the qrplex-zint plugin: install qrplex[zint] (...)"``."""
    provider = PLUGIN_PROVIDERS.get(symbology) if isinstance(symbology, str) else None
    if provider is None:
        return None
    extra = provider.removeprefix("qrplex-")
    return (
        f"{symbology!r} comes with the {provider} plugin: install qrplex[{extra}] "
        f"(pip install 'qrplex[{extra}]', or uv add 'qrplex[{extra}]')"
    )
