"""Hypothesis strategies for qrplex requests, valid and invalid, per symbology.

The strategies follow the core's rules (its validation, the charset policy and capacities of
:mod:`qrplex.spec`) and are deliberately wide: a valid QR content may
be digits, the alphanumeric set, ASCII with control characters, Latin-1, CJK, emoji or any
Unicode text without surrogates, from one character up to exactly the capacity of the chosen
error level; Code 128 gets control characters, characters 128-255, ``"99"`` prefixes and
digit runs. Invalid requests carry the error the core must raise. Nothing is narrowed to what
some backend happens to get right.

A symbology a plugin registers through ``qrplex_register_symbologies`` is covered from its
:class:`qrplex.spec.Symbology`: its ``examples``, texts made of their characters and any
text, each kept when its ``content`` rule accepts it (:func:`symbology_content`); widths from
its ``modules`` and quiet zones. Every public strategy takes a symbology's name (looked up in
:func:`qrplex.spec.symbologies`) or its ``Symbology`` (for one registered elsewhere, such as a
test's own registry).

>>> from hypothesis import given
>>> from qrplex.testing import strategies
>>> @given(strategies.valid_content("qr", error="H"))
... def test_qr(content): ...

Needs hypothesis (``pip install 'qrplex[testing]'``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from hypothesis import strategies as st

from qrplex import spec
from qrplex._validation import validate_request as _validate  # the core's own validation
from qrplex.errors import InvalidContentError, InvalidOptionError, InvalidRequestError
from qrplex.spec import (
    ALPHANUMERIC_CHARS,
    CODE39_CHARS,
    MAX_HEIGHT,
    MAX_WIDTH,
    MICRO_QR_LEVELS,
    QR_LEVELS,
    Symbology,
    capacity_bits,
    data_bits,
    fit,
    max_length,
    minimum_width,
    segment_for,
)

__all__ = [
    "CONTENT_CLASSES",
    "GS1_IDENTIFIERS",
    "GS1_TRICKY_CONTENT",
    "SYMBOLOGY_NAMES",
    "TRICKY_CONTENT",
    "GenerateCall",
    "InvalidCase",
    "accepted",
    "error_levels",
    "expected_text",
    "gs1_element_strings",
    "gtin_check_digit",
    "invalid_content",
    "invalid_options",
    "invalid_requests",
    "is_gs1",
    "symbology_content",
    "tricky_content",
    "valid_calls",
    "valid_content",
    "widths",
]

SYMBOLOGY_NAMES: Final[tuple[str, ...]] = tuple(spec.SYMBOLOGIES)
"""The core's nine symbologies, in its order: each has strategies of its own. A symbology a
plugin registers (:func:`qrplex.spec.symbologies`) gets the generic ones, built from its
spec: :func:`symbology_content`."""

CONTENT_CLASSES: Final[tuple[str, ...]] = (
    "\t",
    "a\tb",
    "\ta",
    "a\t",
    "\xa0",  # NO-BREAK SPACE, alone, leading, inside and trailing
    "\xa0a",
    "a\xa0b",
    "a\xa0",
    " a ",
    "a\u2003b\u3000",  # EM SPACE, IDEOGRAPHIC SPACE
    "\u202fa\u2009",  # NARROW NO-BREAK SPACE, THIN SPACE
    "a\u200bb\ufeff",  # ZERO WIDTH SPACE, ZERO WIDTH NO-BREAK SPACE
    "a\r\nb\n",
    "\x1b[0m\x07",
    "\x01a\x7f",
    "e\u0301",  # a combining acute accent, after a base and first of all
    "\u0301a\u0308",
    "\u00ad\u2028",  # SOFT HYPHEN, LINE SEPARATOR
)
"""Characters real data has and backends mangle (tabs and U+00A0 turned into spaces,
control characters dropped, combining marks composed), at the edges and inside: explicit
examples, tried on every run, where the symbology can carry them."""

GS1_TRICKY_CONTENT: Final[tuple[str, ...]] = (
    "(01)09506000134352(10)ABC123(21)XYZ",  # a GS after (10): one follows
    "(01)09506000134352(21)A(10)B(17)201225",  # two GS, then a fixed-length AI
    "(01)09506000134352(422)040(10)X",  # fixed length, but not predefined: a GS after it
    "(10)3.3(01)09506000134352(17)201225",  # a variable AI first
    "(01)09506000134352(8200)https://example.com/p?a=1&b=2",  # a URL
    "[01]09506000134352[10]A(21)B",  # data that looks like an AI
)
"""GS1 element strings where the FNC1 separators matter, tried first for every GS1
symbology (with its own ``examples``): a backend that drops or adds one reads back other
data."""

TRICKY_CONTENT: Final[dict[str, tuple[str, ...]]] = {
    "qr": (
        "\x80",  # C1 controls: Latin-1, but some encoders refuse them under ECI 3
        "\x9f",
        "à@",  # Latin-1 bytes E0 40 form a Shift JIS pair: segno picks Kanji mode
        "ÄÖÜ",  # read as half-width katakana by zxing-cpp without an ECI
        "é",
        "Ã©",  # UTF-8 "é" read as Latin-1: looks like mojibake, but is the content
        "\x00",
        "日本語",
        "😀",
        "0",
        "A",
        "a",
        *CONTENT_CLASSES,
    ),
    "microqr": ("0", "12345", "A", "a", "à@", "\x00", "ÿ", "\t", "a\tb", " a ", "a\r\n"),
    "ean13": ("400638133393", "0036000291452", "0000000000000"),
    "ean8": ("9638507", "00000000"),
    "upca": ("03600029145", "000000000000"),
    "isbn13": ("978030640615", "9790000000001"),
    "code128": (
        "99",  # python-barcode merges a leading 99 into the start code
        "9912345",
        "ñ",  # python-barcode reads ñ ó ò ô as FNC1..FNC4
        "óòô",
        "\x00\x7f",
        "ÿ\x80",
        "1",
        "12",
        "123",
        "a1234b",
        *CONTENT_CLASSES,  # those beyond ISO-8859-1 are left out by tricky_content
    ),
    "code39": ("A", "$A", "-. $/+%", "CODE39", " A", "A ", "A  B"),
    "itf": ("00", "12", "1234567890"),
}
"""Contents that have tripped up encoders, tried on every run before random ones; those
the core refuses (under its current rules) are left out by :func:`tricky_content`."""

_DIGITS: Final = "0123456789"
_CODE39: Final = CODE39_CHARS
_CODE39_SET: Final = frozenset(_CODE39)
_GTIN_DATA: Final[dict[str, int]] = {"ean13": 12, "isbn13": 12, "ean8": 7, "upca": 11}
_LINEAR_OPTIONS: Final = ("height",)
_MATRIX_OPTIONS: Final = ("error",)
_UNKNOWN_OPTIONS: Final = ("colour", "scale", "border", "quiet_zone", "dpi", "micro", "foo")
_SURROGATES: Final = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
_NO_SURROGATES: Final[st.SearchStrategy[str]] = st.characters(exclude_categories=["Cs"])


def gtin_check_digit(digits: str) -> str:
    """The GS1 mod-10 check digit of ``digits``: a deliberately independent oracle, computed
    here and not with :func:`qrplex.spec.gtin_check_digit`, so that a wrong check digit in the
    core makes the kit's valid contents fail validation instead of agreeing with it."""
    weights = (3, 1)
    total = sum(int(d) * weights[i % 2] for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


def expected_text(symbology: str, content: str, **options: Any) -> str:
    """The text a reader must report for ``content``: the core's normalized content
    (an EAN-13 given as 12 digits gets its check digit).

    Raises:
        InvalidRequestError: the content or an option is not valid.
    """
    request = _validate(content, symbology=symbology, format="png", width=None, options=options)
    return request.content


# --- data types ----------------------------------------------------------------------------


def _options_text(options: Mapping[str, Any]) -> str:
    return ", ".join(
        f"error {value}" if key == "error" else f"{key} {value!r}" for key, value in options.items()
    )


@dataclass(frozen=True, slots=True)
class GenerateCall:
    """One valid ``Client.generate`` call: what to ask for.

    Attributes:
        symbology: the symbology.
        content: the content, as given (an EAN-13 may lack its check digit).
        format: ``"png"`` or ``"svg"``.
        width: the width asked for, or ``None``.
        options: symbology options (``error``, ``height``).
    """

    symbology: str
    content: str
    format: str = "png"
    width: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``Client.generate`` besides the content."""
        return {
            "symbology": self.symbology,
            "format": self.format,
            "width": self.width,
            **self.options,
        }

    def describe(self) -> str:
        """``"qr content 'é' (error M)"``: the call in words, for messages."""
        options = _options_text(self.options)
        return f"{self.symbology} content {self.content!r}" + (f" ({options})" if options else "")

    def __repr__(self) -> str:
        return f"GenerateCall({self.describe()} [{self.format}, width={self.width}])"


@dataclass(frozen=True, slots=True)
class InvalidCase:
    """A request the core must refuse, and how.

    Attributes:
        symbology: the symbology asked for (maybe an unknown name).
        content: the content.
        error: the exception type the core raises (``InvalidContentError`` or
            ``InvalidOptionError``, both ``InvalidRequestError``).
        reason: what is wrong, in words.
        kwargs: other ``Client.generate`` keyword arguments (``width``, ``format``,
            ``error``, ``height``, unknown options, ...).
    """

    symbology: str
    content: str
    error: type[InvalidRequestError]
    reason: str
    kwargs: Mapping[str, Any] = field(default_factory=dict)

    def call_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``Client.generate`` besides the content."""
        return {"symbology": self.symbology, **self.kwargs}

    def describe(self) -> str:
        """``"qr content '' (content is empty)"``: the case in words, for messages."""
        extra = "".join(f", {key}={value!r}" for key, value in self.kwargs.items())
        return f"{self.symbology} content {self.content!r}{extra} ({self.reason})"

    def __repr__(self) -> str:
        return f"InvalidCase({self.describe()} -> {self.error.__name__})"


# --- QR Code and Micro QR Code --------------------------------------------------------------


@dataclass(frozen=True)
class _Family:
    """Texts of one kind: ``marker`` characters make a text this kind, ``alphabet`` keeps it."""

    name: str
    marker: st.SearchStrategy[str]
    alphabet: st.SearchStrategy[str]


_ALNUM_ONLY: Final = "".join(c for c in ALPHANUMERIC_CHARS if c not in _DIGITS)
_CJK: Final = st.one_of(
    st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),  # CJK unified ideographs
    st.characters(min_codepoint=0x3040, max_codepoint=0x30FF),  # hiragana, katakana
    st.characters(min_codepoint=0xAC00, max_codepoint=0xD7A3),  # hangul
    st.characters(min_codepoint=0xFF01, max_codepoint=0xFF9F),  # full / half-width forms
)
_EMOJI: Final = st.one_of(
    st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF),
    st.characters(min_codepoint=0x2600, max_codepoint=0x27BF),
    st.sampled_from(["\u200d", "\ufe0f", "\U0001f1ef", "\U0001f1f5", "\U0001f3fb"]),
)
_SPACES_AND_MARKS: Final = st.one_of(
    st.sampled_from(["\t", "\xa0", "\n", "\r", " ", "\x0b", "\x0c", "\x1b", "\x7f"]),
    st.characters(categories=["Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me"]),
)
_FAMILIES: Final[tuple[_Family, ...]] = (
    _Family("digits", st.sampled_from(_DIGITS), st.sampled_from(_DIGITS)),
    _Family("alphanumeric", st.sampled_from(_ALNUM_ONLY), st.sampled_from(ALPHANUMERIC_CHARS)),
    _Family(
        "ascii",
        st.characters(max_codepoint=127).filter(lambda c: c not in ALPHANUMERIC_CHARS),
        st.characters(max_codepoint=127),
    ),
    _Family(
        "latin-1",
        st.characters(min_codepoint=128, max_codepoint=255),
        st.characters(max_codepoint=255),
    ),
    _Family("cjk", _CJK, st.one_of(_CJK, st.characters(max_codepoint=127))),
    _Family("emoji", _EMOJI, st.one_of(_EMOJI, st.characters(max_codepoint=255))),
    _Family(
        "unicode",
        _NO_SURROGATES.filter(lambda c: ord(c) > 255),
        _NO_SURROGATES,
    ),
    _Family(  # real data: tabs, U+00A0 and other spaces, controls, combining marks
        "spaces",
        _SPACES_AND_MARKS.filter(lambda c: c not in ALPHANUMERIC_CHARS),
        st.one_of(_SPACES_AND_MARKS, st.characters(min_codepoint=32, max_codepoint=126)),
    ),
)


