"""The core's request validation: reject locally what no backend could serve.

:func:`validate_request` runs before any backend, so no (paid) service is called for a
request that can be rejected here. It checks the symbology, format, options, content and
width, and returns a normalized :class:`~qrplex._model.CodeRequest`:

* QR Code / Micro QR Code: ``options["error"]`` is always set, upper-cased (default ``"M"``),
  and the content must fit the largest symbol at that level under the charset policy of
  :mod:`qrplex._qr_capacity` (ASCII plain, other Latin-1 behind ECI 3, anything else UTF-8
  behind ECI 26; Micro QR, which has no ECI: ASCII only).
* EAN-13, ISBN-13, EAN-8, UPC-A: the content gets its check digit (or it is verified).
* GS1-128 (registered besides the nine, see :data:`GS1_CORE_SYMBOLOGIES`): a GS1 element
  string checked by :func:`qrplex.gs1.parse`, normalized to its human-readable form (or the
  bracketed one where a value holds ``(NN)``), at most :data:`GS1_128_MAX_CHARACTERS`
  characters as scanned; its module count is the Code 128 encodation with FNC1.
* Code 128: ISO-8859-1 only. Code 39: ``0-9 A-Z space - . $ / + %`` (no lowercase), no check
  character added. ITF: an even number of digits.

:func:`minimum_width` is the smallest pixel width allowed: one pixel per module plus the
quiet zones of :data:`qrplex._symbologies.SYMBOLOGIES`. The module counts are those of
:func:`symbol_modules`; for Code 128 that is the count of the greedy encodation of
:mod:`qrplex._code128` (the one the ``local`` backend draws), which is never below the optimum. For
Code 39 and ITF, a module is the narrow element and a wide one is 3 modules (Code 39: 16
modules a character with its gap; ITF: 9 modules a digit, 4 for start and 5 for stop).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final

from qrplex._arguments import short_repr  # a 5000-digit int cannot even be printed
from qrplex._code128 import code128_modules
from qrplex._model import CodeRequest
from qrplex._qr_capacity import (
    MICRO_QR_LEVELS,
    QR_LEVELS,
    Mode,
    QrPlan,
    Segment,
    fit,
    max_length,
    plan_qr,
    segment_for,
)
from qrplex._symbologies import (
    CODE39_CHARS,
    GS1_SYMBOLOGIES,
    SYMBOLOGIES,
    ContentRule,
    ModuleCount,
    Symbology,
    gtin_check_digit,
    install_hint,
)
from qrplex.errors import InvalidContentError, InvalidOptionError, PluginError

if TYPE_CHECKING:
    from qrplex._registry import Registry

__all__ = [
    "CORE_SYMBOLOGIES",
    "GS1_128_MAX_CHARACTERS",
    "GS1_CORE_SYMBOLOGIES",
    "MAX_HEIGHT",
    "MAX_WIDTH",
    "REQUEST_FORMATS",
    "gtin_check_digit",
    "minimum_width",
    "registered_symbologies",
    "symbol_modules",
    "validate_request",
]

REQUEST_FORMATS: Final[tuple[str, ...]] = ("png", "svg")
"""The formats a request may ask for (``jpeg`` is only ever returned by some services)."""

MAX_WIDTH: Final[int] = 10_000
"""The largest ``width`` accepted, in pixels."""

MAX_HEIGHT: Final[int] = 10_000
"""The largest ``height`` option accepted for linear barcodes, in pixels."""

DEFAULT_ERROR_LEVEL: Final[str] = "M"
"""The error correction level of a QR Code or Micro QR Code request that sets none."""

_MODES: Final[tuple[Mode, ...]] = ("numeric", "alphanumeric", "byte")
_MATRIX_OPTIONS: Final[tuple[str, ...]] = ("error",)
_LINEAR_OPTIONS: Final[tuple[str, ...]] = ("height",)
_ASCII_DIGITS: Final[frozenset[str]] = frozenset("0123456789")
_CODE39_CHARS: Final[frozenset[str]] = frozenset(CODE39_CHARS)
_GTIN_MODULES: Final[dict[str, int]] = {"ean13": 95, "isbn13": 95, "ean8": 67, "upca": 95}
# Digits without / with the check digit.
_GTIN_LENGTHS: Final[dict[str, int]] = {"ean13": 13, "isbn13": 13, "ean8": 8, "upca": 12}


def validate_request(
    content: object,
    *,
    symbology: str,
    format: str,
    width: int | None,
    options: Mapping[str, Any],
    registry: Registry | None = None,
) -> CodeRequest:
    """Check a request and return it normalized, or raise before any backend is involved.

    Args:
        content: the text to encode.
        symbology: a registered symbology's name (:func:`registered_symbologies`).
        format: ``"png"`` or ``"svg"``.
        width: exact pixel width, or None for the backend's default; at least
            :func:`minimum_width` and at most :data:`MAX_WIDTH`.
        options: ``error`` (QR Code, Micro QR Code) or ``height`` (linear barcodes), or
            those a plugin's symbology allows.
        registry: where symbologies are registered (default: the installed plugins').

    Returns:
        The normalized request (check digits added, error level set, ...); for QR Code
        and Micro QR Code, with the symbol planned (:attr:`CodeRequest.qr`).

    Raises:
        InvalidOptionError: unknown symbology, format or option; bad option value or width.
        InvalidContentError: content the symbology cannot carry.
        PluginError: two plugins register the symbology differently.
    """
    spec = _check_symbology(symbology, registry)
    _check_format(format)
    _check_width_value(width)
    normalized_options = _check_options(spec, options)
    text = _check_content(content, spec, normalized_options)
    # One request, built once, with the QR symbol planned (by the content check: see
    # _qr_content) and carried along for the width check and the backends.
    plan = _qr_plan(text, spec.name, normalized_options)
    request = CodeRequest(text, spec.name, format, width, normalized_options, qr=plan)
    minimum = _minimum_width(request, spec)
    if minimum is not None and minimum > MAX_WIDTH:
        raise InvalidContentError(
            f"content is too long for a {spec.title}: it needs an image at least {minimum} px "
            f"wide, and images are at most {MAX_WIDTH} px (scanners struggle long before "
            "that); shorten it, or use a QR Code"
        )
    if width is not None and minimum is not None and width < minimum:
        _refuse_below_minimum(width, minimum, request, spec)
    return request


def registered_symbologies(registry: Registry | None = None) -> dict[str, Symbology]:
    """The symbologies in effect, by name: the core's nine, then those plugins register
    (a name two plugins register differently is left out: see :func:`validate_request`)."""
    if registry is None:
        from qrplex._registry import default_registry

        registry = default_registry()
    return registry.symbologies()


def symbol_modules(request: CodeRequest) -> int | None:
    """Width of the symbol itself in modules, without quiet zones; None if not computable.

    For QR Code and Micro QR Code that is the side of the smallest version holding the
    content at ``options["error"]`` (default ``"M"``); for Code 128 the greedy count of
    :func:`qrplex.spec.code128_modules`. The request is expected to be validated.
    """
    return _symbol_modules(request, registered_symbologies().get(request.symbology))


def _symbol_modules(request: CodeRequest, spec: Symbology | None) -> int | None:
    if request.symbology in ("qr", "microqr"):
        symbol = _qr_symbol(request)
        return None if symbol is None else symbol.modules
    if spec is None or spec.modules is None or not request.content:
        return None
    return spec.modules(request.content, request.options)


def minimum_width(request: CodeRequest) -> int | None:
    """Smallest allowed pixel width: one pixel a module plus the quiet zones on both sides.

    None when the symbol's size cannot be computed (unknown symbology, invalid content).
    """
    return _minimum_width(request, registered_symbologies().get(request.symbology))


def _minimum_width(request: CodeRequest, spec: Symbology | None) -> int | None:
    modules = _symbol_modules(request, spec)
    if modules is None or spec is None:
        return None
    if spec.dimension == 2:
        return modules + 2 * spec.quiet_left
    return modules + spec.quiet_left + spec.quiet_right


# --- symbology, format, width, options --------------------------------------------------


def check_defaults(
    symbology: object = None, format: object = None, registry: Registry | None = None
) -> None:
    """Check batch-wide defaults once, with the same messages as :func:`validate_request`."""
    if symbology is not None:
        _check_symbology(symbology, registry)
    if format is not None:
        _check_format(format)


def _check_symbology(symbology: object, registry: Registry | None) -> Symbology:
    if registry is None:
        from qrplex._registry import default_registry

        registry = default_registry()
    table = registry.symbologies()
    if isinstance(symbology, str) and symbology in table:
        return table[symbology]
    conflict = registry.symbology_conflict(symbology) if isinstance(symbology, str) else None
    if conflict is not None:
        raise PluginError(conflict)
    hint = install_hint(symbology)
    if hint is not None:
        raise InvalidOptionError(f"unknown symbology {symbology!r}: {hint}")
    raise InvalidOptionError(f"unknown symbology {symbology!r}: use one of {', '.join(table)}")


def _check_format(format: object) -> None:
    if not (isinstance(format, str) and format in REQUEST_FORMATS):
        raise InvalidOptionError(
            f"unknown format {format!r}: use one of {', '.join(REQUEST_FORMATS)}"
        )


def _check_pixels(name: str, value: object, maximum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidOptionError(
            f"{name} must be an integer number of pixels, "
            f"not {type(value).__name__} {short_repr(value)}"
        )
    if value < 1:
        raise InvalidOptionError(
            f"{name} {short_repr(value)} is not positive: use 1 to {maximum} px"
        )
    if value > maximum:
        raise InvalidOptionError(
            f"{name} {short_repr(value)} is too large: the maximum is {maximum} px"
        )


def _check_width_value(width: object) -> None:
    if width is not None:
        _check_pixels("width", width, MAX_WIDTH)


def _refuse_below_minimum(width: int, minimum: int, request: CodeRequest, spec: Symbology) -> None:
    modules = _symbol_modules(request, spec)
    if spec.quiet_left == spec.quiet_right:
        quiet = f"{spec.quiet_left}-module quiet zones"
    else:
        quiet = f"quiet zones of {spec.quiet_left} and {spec.quiet_right} modules"
    version = "" if request.qr is None else f"version {request.qr.name}, "
    raise InvalidOptionError(
        f"width {width} is too small for this {spec.title} ({version}{modules} modules + "
        f"{quiet}): the minimum is {minimum} px"
    )


_ERROR_LEVEL_SYMBOLOGIES: Final = frozenset({"qr", "microqr"})


def _check_options(spec: Symbology, options: object) -> dict[str, Any]:
    if not isinstance(options, Mapping):
        raise InvalidOptionError(
            f"options must be a mapping of option names to values, not {type(options).__name__}"
        )
    allowed = spec.allowed_options
    for name in options:
        if name not in allowed:
            raise InvalidOptionError(
                f"unknown option {name!r} for {spec.title}; allowed options: "
                f"{', '.join(map(repr, allowed)) or 'none'}"
            )
    normalized = dict(options)
    # QR Code and Micro QR (the names are the core's: a plugin redefining them is a conflict,
    # refused before any request; compared by name, so a re-imported module still matches).
    if spec.name in _ERROR_LEVEL_SYMBOLOGIES:
        normalized["error"] = _check_error_level(spec, options.get("error", DEFAULT_ERROR_LEVEL))
    if "height" in normalized:
        _check_pixels("height", normalized["height"], MAX_HEIGHT)
    return normalized


def _check_error_level(spec: Symbology, value: object) -> str:
    levels = MICRO_QR_LEVELS if spec.name == "microqr" else QR_LEVELS
    if isinstance(value, str) and value.upper() in levels:
        return value.upper()
    raise InvalidOptionError(
        f"error level {value!r} is not valid for a {spec.title}: use one of "
        f"{', '.join(levels)} (case-insensitive)"
    )


# --- content ------------------------------------------------------------------------------


def _check_content(content: object, spec: Symbology, options: Mapping[str, Any]) -> str:
    if not isinstance(content, str):
        raise InvalidContentError(
            f"content must be a str, not {type(content).__name__}: pass the text to encode "
            f"as {spec.title} (decode bytes first)"
        )
    if not content:
        raise InvalidContentError(
            f"content is empty: pass at least one character to encode as {spec.title}"
        )
    if spec.content is None:
        return content
    return spec.content(content, options)


def _qr_content(content: str, spec: Symbology, options: Mapping[str, Any]) -> str:
    micro = spec.name == "microqr"
    level = options["error"]
    try:
        segment = segment_for(content)
    except UnicodeEncodeError as error:
        position = error.start
        raise InvalidContentError(
            f"content has a lone surrogate U+{ord(content[position]):04X} at index "
            f"{position}, which cannot be encoded as UTF-8: pass valid Unicode text"
        ) from None
    if micro and segment.eci:
        index, char = next((i, c) for i, c in enumerate(content) if ord(c) > 127)
        raise InvalidContentError(
            f"a Micro QR Code has no ECI, so it carries only ASCII text reliably, and {char!r} "
            f"(U+{ord(char):04X}) at index {index} is not ASCII: use symbology 'qr', which "
            f"states the character set"
        )
    plan = fit(segment, level, micro=micro)
    if plan is None:
        raise InvalidContentError(_over_capacity_message(segment, spec, level, micro=micro))
    global _last_plan
    _last_plan = (content, level, micro, plan)
    return content


def _over_capacity_message(segment: Segment, spec: Symbology, level: str, *, micro: bool) -> str:
    charset = {"latin-1": "Latin-1", "utf-8": "UTF-8"}[segment.charset]
    needs_how, holds_how = (
        (f" ({charset} with ECI)", f" of {charset} with ECI") if segment.eci else ("", "")
    )
    limit = max_length(segment.mode, level, micro=micro, eci=segment.eci)
    others: list[str] = []
    for mode in _MODES:
        if mode != segment.mode or (segment.eci and mode == "byte"):
            unit = "ASCII bytes" if mode == "byte" else Segment(mode, 0).unit
            others.append(f"{mode} {max_length(mode, level, micro=micro)} {unit}")
    return (
        f"content needs {segment.length} {segment.unit} in {segment.mode} mode{needs_how}; "
        f"a {spec.title} at error correction level {level} holds at most {limit} "
        f"{segment.unit}{holds_how} ({', '.join(others)})"
    )


def _first_not_in(content: str, allowed: frozenset[str]) -> tuple[int, str] | None:
    return next(((i, c) for i, c in enumerate(content) if c not in allowed), None)


def _describe(char: str) -> str:
    return f"{char!r} (U+{ord(char):04X})"


def _gtin_content(content: str, spec: Symbology, options: Mapping[str, Any]) -> str:
    full = _GTIN_LENGTHS[spec.name]
    bad = _first_not_in(content, _ASCII_DIGITS)
    if bad is not None:
        raise InvalidContentError(
            f"{spec.title} takes digits 0-9 only, and {_describe(bad[1])} at index {bad[0]} is "
            f"not one: pass {full - 1} digits, or {full} with the check digit"
        )
    if len(content) not in (full - 1, full):
        raise InvalidContentError(
            f"{spec.title} takes {full - 1} digits (the check digit is added) or {full} "
            f"digits (with the check digit), not {len(content)}"
        )
    if spec.name == "isbn13" and content[:3] not in ("978", "979"):
        raise InvalidContentError(
            f"an ISBN-13 starts with 978 or 979, not {content[:3]}: use symbology 'ean13' "
            f"for other EAN-13 codes"
        )
    expected = gtin_check_digit(content[: full - 1])
    if len(content) == full - 1:
        return content + expected
    if content[-1] != expected:
        raise InvalidContentError(
            f"{spec.title} {content} has check digit {content[-1]}, but the check digit of "
            f"{content[:-1]} is {expected}: pass {content[:-1]}{expected}, or the first "
            f"{full - 1} digits alone to have it added"
        )
    return content


def _code128_content(content: str, spec: Symbology, options: Mapping[str, Any]) -> str:
    for index, char in enumerate(content):
        if ord(char) > 255:
            raise InvalidContentError(
                f"Code 128 carries only ISO-8859-1 (Latin-1) characters, and "
                f"{_describe(char)} at index {index} is not one: use symbology 'qr' for "
                f"other text"
            )
    return content


def _code39_content(content: str, spec: Symbology, options: Mapping[str, Any]) -> str:
    bad = _first_not_in(content, _CODE39_CHARS)
    if bad is None:
        return content
    index, char = bad
    if char.upper() in _CODE39_CHARS:
        raise InvalidContentError(
            f"lowercase is not allowed in Code 39 ({char!r} at index {index}): pass it in "
            f"uppercase, or use symbology 'code128' to keep the case"
        )
    raise InvalidContentError(
        f"Code 39 carries only 0-9, A-Z, space and - . $ / + %, and {_describe(char)} at "
        f"index {index} is not one of them: use symbology 'code128' for other text"
    )


def _itf_content(content: str, spec: Symbology, options: Mapping[str, Any]) -> str:
    bad = _first_not_in(content, _ASCII_DIGITS)
    if bad is not None:
        raise InvalidContentError(
            f"Interleaved 2 of 5 carries digits 0-9 only, and {_describe(bad[1])} at index "
            f"{bad[0]} is not one: use symbology 'code128' for other text"
        )
    if len(content) % 2:
        raise InvalidContentError(
            f"Interleaved 2 of 5 encodes digit pairs, so it needs an even number of digits, "
            f"not {len(content)}: add a leading 0 ('0{content}')"
        )
    return content


_CoreCheck = Callable[[str, Symbology, Mapping[str, Any]], str]


def _rule(check: _CoreCheck, name: str) -> ContentRule:
    facts = SYMBOLOGIES[name]
    return lambda content, options: check(content, facts, options)


def _code128_modules(content: str, options: Mapping[str, Any]) -> int | None:
    try:
        return code128_modules(content)
    except ValueError:  # a character above U+00FF
        return None


def _qr_modules(micro: bool) -> ModuleCount:
    def modules(content: str, options: Mapping[str, Any]) -> int | None:
        level = options.get("error", DEFAULT_ERROR_LEVEL)
        plan = plan_qr(content, str(level).upper(), micro=micro)
        return None if plan is None else plan.modules

    return modules


def _core_symbology(name: str, check: _CoreCheck, modules: ModuleCount) -> Symbology:
    facts = SYMBOLOGIES[name]
    options = _MATRIX_OPTIONS if facts.dimension == 2 else _LINEAR_OPTIONS
    return replace(facts, options=options, content=_rule(check, name), modules=modules)


def _fixed(count: int) -> ModuleCount:
    return lambda content, options: count


_CORE_RULES: Final[dict[str, tuple[_CoreCheck, ModuleCount]]] = {
    "qr": (_qr_content, _qr_modules(micro=False)),
    "microqr": (_qr_content, _qr_modules(micro=True)),
    **{name: (_gtin_content, _fixed(count)) for name, count in _GTIN_MODULES.items()},
    "code128": (_code128_content, _code128_modules),
    "code39": (_code39_content, lambda content, options: 16 * (len(content) + 2) - 1),
    "itf": (_itf_content, lambda content, options: 9 + 9 * len(content)),
}

CORE_SYMBOLOGIES: Final[dict[str, Symbology]] = {
    name: _core_symbology(name, *_CORE_RULES[name]) for name in SYMBOLOGIES
}
"""The core's nine symbologies with their content rules and module counts, in the order of
:data:`~qrplex._symbologies.SYMBOLOGIES`; the core registers them through the same hook as
plugins (:mod:`qrplex._core_plugin`)."""


# --- GS1 ----------------------------------------------------------------------------------

GS1_128_MAX_CHARACTERS: Final[int] = 48
"""The most data characters a GS1-128 symbol carries (GS1 General Specifications 5.4.1):
AIs, data and FNC1 separators, the leading FNC1 not counted."""


def _gs1_128_content(content: str, options: Mapping[str, Any]) -> str:
    from qrplex import gs1

    message = gs1.parse(content)
    scanned = message.fnc1_data()
    if len(scanned) > GS1_128_MAX_CHARACTERS:
        raise InvalidContentError(
            f"GS1-128 carries at most {GS1_128_MAX_CHARACTERS} characters (AIs, data and "
            f"separators), and {message.human_readable()} needs {len(scanned)}: split it over "
            f"two GS1-128 symbols, or use a GS1 DataMatrix (symbology 'gs1-datamatrix', "
            f"from the qrplex-zint plugin)"
        )
    return message.normalized()


def _gs1_128_modules(content: str, options: Mapping[str, Any]) -> int | None:
    from qrplex import gs1

    try:
        return code128_modules(gs1.parse(content).fnc1_data(), fnc1=True)
    except (InvalidContentError, ValueError):
        return None


GS1_CORE_SYMBOLOGIES: Final[dict[str, Symbology]] = {
    "gs1-128": replace(
        GS1_SYMBOLOGIES["gs1-128"],
        options=_LINEAR_OPTIONS,
        content=_gs1_128_content,
        modules=_gs1_128_modules,
        examples=(
            "(01)09506000134352(17)201225(10)ABC123",
            "(00)106141412345678908",
            "(01)09506000134352(3103)000189(15)260500(21)S/N-7",
            "(00)106141412345678908(02)09506000134352(37)24",
            "(01)09506000134352(10)\"%&'()*+,-./:;<=>?_z",
        ),
    ),
}
"""The GS1 symbologies the core checks and registers besides its nine (GS1-128), with their
content rules (:func:`qrplex.gs1.parse`), module counts and examples."""


# --- module counts ------------------------------------------------------------------------


_last_plan: tuple[str, str, bool, QrPlan] | None = None
"""The symbol the last QR content check planned: ``(content, level, micro, plan)``. The
check (:func:`_qr_content`) must fit the content in a symbol, and the request then carries
that symbol (:func:`_qr_plan`): the same content object, checked just before in the same
call, is planned once, not twice. One tuple, read once: another thread replacing it
meanwhile only costs a second planning."""


def _qr_plan(content: str, symbology: str, options: Mapping[str, Any]) -> QrPlan | None:
    """The QR symbol of a validated request (``None`` for other symbologies)."""
    if symbology not in _ERROR_LEVEL_SYMBOLOGIES:
        return None
    last = _last_plan
    level = options.get("error", DEFAULT_ERROR_LEVEL)
    micro = symbology == "microqr"
    if last is not None and last[0] is content and last[1] == level and last[2] == micro:
        return last[3]
    return _qr_symbol(CodeRequest(content, symbology, "png", None, options))


def _qr_symbol(request: CodeRequest) -> QrPlan | None:
    if request.symbology not in _ERROR_LEVEL_SYMBOLOGIES:
        return None
    if request.qr is not None:
        return request.qr
    level = request.options.get("error", DEFAULT_ERROR_LEVEL)
    if not isinstance(level, str):
        return None
    micro = request.symbology == "microqr"
    if level.upper() not in (MICRO_QR_LEVELS if micro else QR_LEVELS):
        return None
    return plan_qr(request.content, level.upper(), micro=micro)
