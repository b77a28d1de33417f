"""The core's request validation (qrplex._validation, qrplex._qr_capacity).

QR capacity is cross-checked against segno, and linear module counts against python-barcode
(what the local backend draws); neither is used by the code under test.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

import barcode
import pytest
import segno
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from segno import consts as segno_consts

from qrplex._model import CodeRequest
from qrplex._qr_capacity import (
    ALPHANUMERIC_CHARS,
    QR_LEVELS,
    Mode,
    Segment,
    capacity_bits,
    data_bits,
    max_length,
    plan_qr,
    segment_for,
)
from qrplex._symbologies import SYMBOLOGIES
from qrplex._validation import (
    MAX_WIDTH,
    gtin_check_digit,
    minimum_width,
    symbol_modules,
    validate_request,
)
from qrplex.errors import InvalidContentError, InvalidOptionError, InvalidRequestError
from qrplex_local._linear import linear_pattern

MODES: tuple[Mode, ...] = ("numeric", "alphanumeric", "byte")
FILLER: dict[Mode, str] = {"numeric": "7", "alphanumeric": "A", "byte": "x"}
SEGNO_LEVEL = {"L": "L", "M": "M", "Q": "Q", "H": "H"}


def validate(
    content: object,
    symbology: str = "qr",
    *,
    format: str = "png",
    width: int | None = None,
    options: Mapping[str, Any] | None = None,
) -> CodeRequest:
    return validate_request(
        content, symbology=symbology, format=format, width=width, options=options or {}
    )


def segno_qr(content: str, level: str | None, *, micro: bool = False) -> segno.QRCode:
    """The symbol segno makes when encoding as qrplex's charset policy says."""
    segment = segment_for(content)
    kwargs: dict[str, Any] = {"encoding": segment.encoding}
    if segment.mode == "byte":
        kwargs["mode"] = "byte"  # else segno may pick Kanji mode for Latin-1 text
    if segment.eci:
        kwargs["eci"] = True
    return segno.make(content, error=level, boost_error=False, micro=micro, **kwargs)


def segno_version(content: str, level: str | None, *, micro: bool = False) -> str:
    return str(segno_qr(content, level, micro=micro).version)


def our_version(content: str, level: str, *, micro: bool = False) -> str | None:
    symbol = plan_qr(content, level, micro=micro)
    return None if symbol is None else symbol.name


# --- symbology, format ---------------------------------------------------------------------


@pytest.mark.parametrize("symbology", ["maxicode", "QR", "", None])
def test_unknown_symbology_lists_the_valid_ones(symbology: Any) -> None:
    with pytest.raises(InvalidOptionError, match="unknown symbology") as caught:
        validate("x", symbology)
    for name in SYMBOLOGIES:
        assert name in str(caught.value)


@pytest.mark.parametrize("format", ["jpeg", "gif", "PNG", ""])
def test_unknown_format_lists_png_and_svg(format: str) -> None:
    with pytest.raises(InvalidOptionError, match=r"unknown format .*: use one of png, svg$"):
        validate("x", format=format)


@pytest.mark.parametrize("format", ["png", "svg"])
def test_known_formats(format: str) -> None:
    assert validate("x", format=format).format == format


def test_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="unknown symbology"):
        validate("x", "nope")
    assert issubclass(InvalidContentError, InvalidRequestError)


# --- content type ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "type_name"), [(b"abc", "bytes"), (123, "int"), (None, "NoneType")]
)
@pytest.mark.parametrize("symbology", ["qr", "ean13", "code128"])
def test_content_must_be_str(content: object, type_name: str, symbology: str) -> None:
    with pytest.raises(InvalidContentError, match=f"must be a str, not {type_name}"):
        validate(content, symbology)


@pytest.mark.parametrize("symbology", list(SYMBOLOGIES))
def test_empty_content(symbology: str) -> None:
    with pytest.raises(InvalidContentError, match="content is empty"):
        validate("", symbology)


# --- width ---------------------------------------------------------------------------------


def test_width_none_is_allowed() -> None:
    assert validate("hello").width is None