def _fits(content: str, level: str, micro: bool) -> bool:
    segment = segment_for(content)
    if micro and segment.eci:
        return False
    return fit(segment, level, micro=micro) is not None


def _families(micro: bool) -> tuple[_Family, ...]:
    """The families valid for the symbol: Micro QR has no ECI, so no text needing one."""
    samples = {"digits": "1", "alphanumeric": "A", "ascii": "a", "latin-1": "é", "cjk": "漢"}
    samples |= {"emoji": "😀", "unicode": "Ω", "spaces": "\u2003"}
    return tuple(f for f in _FAMILIES if not (micro and segment_for(samples[f.name]).eci))


def _longest_fitting(content: str, level: str, micro: bool) -> int:
    """Length of the longest prefix of ``content`` that fits (0 if none): fitting is
    monotonic in the prefix length, since a longer prefix never has a denser mode."""
    low, high = 0, len(content)
    while low < high:
        middle = (low + high + 1) // 2
        if _fits(content[:middle], level, micro):
            low = middle
        else:
            high = middle - 1
    return low


def _version_limit(content: str, version: int, level: str, micro: bool) -> int:
    """The most segment units (digits, characters, bytes) of ``content``'s kind that fit in
    ``version`` at ``level``; 0 if none fit."""
    segment = segment_for(content)
    capacity = capacity_bits(version, level, micro=micro)
    if capacity is None:
        return 0
    low, high = 0, capacity
    while low < high:
        middle = (low + high + 1) // 2
        needed = data_bits(type(segment)(segment.mode, middle, segment.eci), version, micro=micro)
        if needed is not None and needed <= capacity:
            low = middle
        else:
            high = middle - 1
    return low


def _units(content: str) -> int:
    return segment_for(content).length


def _prefix_with_units(content: str, units: int) -> str:
    """The longest prefix of ``content`` with at most ``units`` segment units."""
    low, high = 0, len(content)
    while low < high:
        middle = (low + high + 1) // 2
        if _units(content[:middle]) <= units:
            low = middle
        else:
            high = middle - 1
    return content[:low]


@st.composite
def _long_text(draw: st.DrawFn, family: _Family, units: int) -> str:
    """A text of ``family`` with at least ``units`` segment units: a random head and a
    short random pattern repeated (so a 7000-digit text costs a few dozen choices)."""
    head = draw(st.text(family.alphabet, max_size=12))
    marker = draw(family.marker)
    tail = draw(st.text(family.alphabet, max_size=12))
    pattern = draw(st.text(family.alphabet, min_size=1, max_size=8)) or marker
    text = head + marker + tail
    repeat = max(1, units // max(1, _units(pattern))) + 1
    return text + pattern * repeat


@st.composite
def _qr_valid(draw: st.DrawFn, level: str, micro: bool) -> str:
    family = draw(st.sampled_from(_families(micro)))
    kind = draw(st.sampled_from(("short", "short", "short", "boundary", "limit")))
    if kind == "short":
        text = draw(family.marker) + draw(st.text(family.alphabet, max_size=24))
        chars = list(text)
        position = draw(st.integers(0, len(chars) - 1))
        chars.insert(position, chars.pop(0))  # the marker anywhere, not always first
        text = "".join(chars)
        return text[: max(1, _longest_fitting(text, level, micro))]
    versions = 4 if micro else 40
    version = versions if kind == "limit" else draw(st.integers(1, versions))
    probe = draw(family.marker)
    units = _version_limit(probe, version, level, micro)
    text = draw(_long_text(family, units + 4))
    if not _fits(text[:1], level, micro):  # pragma: no cover - a marker always fits
        return text[:1]
    longest = text[: _longest_fitting(text, level, micro)]
    if kind == "limit":
        target = _units(longest) - draw(st.integers(0, 2))
    else:
        target = min(_units(longest), units + draw(st.integers(-1, 1)))
    content = _prefix_with_units(longest, max(1, target))
    return content or longest[:1]


@st.composite
def _qr_over_capacity(draw: st.DrawFn, level: str, micro: bool) -> InvalidCase:
    family = draw(st.sampled_from(_families(micro)))
    probe = draw(family.marker)
    units = max_length(segment_for(probe).mode, level, micro=micro, eci=segment_for(probe).eci)
    text = draw(_long_text(family, units + 8))
    longest = _longest_fitting(text, level, micro)
    content = text[: longest + 1 + draw(st.integers(0, 2))]
    segment = segment_for(content)
    return InvalidCase(
        "microqr" if micro else "qr",
        content,
        InvalidContentError,
        f"over capacity: {segment.length} {segment.unit} in {segment.mode} mode at error {level}",
        {"error": level},
    )


@st.composite
def _with_inserted(
    draw: st.DrawFn, base: st.SearchStrategy[str], bad: st.SearchStrategy[str]
) -> str:
    text = draw(base)
    char = draw(bad)
    position = draw(st.integers(0, len(text)))
    return text[:position] + char + text[position:]


def _qr_invalid(level: str, micro: bool) -> st.SearchStrategy[InvalidCase]:
    name = "microqr" if micro else "qr"
    cases: list[st.SearchStrategy[InvalidCase]] = [
        _qr_over_capacity(level, micro),
        _with_inserted(st.text(st.characters(max_codepoint=127), max_size=8), _SURROGATES).map(
            lambda c: InvalidCase(
                name, c, InvalidContentError, "a lone surrogate", {"error": level}
            )
        ),
    ]
    if micro:
        needs_eci = _NO_SURROGATES.filter(lambda c: segment_for(c).eci)
        cases.append(
            _with_inserted(st.text(st.sampled_from(ALPHANUMERIC_CHARS), max_size=4), needs_eci).map(
                lambda c: InvalidCase(
                    name,
                    c,
                    InvalidContentError,
                    "text a Micro QR Code cannot carry without an ECI",
                    {"error": level},
                )
            )
        )
    return st.one_of(cases)


# --- linear barcodes ----------------------------------------------------------------------


def _digits(size: int) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(_DIGITS), min_size=size, max_size=size)