@pytest.mark.parametrize("width", [True, 30.0, "100", [100]])
def test_width_must_be_an_int(width: Any) -> None:
    with pytest.raises(InvalidOptionError, match="width must be an integer number of pixels"):
        validate("hello", width=width)


@pytest.mark.parametrize("width", [0, -5])
def test_width_must_be_positive(width: int) -> None:
    with pytest.raises(InvalidOptionError, match="not positive"):
        validate("hello", width=width)


def test_width_maximum() -> None:
    assert validate("hello", width=MAX_WIDTH).width == MAX_WIDTH
    with pytest.raises(InvalidOptionError, match="too large: the maximum is 10000 px"):
        validate("hello", width=MAX_WIDTH + 1)


def test_qr_width_too_small_states_the_minimum() -> None:
    message = (
        "width 20 is too small for this QR Code (version 1, 21 modules + 4-module quiet "
        "zones): the minimum is 29 px"
    )
    with pytest.raises(InvalidOptionError) as caught:
        validate("hello", width=20)
    assert str(caught.value) == message
    assert validate("hello", width=29).width == 29
    with pytest.raises(InvalidOptionError, match="the minimum is 29 px"):
        validate("hello", width=28)


def test_width_minimum_follows_the_version() -> None:
    request = validate("x" * 100)  # version 6 at level M: 41 modules
    assert symbol_modules(request) == 41
    assert minimum_width(request) == 49
    with pytest.raises(InvalidOptionError, match=r"version 6, 41 modules.*minimum is 49 px"):
        validate("x" * 100, width=48)


def test_micro_qr_width() -> None:
    request = validate("12345", "microqr", options={"error": "L"})  # M1: 11 modules
    assert symbol_modules(request) == 11
    assert minimum_width(request) == 15
    with pytest.raises(
        InvalidOptionError,
        match=r"Micro QR Code \(version M1, 11 modules \+ 2-module quiet zones\): "
        r"the minimum is 15 px",
    ):
        validate("12345", "microqr", width=14, options={"error": "L"})


def test_linear_width_with_uneven_quiet_zones() -> None:
    request = validate("590123412345", "ean13", width=113)
    assert minimum_width(request) == 95 + 11 + 7
    with pytest.raises(InvalidOptionError) as caught:
        validate("590123412345", "ean13", width=112)
    assert str(caught.value) == (
        "width 112 is too small for this EAN-13 (95 modules + quiet zones of 11 and 7 "
        "modules): the minimum is 113 px"
    )


@pytest.mark.parametrize(
    ("symbology", "content", "modules"),
    [
        ("ean13", "590123412345", 95),
        ("isbn13", "978316148410", 95),
        ("ean8", "9638507", 67),
        ("upca", "03600029145", 95),
        ("code39", "ABC", 16 * 5 - 1),
        ("itf", "1234", 9 + 36),
        ("code128", "Hello", 90),
    ],
)
def test_linear_minimum_width(symbology: str, content: str, modules: int) -> None:
    request = validate(content, symbology)
    spec = SYMBOLOGIES[symbology]
    assert symbol_modules(request) == modules
    assert minimum_width(request) == modules + spec.quiet_left + spec.quiet_right
    minimum = modules + spec.quiet_left + spec.quiet_right
    assert validate(content, symbology, width=minimum).width == minimum
    with pytest.raises(InvalidOptionError, match=f"the minimum is {minimum} px"):
        validate(content, symbology, width=minimum - 1)


def test_minimum_width_unknown() -> None:
    assert minimum_width(CodeRequest("x", "nope")) is None
    assert symbol_modules(CodeRequest("x" * 5000, "qr")) is None
    assert minimum_width(CodeRequest("€", "microqr")) is None


# --- options -------------------------------------------------------------------------------


def test_error_level_defaults_to_m_and_is_always_set() -> None:
    assert dict(validate("x").options) == {"error": "M"}
    assert dict(validate("x", "microqr").options) == {"error": "M"}