def _gtin_data(symbology: str) -> st.SearchStrategy[str]:
    size = _GTIN_DATA[symbology]
    if symbology == "isbn13":
        return st.builds(str.__add__, st.sampled_from(["978", "979"]), _digits(size - 3))
    return _digits(size)


def _gtin_valid(symbology: str) -> st.SearchStrategy[str]:
    data = _gtin_data(symbology)
    return st.one_of(data, data.map(lambda d: d + gtin_check_digit(d)))


@st.composite
def _wrong_check_digit(draw: st.DrawFn, symbology: str) -> str:
    data = draw(_gtin_data(symbology))
    right = gtin_check_digit(data)
    return data + draw(st.sampled_from([d for d in _DIGITS if d != right]))


def _gtin_invalid(symbology: str) -> st.SearchStrategy[InvalidCase]:
    size = _GTIN_DATA[symbology]
    not_digit = st.one_of(
        _NO_SURROGATES.filter(lambda c: c not in _DIGITS),
        st.sampled_from(["٣", "３", "¹", "a", " ", "-", "\x00"]),  # other "digits", separators
    )

    def case(reason: str) -> Callable[[str], InvalidCase]:
        return lambda content: InvalidCase(symbology, content, InvalidContentError, reason)

    cases = [
        _with_inserted(_digits(size - 1), not_digit).map(case("a character that is not 0-9")),
        st.integers(1, 20)
        .filter(lambda n: n not in (size, size + 1))
        .flatmap(_digits)
        .map(case("a wrong number of digits")),
        _wrong_check_digit(symbology).map(case("a wrong check digit")),
    ]
    if symbology == "isbn13":
        prefix = _digits(3).filter(lambda p: p not in ("978", "979"))
        rest = st.one_of(_digits(9), _digits(9).map(lambda d: d + "0"))
        cases.append(
            st.builds(str.__add__, prefix, rest)
            .map(lambda c: c if len(c) == 12 else c[:12] + gtin_check_digit(c[:12]))
            .map(case("an ISBN-13 that does not start with 978 or 979"))
        )
    return st.one_of(cases)


_LATIN1: Final = st.characters(max_codepoint=255)
_CODE128_SPECIAL: Final = st.sampled_from(
    [
        *("99", "9", "00", "ñ", "ó", "ò", "ô", "\x00", "\x1d", "\x7f", "\x80", "\xff", " ", "é"),
        *("\t", "\xa0", "\r\n", " x "),  # real data's tabs, no-break spaces, line breaks
    ]
)


def _code128_valid() -> st.SearchStrategy[str]:
    digit_run = st.text(st.sampled_from(_DIGITS), min_size=1, max_size=24)
    piece = st.one_of(digit_run, st.text(_LATIN1, min_size=1, max_size=12), _CODE128_SPECIAL)
    return st.one_of(
        st.text(_LATIN1, min_size=1, max_size=48),
        digit_run,
        st.lists(piece, min_size=1, max_size=8).map("".join),
        _LATIN1,  # one character
        st.text(st.sampled_from(_DIGITS), min_size=60, max_size=120),  # long digit runs
        st.text(st.characters(min_codepoint=32, max_codepoint=126), min_size=80, max_size=160),
    )


def _code39_valid() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(st.sampled_from(_CODE39), min_size=1, max_size=24),
        st.sampled_from(_CODE39),
        st.text(st.sampled_from(_CODE39), min_size=40, max_size=80),
    )


def _itf_valid() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(1, 10).flatmap(lambda n: _digits(2 * n)),
        st.integers(11, 40).flatmap(lambda n: _digits(2 * n)),
    )


def _text_invalid(
    symbology: str, base: st.SearchStrategy[str], bad: st.SearchStrategy[str], reason: str
) -> st.SearchStrategy[InvalidCase]:
    return _with_inserted(base, bad).map(
        lambda c: InvalidCase(symbology, c, InvalidContentError, reason)
    )


def _linear_invalid(symbology: str) -> st.SearchStrategy[InvalidCase]:
    if symbology in _GTIN_DATA:
        return _gtin_invalid(symbology)
    if symbology == "code128":
        return _text_invalid(
            symbology,
            st.text(_LATIN1, max_size=12),
            st.characters(min_codepoint=256),
            "a character outside ISO-8859-1",
        )
    if symbology == "code39":
        base = st.text(st.sampled_from(_CODE39), max_size=12)
        return st.one_of(
            _text_invalid(
                symbology, base, st.sampled_from("abcdefghijklmnopqrstuvwxyz"), "lowercase"
            ),
            _text_invalid(
                symbology,
                base,
                st.characters().filter(lambda c: c.upper() not in _CODE39_SET),
                "a character outside the Code 39 set",
            ),
        )
    odd = st.integers(0, 20).flatmap(lambda n: _digits(2 * n + 1))
    return st.one_of(
        odd.map(
            lambda c: InvalidCase(symbology, c, InvalidContentError, "an odd number of digits")
        ),
        _text_invalid(
            symbology,
            st.integers(0, 6).flatmap(lambda n: _digits(2 * n)),
            st.characters().filter(lambda c: c not in _DIGITS),
            "a character that is not 0-9",
        ),
    )


# --- plugin symbologies -------------------------------------------------------------------


def _resolve(symbology: str | Symbology) -> Symbology:
    """The :class:`Symbology` of ``symbology``: itself, or the registered one of that name."""
    if isinstance(symbology, Symbology):
        return symbology
    table = spec.symbologies()
    if symbology not in table:
        raise ValueError(f"unknown symbology {symbology!r}: use one of {', '.join(table)}")
    return table[symbology]


def _is_core(symbology: Symbology) -> bool:
    return symbology.name in spec.SYMBOLOGIES  # a plugin cannot redefine a core name


def accepted(
    symbology: Symbology, content: str, options: Mapping[str, Any] | None = None
) -> str | None:
    """``content`` normalized by ``symbology``'s ``content`` rule, or ``None`` if the rule
    refuses it (the core refuses empty content for every symbology)."""
    if not content:
        return None
    if symbology.content is None:
        return content
    try:
        return symbology.content(content, options or {})
    except InvalidRequestError:
        return None


_PROBES: Final = ("\x00", "\t", " ", "a", "Z", "0", "é", "Ω", "漢", "😀", "\xa0", "\u0301")
"""Characters tried on a plugin symbology's rule to find some it refuses."""


def _refused_chars(symbology: Symbology) -> tuple[str, ...]:
    base = symbology.examples[0] if symbology.examples else ""
    return tuple(c for c in _PROBES if accepted(symbology, base + c) is None)