@pytest.mark.parametrize(("given", "normalized"), [("l", "L"), ("m", "M"), ("Q", "Q"), ("h", "H")])
def test_error_level_is_normalized(given: str, normalized: str) -> None:
    assert validate("x", options={"error": given}).options["error"] == normalized


@pytest.mark.parametrize("level", ["X", "", "LM", 1, None])
def test_bad_error_level(level: Any) -> None:
    with pytest.raises(InvalidOptionError, match=r"use one of L, M, Q, H \(case-insensitive\)"):
        validate("x", options={"error": level})


def test_micro_qr_has_no_level_h() -> None:
    with pytest.raises(InvalidOptionError, match=r"Micro QR Code: use one of L, M, Q \("):
        validate("1", "microqr", options={"error": "h"})


@pytest.mark.parametrize(
    ("symbology", "option", "allowed"),
    [
        ("qr", "height", "'error'"),
        ("qr", "scale", "'error'"),
        ("microqr", "version", "'error'"),
        ("ean13", "error", "'height'"),
        ("code128", "colour", "'height'"),
    ],
)
def test_unknown_option_lists_the_allowed_ones(symbology: str, option: str, allowed: str) -> None:
    content = "590123412345" if symbology == "ean13" else "1"
    with pytest.raises(InvalidOptionError, match=f"unknown option '{option}'.*{allowed}$"):
        validate(content, symbology, options={option: 1})


def test_options_must_be_a_mapping() -> None:
    with pytest.raises(InvalidOptionError, match="options must be a mapping"):
        validate("x", options=[("error", "L")])  # type: ignore[arg-type]


@pytest.mark.parametrize("height", [1, 50, 10_000])
def test_height(height: int) -> None:
    assert validate("ABC", "code39", options={"height": height}).options == {"height": height}


@pytest.mark.parametrize(
    ("height", "message"),
    [
        (0, "not positive"),
        (-1, "not positive"),
        (10_001, "maximum is 10000 px"),
        (True, "integer number of pixels, not bool"),
        (2.5, "integer number of pixels, not float"),
        ("50", "integer number of pixels, not str"),
    ],
)
def test_bad_height(height: Any, message: str) -> None:
    with pytest.raises(InvalidOptionError, match=message):
        validate("ABC", "code39", options={"height": height})


def test_linear_options_get_no_defaults() -> None:
    assert dict(validate("ABC", "code128").options) == {}


# --- QR Code: charset policy ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "segment"),
    [
        ("0123", Segment("numeric", 4)),
        ("HELLO WORLD $%*+-./:", Segment("alphanumeric", 20)),
        ("Hello", Segment("byte", 5)),
        ("Ünïcödé ÿ", Segment("byte", 9, eci=True)),  # Latin-1: one byte each, ECI 3
        ("€", Segment("byte", 3, eci=True, charset="utf-8")),
        ("日本", Segment("byte", 6, eci=True, charset="utf-8")),
        ("😀", Segment("byte", 4, eci=True, charset="utf-8")),
    ],
)
def test_segment_for(content: str, segment: Segment) -> None:
    assert segment_for(content) == segment


def test_eci_costs_12_bits() -> None:
    assert data_bits(Segment("byte", 3, eci=True), 1) == 12 + 4 + 8 + 24
    assert data_bits(Segment("byte", 3), 1) == 4 + 8 + 24


def test_qr_content_is_not_changed() -> None:
    assert validate("héllo wörld €").content == "héllo wörld €"


def test_lone_surrogate_is_rejected() -> None:
    with pytest.raises(InvalidContentError, match=r"lone surrogate U\+D800 at index 2"):
        validate("ab\ud800c")


def test_capacity_tables_match_segno() -> None:
    levels = {
        "L": segno_consts.ERROR_LEVEL_L,
        "M": segno_consts.ERROR_LEVEL_M,
        "Q": segno_consts.ERROR_LEVEL_Q,
        "H": segno_consts.ERROR_LEVEL_H,
    }
    table = cast("dict[int, dict[int | None, int]]", segno_consts.SYMBOL_CAPACITY)
    for version in range(1, 41):
        for level, key in levels.items():
            assert capacity_bits(version, level) == table[version][key]
    micro_versions = (
        segno_consts.VERSION_M1,
        segno_consts.VERSION_M2,
        segno_consts.VERSION_M3,
        segno_consts.VERSION_M4,
    )
    for version, segno_version_key in enumerate(micro_versions, start=1):
        for level, key in levels.items():
            expected = table[segno_version_key].get(None if version == 1 else key)
            if version == 1 and level != "L":
                expected = None  # qrplex counts M1 (error detection only) as level L
            assert capacity_bits(version, level, micro=True) == expected