def symbology_content(symbology: Symbology) -> st.SearchStrategy[str]:
    """Contents a plugin's ``symbology`` accepts: its ``examples``, texts of their characters
    (up to twice the longest example), real data's :data:`CONTENT_CLASSES` and any text
    without surrogates, each kept when the symbology's ``content`` rule accepts it.

    Raises:
        ValueError: the symbology has no ``examples`` and its rule refuses every probe (the
            kit needs at least one valid content: register ``examples``).
    """
    pieces: list[st.SearchStrategy[str]] = []
    examples = tuple(e for e in symbology.examples if accepted(symbology, e) is not None)
    if is_gs1(symbology.name):  # any text is almost never a valid element string
        gs1 = [st.sampled_from(examples)] if examples else []
        return st.one_of(*gs1, gs1_element_strings()).filter(
            lambda content: accepted(symbology, content) is not None
        )
    if examples:
        alphabet = sorted(set("".join(examples)))
        longest = max(len(e) for e in examples)
        pieces += [
            st.sampled_from(examples),
            st.text(st.sampled_from(alphabet), min_size=1, max_size=2 * longest),
        ]
    pieces += [
        st.sampled_from(CONTENT_CLASSES),
        st.text(_NO_SURROGATES, min_size=1, max_size=24),
    ]
    if not examples and not any(accepted(symbology, c) is not None for c in _PROBES):
        raise ValueError(
            f"symbology {symbology.name!r} has no valid examples: register "
            f"Symbology(..., examples=(...)) with contents its rule accepts"
        )
    return st.one_of(pieces).filter(lambda content: accepted(symbology, content) is not None)


GS1_IDENTIFIERS: Final[Mapping[str, str]] = {
    "gs1-128": "]C1",
    "gs1-datamatrix": "]d2",
    "gs1-qr": "]Q3",
    "gs1-databar-expanded": "]e0",
}
"""The AIM symbology identifier a reader must report for each GS1 symbology (FNC1 in first
position); another symbology named ``gs1-*`` must give one of
:data:`qrplex.gs1.SYMBOLOGY_IDENTIFIERS`."""


def is_gs1(symbology: str) -> bool:
    """Whether the kit treats ``symbology`` as carrying a GS1 element string."""
    return symbology in GS1_IDENTIFIERS or symbology.startswith("gs1-")


def _gs1_key(draw: st.DrawFn, digits: int) -> str:
    body = draw(st.text(st.sampled_from(_DIGITS), min_size=digits - 1, max_size=digits - 1))
    return body + spec.gtin_check_digit(body)


def _gs1_date(draw: st.DrawFn) -> str:
    year, month = draw(st.integers(0, 99)), draw(st.integers(1, 12))
    return f"{year:02d}{month:02d}{draw(st.integers(0, 28)):02d}"  # day 00: (11) and (17) only


@st.composite
def gs1_element_strings(draw: st.DrawFn) -> str:
    """Valid GS1 element strings: an SSCC (00), or a GTIN (01) with any of a batch (10),
    production and expiry dates (11) (17) and a serial (21), in any order; batch and serial
    values from all of GS1 character set 82 (``(`` and ``)`` included), 1 to 20 characters.
    Written bracketed (``[01]...[10]...``, never ambiguous) or human readable when no value
    holds a parenthesis."""
    from qrplex.gs1 import CSET82

    if draw(st.integers(0, 4)) == 0:
        elements = [("00", _gs1_key(draw, 18))]
    else:
        elements = [("01", _gs1_key(draw, 14))]
        text = st.text(st.sampled_from(sorted(CSET82)), min_size=1, max_size=20)
        for ai in draw(st.lists(st.sampled_from(["10", "11", "17", "21"]), unique=True)):
            elements.append((ai, _gs1_date(draw) if ai in ("11", "17") else draw(text)))
        elements = draw(st.permutations(elements))
    plain = not any("(" in value or ")" in value for _, value in elements)
    if plain and draw(st.booleans()):
        return "".join(f"({ai}){value}" for ai, value in elements)
    return "".join(f"[{ai}]{value}" for ai, value in elements)


def _plugin_invalid(symbology: Symbology) -> st.SearchStrategy[InvalidCase]:
    refused = _refused_chars(symbology)
    if not refused or not symbology.examples:
        return st.nothing()
    return (
        _with_inserted(st.sampled_from(symbology.examples), st.sampled_from(refused))
        .filter(lambda content: accepted(symbology, content) is None)
        .map(
            lambda content: InvalidCase(
                symbology.name, content, InvalidContentError, f"refused by {symbology.title}"
            )
        )
    )


def _plugin_minimum(symbology: Symbology, content: str, options: Mapping[str, Any]) -> int | None:
    """The minimum width of a plugin symbology's ``content``, as the core computes it."""
    normalized = accepted(symbology, content, options)
    if normalized is None or symbology.modules is None:
        return None
    modules = symbology.modules(normalized, options)
    if modules is None:
        return None
    quiet = (
        2 * symbology.quiet_left
        if symbology.dimension == 2
        else symbology.quiet_left + symbology.quiet_right
    )
    return modules + quiet


# --- public strategies --------------------------------------------------------------------


def _check_level(symbology: str, error: str) -> str:
    levels = MICRO_QR_LEVELS if symbology == "microqr" else QR_LEVELS
    if error.upper() not in levels:
        raise ValueError(f"error level {error!r} is not valid for {symbology}")
    return error.upper()


def valid_content(symbology: str | Symbology, error: str = "M") -> st.SearchStrategy[str]:
    """Contents the core accepts for ``symbology`` (at error level ``error`` for QR codes).

    * ``qr``: digits, the alphanumeric set, ASCII (control characters included), Latin-1,
      CJK, emoji, any Unicode text without surrogates, and real data's whitespace: tabs,
      U+00A0 and other Unicode spaces, line breaks, control characters, format characters
      and combining marks among ASCII; short texts, texts exactly at the
      capacity of a random version, and texts at (or 1-2 units under) the capacity of
      version 40 at level ``error``, under the core's charset policy.
    * ``microqr``: the same for the kinds of text a Micro QR Code carries (no ECI), up to
      the capacity of M4 at ``error``.
    * ``ean13`` / ``ean8`` / ``upca`` / ``isbn13``: the data digits (the core adds the check
      digit) or all digits with the right check digit; ISBN-13 starts with 978 or 979.
    * ``code128``: Latin-1 text with control characters, tabs, U+00A0, digit runs, ``"99"``
      prefixes,
      ``ñ ó ò ô`` (FNC look-alikes), single characters and long texts.
    * ``code39``: its 43 characters; ``itf``: even numbers of digits.
    * a plugin's symbology: :func:`symbology_content`.
    """
    resolved = _resolve(symbology)
    name = resolved.name
    if not _is_core(resolved):
        return symbology_content(resolved)
    if name in ("qr", "microqr"):
        return _qr_valid(_check_level(name, error), name == "microqr")
    if name in _GTIN_DATA:
        return _gtin_valid(name)
    if name == "code128":
        return _code128_valid()
    if name == "code39":
        return _code39_valid()
    return _itf_valid()


def invalid_content(symbology: str | Symbology, error: str = "M") -> st.SearchStrategy[InvalidCase]:
    """Contents the core refuses for ``symbology`` with :class:`InvalidContentError`.

    Empty content for every symbology; for QR codes, content just over the capacity at level
    ``error`` (1-3 units over, for each kind of text), lone surrogates, and for Micro QR text
    that needs an ECI; for EAN/UPC/ISBN, non-digits (including other scripts' digits), wrong
    lengths, wrong check digits and non-978/979 ISBNs; Code 128 characters above U+00FF;
    Code 39 lowercase and other characters; odd-length or non-digit ITF; for a plugin's
    symbology, its examples with a character its ``content`` rule refuses inserted.
    """
    resolved = _resolve(symbology)
    name = resolved.name
    empty = st.just(InvalidCase(name, "", InvalidContentError, "content is empty"))
    if not _is_core(resolved):
        return st.one_of(empty, _plugin_invalid(resolved))
    if name in ("qr", "microqr"):
        level = _check_level(name, error)
        return st.one_of(empty, _qr_invalid(level, name == "microqr"))
    return st.one_of(empty, _linear_invalid(name))


def tricky_content(symbology: str | Symbology, error: str = "M") -> tuple[str, ...]:
    """The :data:`TRICKY_CONTENT` of ``symbology`` that the core accepts at ``error``; for a
    plugin's symbology, its ``examples`` and the :data:`CONTENT_CLASSES` its rule accepts."""
    resolved = _resolve(symbology)
    if not _is_core(resolved):
        gs1_cases = GS1_TRICKY_CONTENT if is_gs1(resolved.name) else ()
        candidates = (*resolved.examples, *gs1_cases, *CONTENT_CLASSES)
        return tuple(c for c in dict.fromkeys(candidates) if accepted(resolved, c) is not None)
    options = {"error": error} if resolved.dimension == 2 else {}
    accepted_contents = []
    for content in TRICKY_CONTENT.get(resolved.name, ()):
        try:
            _validate(content, symbology=resolved.name, format="png", width=None, options=options)
        except InvalidRequestError:
            continue
        accepted_contents.append(content)
    return tuple(accepted_contents)


def error_levels(symbology: str) -> st.SearchStrategy[str]:
    """The error correction levels of ``symbology`` (``L M Q H``; Micro QR: ``L M Q``)."""
    return st.sampled_from(MICRO_QR_LEVELS if symbology == "microqr" else QR_LEVELS)


def _minimum(symbology: Symbology, content: str, options: Mapping[str, Any]) -> int | None:
    if not _is_core(symbology):
        return _plugin_minimum(symbology, content, options)
    request = _validate(
        content, symbology=symbology.name, format="png", width=None, options=options
    )
    minimum = minimum_width(request)
    if minimum is None:  # pragma: no cover - every valid content has a minimum
        raise AssertionError(f"no minimum width for valid {symbology.name} content {content!r}")
    return minimum


def widths(
    symbology: str | Symbology,
    content: str,
    *,
    max_width: int | None = None,
    **options: Any,
) -> st.SearchStrategy[int | None]:
    """Widths to ask for: ``None`` (the default scale), the minimum (one pixel a module),
    just above it, and up to four times it; never above ``max_width`` or
    :data:`qrplex.spec.MAX_WIDTH`. Only ``None`` for a plugin's symbology without a
    ``modules`` count (its minimum is unknown)."""
    minimum = _minimum(_resolve(symbology), content, options)
    top = min(MAX_WIDTH, max_width if max_width is not None else MAX_WIDTH)
    if minimum is None or minimum > top:
        return st.none()
    return st.one_of(
        st.none(),
        st.just(minimum),
        st.integers(minimum, min(top, minimum + 3)),
        st.integers(minimum, min(top, 4 * minimum)),
    )