# (level, numeric, alphanumeric, byte) at version 40, from ISO/IEC 18004 Table 7.
KNOWN_LIMITS = {"L": (7089, 4296, 2953), "M": (5596, 3391, 2331), "Q": (3993, 2420, 1663)}
KNOWN_LIMITS["H"] = (3057, 1852, 1273)


@pytest.mark.parametrize("level", QR_LEVELS)
@pytest.mark.parametrize("mode", MODES)
def test_qr_capacity_boundary(level: str, mode: Mode) -> None:
    limit = KNOWN_LIMITS[level][MODES.index(mode)]
    assert max_length(mode, level) == limit
    content = FILLER[mode] * limit
    request = validate(content, options={"error": level})
    assert symbol_modules(request) == 177
    assert segno_version(content, level) == "40"
    with pytest.raises(InvalidContentError) as caught:
        validate(content + FILLER[mode], options={"error": level.lower()})
    message = str(caught.value)
    unit = Segment(mode, 0).unit
    assert f"content needs {limit + 1} {unit} in {mode} mode;" in message
    assert f"at error correction level {level} holds at most {limit} {unit}" in message
    with pytest.raises(segno.encoder.DataOverflowError):
        segno_version(content + FILLER[mode], level)


def test_qr_capacity_message_example() -> None:
    with pytest.raises(InvalidContentError) as caught:
        validate("x" * 3100)
    assert str(caught.value) == (
        "content needs 3100 bytes in byte mode; a QR Code at error correction level M holds "
        "at most 2331 bytes (numeric 5596 digits, alphanumeric 3391 characters)"
    )


def test_qr_capacity_utf8_with_eci() -> None:
    assert max_length("byte", "M", eci=True) == 2330  # 12 bits less than Latin-1
    content = "€" * 776 + "xx"  # 2330 bytes
    assert validate(content).content == content
    assert segno_version(content, "M") == "40"
    with pytest.raises(InvalidContentError, match="2331 bytes in byte mode \\(UTF-8 with ECI\\)"):
        validate(content + "x")


@pytest.mark.parametrize("level", QR_LEVELS)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("version", [1, 2, 9, 10, 26])
def test_qr_version_boundaries_match_segno(level: str, mode: Mode, version: int) -> None:
    """The longest content of each version, and one more, land where segno puts them."""
    capacity = capacity_bits(version, level)
    assert capacity is not None
    length = max(
        n
        for n in range(1, capacity)
        if (bits := data_bits(Segment(mode, n), version)) is not None and bits <= capacity
    )
    content = FILLER[mode] * length
    assert our_version(content, level) == str(version) == segno_version(content, level)
    longer = content + FILLER[mode]
    assert our_version(longer, level) == str(version + 1) == segno_version(longer, level)


# --- QR Code: hypothesis cross-check against segno -------------------------------------------

LATIN1 = st.text(st.characters(max_codepoint=255, exclude_categories=["Cs"]), min_size=1)
WIDE = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=120)
DIGITS_TEXT = st.text("0123456789", min_size=1, max_size=400)
ALNUM_TEXT = st.text(ALPHANUMERIC_CHARS, min_size=1, max_size=300)
ANY_TEXT = st.one_of(LATIN1, WIDE, DIGITS_TEXT, ALNUM_TEXT)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(content=ANY_TEXT, level=st.sampled_from(QR_LEVELS))
def test_qr_version_equals_segno(content: str, level: str) -> None:
    request = validate(content, options={"error": level})
    qr = segno_qr(content, level)
    assert our_version(content, level) == str(qr.version)
    assert symbol_modules(request) == qr.symbol_size(border=0)[0]