@st.composite
def valid_calls(
    draw: st.DrawFn,
    symbology: str | Symbology,
    format: str = "png",
    *,
    levels: Sequence[str] | None = None,
    heights: bool = False,
    max_width: int | None = None,
) -> GenerateCall:
    """Valid ``generate`` calls: content, width and options.

    Args:
        symbology: the symbology (its name, or its :class:`~qrplex.spec.Symbology`).
        format: the format asked for.
        levels: error levels to draw from (QR codes); ``None`` sets no ``error`` option
            (the core's default ``M``).
        heights: also draw a ``height`` option (linear barcodes that take one), 1 to 600 px.
        max_width: the backend's largest width, if it has one.
    """
    resolved = _resolve(symbology)
    name = resolved.name
    options: dict[str, Any] = {}
    level = "M"
    if name in ("qr", "microqr") and levels:
        level = draw(st.sampled_from(list(levels)))
        options["error"] = level
    content = draw(valid_content(resolved, error=level))
    if heights and resolved.dimension == 1 and "height" in resolved.allowed_options:
        height = draw(st.none() | st.integers(1, 40) | st.integers(1, 600))
        if height is not None:
            options["height"] = height
    width = draw(widths(resolved, content, max_width=max_width, **options))
    return GenerateCall(name, content, format, width, options)


@st.composite
def _width_cases(draw: st.DrawFn, symbology: Symbology) -> InvalidCase:
    content = draw(valid_content(symbology))
    minimum = _minimum(symbology, content, {})
    choices: list[tuple[object, str]] = [
        (draw(st.integers(max_value=0)), "width not positive"),
        (draw(st.integers(MAX_WIDTH + 1, 10 * MAX_WIDTH)), "width above the maximum"),
        # float(minimum): a width valid but for its type (300.0 when there is no minimum).
        (
            draw(st.sampled_from([True, 1.5, float(minimum or 300), "300", b"300"])),
            "width not an int",
        ),
    ]
    if minimum is not None and minimum > 1:
        small = draw(st.integers(max(1, minimum - 3), minimum - 1))
        choices.append((small, f"width below the minimum {minimum}"))
    width, reason = draw(st.sampled_from(choices))
    return InvalidCase(symbology.name, content, InvalidOptionError, reason, {"width": width})


@st.composite
def _option_cases(draw: st.DrawFn, symbology: Symbology) -> InvalidCase:
    content = draw(valid_content(symbology))
    allowed = symbology.allowed_options
    name = symbology.name
    choices: list[tuple[dict[str, Any], str]] = [
        ({draw(st.sampled_from(_UNKNOWN_OPTIONS)): draw(st.integers(0, 9))}, "an unknown option"),
        ({"format": draw(st.sampled_from(["jpeg", "PNG", "gif", "", "svgz", "pdf"]))}, "format"),
    ]
    if "error" not in allowed:
        choices.append(({"error": draw(error_levels("qr"))}, "error level on a barcode"))
    elif name in ("qr", "microqr"):
        levels = MICRO_QR_LEVELS if name == "microqr" else QR_LEVELS
        bad_level = draw(
            st.one_of(
                st.text(max_size=3).filter(lambda s: s.upper() not in levels),
                st.sampled_from([None, 1, "", "MM", "high"]),
                st.sampled_from([x for x in QR_LEVELS if x not in levels] or ["X"]),
            )
        )
        choices.append(({"error": bad_level}, "not an error level"))
    if "height" not in allowed:
        choices.append(({"height": draw(st.integers(1, 500))}, "height on a matrix code"))
    else:
        height = draw(
            st.one_of(
                st.integers(max_value=0),
                st.integers(MAX_HEIGHT + 1, 10 * MAX_HEIGHT),
                st.sampled_from([True, 2.5, "50"]),
            )
        )
        choices.append(({"height": height}, "height not a valid number of pixels"))
    kwargs, reason = draw(st.sampled_from(choices))
    return InvalidCase(name, content, InvalidOptionError, reason, kwargs)


def invalid_options(
    symbology: str | Symbology, registered: Collection[str] | None = None
) -> st.SearchStrategy[InvalidCase]:
    """Valid contents with an option the core refuses with :class:`InvalidOptionError`:
    widths that are not positive, too large, not ints or below the symbol's minimum; unknown
    options and formats; error levels that do not exist for the symbology (or on one without
    levels); heights that are not valid pixel counts (or on one without a height); unknown
    symbologies (names ``registered`` leaves out: by default, the installed plugins')."""
    resolved = _resolve(symbology)
    taken = set(spec.symbologies() if registered is None else registered)
    names = ["qrcode", "QR", "ean-13", "", "code93", "datamatrix", "maxicode", "gs1_128"]
    unknown = st.sampled_from([name for name in names if name not in taken]).map(
        lambda name: InvalidCase(name, "12345678", InvalidOptionError, "an unknown symbology")
    )
    return st.one_of(_width_cases(resolved), _option_cases(resolved), unknown)


def invalid_requests(
    symbology: str | Symbology, registered: Collection[str] | None = None
) -> st.SearchStrategy[InvalidCase]:
    """:func:`invalid_content` (at every error level) and :func:`invalid_options`."""
    name = _resolve(symbology).name
    if name in ("qr", "microqr"):
        content = error_levels(name).flatmap(lambda level: invalid_content(name, level))
    else:
        content = invalid_content(symbology)
    return st.one_of(content, invalid_options(symbology, registered))