def test_segno_picks_kanji_for_some_latin1_text() -> None:
    """Why backends must pass ``mode=``: segno alone reads "à@" as one Shift JIS kanji."""
    assert segno.make("à@", encoding="latin-1").mode == "kanji"
    assert segment_for("à@") == Segment("byte", 2, eci=True)


# --- Micro QR Code ---------------------------------------------------------------------------

MICRO_LIMITS = {
    # level: {version: (numeric, alphanumeric, byte)}; 0 = mode not available
    "L": {1: (5, 0, 0), 2: (10, 6, 0), 3: (23, 14, 9), 4: (35, 21, 15)},
    "M": {2: (8, 5, 0), 3: (18, 11, 7), 4: (30, 18, 13)},
    "Q": {4: (21, 13, 9)},
}
MICRO_CASES = [
    (level, version, mode, limits[MODES.index(mode)])
    for level, versions in MICRO_LIMITS.items()
    for version, limits in versions.items()
    for mode in MODES
    if limits[MODES.index(mode)]
]


def segno_micro_version(content: str, level: str, version: int) -> str:
    # segno gives M1 no error level (it has error detection only); qrplex counts it as L.
    return segno_version(content, None if version == 1 else level, micro=True)


@pytest.mark.parametrize(("level", "version", "mode", "limit"), MICRO_CASES)
def test_micro_qr_version_boundaries(level: str, version: int, mode: Mode, limit: int) -> None:
    content = FILLER[mode] * limit
    assert our_version(content, level, micro=True) == f"M{version}"
    assert segno_micro_version(content, level, version) == f"M{version}"
    request = validate(content, "microqr", options={"error": level})
    assert symbol_modules(request) == 9 + 2 * version
    longer = content + FILLER[mode]
    if version == 4:
        with pytest.raises(
            InvalidContentError,
            match=f"Micro QR Code at error correction level {level} holds at most {limit}",
        ):
            validate(longer, "microqr", options={"error": level})
        with pytest.raises(segno.encoder.DataOverflowError):
            segno_version(longer, level, micro=True)
    else:
        following = our_version(longer, level, micro=True)
        assert following is not None
        assert following > f"M{version}"
        assert segno_version(longer, level, micro=True) == following


@pytest.mark.parametrize("level", ["L", "M", "Q"])
def test_micro_qr_max_length(level: str) -> None:
    assert tuple(max_length(mode, level, micro=True) for mode in MODES) == MICRO_LIMITS[level][4]


def test_micro_qr_q_only_in_m4() -> None:
    assert our_version("1", "Q", micro=True) == "M4"
    assert our_version("1", "M", micro=True) == "M2"
    assert our_version("1", "L", micro=True) == "M1"


def test_micro_qr_rejects_non_ascii() -> None:
    for text, char in (("abc€", "'€' \\(U\\+20AC\\)"), ("abcé", "'é' \\(U\\+00E9\\)")):
        with pytest.raises(
            InvalidContentError,
            match=rf"Micro QR Code has no ECI, so it carries only ASCII.*{char} at index 3.*'qr'",
        ):
            validate(text, "microqr")
    assert validate("abc~", "microqr").content == "abc~"


def test_micro_qr_capacity_message() -> None:
    with pytest.raises(InvalidContentError) as caught:
        validate("x" * 14, "microqr")
    assert str(caught.value) == (
        "content needs 14 bytes in byte mode; a Micro QR Code at error correction level M "
        "holds at most 13 bytes (numeric 30 digits, alphanumeric 18 characters)"
    )


@FAST
@given(
    content=st.text(
        st.characters(max_codepoint=255, exclude_categories=["Cs"]), min_size=1, max_size=16
    )
    | st.text("0123456789", min_size=1, max_size=36)
    | st.text(ALPHANUMERIC_CHARS, min_size=1, max_size=22),
    level=st.sampled_from(["L", "M", "Q"]),
)
def test_micro_qr_version_equals_segno(content: str, level: str) -> None:
    if not content.isascii():
        with pytest.raises(InvalidContentError, match="only ASCII"):
            validate(content, "microqr", options={"error": level})
        return
    ours = our_version(content, level, micro=True)
    if ours is None:
        with pytest.raises(InvalidContentError):
            validate(content, "microqr", options={"error": level})
        with pytest.raises(segno.encoder.DataOverflowError):
            segno_version(content, level, micro=True)
        return
    assert segno_micro_version(content, level, int(ours[1])) == ours


# --- EAN-13, ISBN-13, EAN-8, UPC-A -----------------------------------------------------------


@pytest.mark.parametrize(
    ("symbology", "given", "full"),
    [
        ("ean13", "590123412345", "5901234123457"),
        ("ean13", "5901234123457", "5901234123457"),
        ("ean13", "4006381333931", "4006381333931"),
        ("ean13", "400638133393", "4006381333931"),
        ("isbn13", "978316148410", "9783161484100"),
        ("isbn13", "9791032305690", "9791032305690"),
        ("ean8", "9638507", "96385074"),
        ("ean8", "96385074", "96385074"),
        ("upca", "03600029145", "036000291452"),
        ("upca", "036000291452", "036000291452"),
    ],
)
def test_gtin_check_digit(symbology: str, given: str, full: str) -> None:
    assert validate(given, symbology).content == full


@pytest.mark.parametrize(
    ("symbology", "content", "expected"),
    [
        ("ean13", "5901234123458", "7"),
        ("isbn13", "9783161484109", "0"),
        ("ean8", "96385070", "4"),
        ("upca", "036000291450", "2"),
    ],
)
def test_gtin_wrong_check_digit(symbology: str, content: str, expected: str) -> None:
    with pytest.raises(
        InvalidContentError, match=f"the check digit of {content[:-1]} is {expected}"
    ):
        validate(content, symbology)


@pytest.mark.parametrize(
    ("symbology", "content", "lengths"),
    [
        ("ean13", "12345", "12 digits .* or 13 digits"),
        ("ean13", "12345678901234", "12 digits .* or 13 digits"),
        ("ean8", "123456", "7 digits .* or 8 digits"),
        ("upca", "1234567890", "11 digits .* or 12 digits"),
    ],
)
def test_gtin_length(symbology: str, content: str, lengths: str) -> None:
    with pytest.raises(InvalidContentError, match=f"takes {lengths}.*not {len(content)}"):
        validate(content, symbology)


@pytest.mark.parametrize(
    "content", ["59012341234a", "5901-2341234", "５９０１２３４１２３４５", " 590123412345"]
)
def test_gtin_digits_only(content: str) -> None:
    with pytest.raises(InvalidContentError, match="digits 0-9 only"):
        validate(content, "ean13")


def test_isbn_prefix() -> None:
    with pytest.raises(InvalidContentError, match=r"starts with 978 or 979, not 590.*'ean13'"):
        validate("590123412345", "isbn13")


@FAST
@given(digits=st.text("0123456789", min_size=12, max_size=12))
def test_ean13_check_digit_matches_python_barcode(digits: str) -> None:
    full = validate(digits, "ean13").content
    assert full == barcode.get_barcode_class("ean13")(digits).get_fullcode()
    assert full[-1] == gtin_check_digit(digits)


@pytest.mark.parametrize(
    ("symbology", "content"),
    [
        ("ean13", "590123412345"),
        ("isbn13", "978316148410"),
        ("ean8", "9638507"),
        ("upca", "03600029145"),
    ],
)
def test_gtin_modules_match_python_barcode(symbology: str, content: str) -> None:
    request = validate(content, symbology)
    drawn = barcode.get_barcode_class(symbology)(content).build()[0]
    assert symbol_modules(request) == len(drawn)


# --- Code 128 ------------------------------------------------------------------------------


def test_code128_latin1_only() -> None:
    assert validate("Grüße ÿ\x00\t", "code128").content == "Grüße ÿ\x00\t"
    with pytest.raises(
        InvalidContentError, match=r"Code 128 carries only ISO-8859-1.*'€' \(U\+20AC\) at index 4"
    ):
        validate("cost€", "code128")


@pytest.mark.parametrize(
    ("content", "symbols"),
    [
        ("Hello", 1 + 5 + 1),  # start B, 5 characters, check
        ("123456", 1 + 3 + 1),  # start C, 3 pairs
        ("12345", 1 + 2 + 2 + 1),  # start C, 2 pairs, code B, "5"
        ("ab12345678", 1 + 2 + 1 + 4 + 1),  # B a b, code C, 4 pairs
        ("a\x01b", 1 + 1 + 1 + 1 + 1 + 1 + 1),  # B a, code A, SOH, code B, b
        ("é", 1 + 2 + 1),  # start B, FNC4 + "i", check
        ("9912", 1 + 2 + 1),  # start C, 99, 12 (python-barcode drops the 99: see below)
    ],
)
def test_code128_modules(content: str, symbols: int) -> None:
    assert symbol_modules(validate(content, "code128")) == 11 * symbols + 13


CODE128_ASCII = st.text(st.characters(max_codepoint=127), min_size=1, max_size=40) | st.text(
    st.sampled_from("0123456789a\x01"), min_size=1, max_size=40
)


@FAST
@given(content=CODE128_ASCII)
def test_code128_modules_match_python_barcode(content: str) -> None:
    drawn = len(barcode.get_barcode_class("code128")(content).build()[0])
    ours = symbol_modules(validate(content, "code128"))
    if content.startswith("99"):
        # python-barcode bug: it mistakes a leading "99" (code C value 99) for a code set
        # switch and merges it into the start character, dropping the two digits.
        assert ours == drawn + 11
    else:
        assert ours == drawn


# --- Code 39 -------------------------------------------------------------------------------


def test_code39_allowed() -> None:
    content = "0123456789 ABCXYZ-.$/+%"
    request = validate(content, "code39")
    assert request.content == content  # no check character added
    drawn = barcode.get_barcode_class("code39")(content, add_checksum=False).build()[0]
    assert symbol_modules(request) == len(drawn) == 16 * (len(content) + 2) - 1


def test_code39_lowercase() -> None:
    with pytest.raises(
        InvalidContentError,
        match=r"lowercase is not allowed in Code 39 \('b' at index 1\).*'code128'",
    ):
        validate("AbC", "code39")


@pytest.mark.parametrize(("content", "bad"), [("AB*", "'\\*'"), ("A_B", "'_'"), ("AÉ", "'É'")])
def test_code39_other_characters(content: str, bad: str) -> None:
    with pytest.raises(
        InvalidContentError, match=f"Code 39 carries only 0-9, A-Z.*{bad}.*'code128'"
    ):
        validate(content, "code39")


@FAST
@given(content=st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ-. $/+%", min_size=1, max_size=30))
def test_code39_modules_match_python_barcode(content: str) -> None:
    drawn = barcode.get_barcode_class("code39")(content, add_checksum=False).build()[0]
    assert symbol_modules(validate(content, "code39")) == len(drawn)


# --- ITF -----------------------------------------------------------------------------------


def test_itf_odd_count() -> None:
    with pytest.raises(
        InvalidContentError, match=r"digit pairs.*not 3: add a leading 0 \('0123'\)"
    ):
        validate("123", "itf")


def test_itf_digits_only() -> None:
    with pytest.raises(InvalidContentError, match=r"digits 0-9 only.*'A'"):
        validate("12A4", "itf")


@FAST
@given(pairs=st.text("0123456789", min_size=1, max_size=20))
def test_itf_modules_match_what_the_local_backend_draws(pairs: str) -> None:
    content = pairs * 2 if len(pairs) % 2 else pairs
    request = validate(content, "itf")
    assert request.content == content
    drawn = linear_pattern("itf", content)
    assert symbol_modules(request) == len(drawn) == 9 + 9 * len(content)


def test_full_request() -> None:
    request = validate("hello", width=100, options={"error": "q"})
    assert request == CodeRequest("hello", "qr", "png", 100, {"error": "Q"})
