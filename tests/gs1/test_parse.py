"""qrplex.gs1.parse: the three forms of an element string, and every check with its message."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import qrplex
from qrplex import InvalidContentError, gs1

CARTON = "(01)09506000134352(17)201225(10)ABC123"
ELEMENTS = (("01", "09506000134352"), ("17", "201225"), ("10", "ABC123"))


def _pairs(message: gs1.ElementString) -> tuple[tuple[str, str], ...]:
    return tuple((element.ai, element.value) for element in message.elements)


@pytest.mark.parametrize(
    "text",
    [
        CARTON,
        "[01]09506000134352[17]201225[10]ABC123",
        "0109506000134352172012251" + "0ABC123",
        "\x1d0109506000134352172012251" + "0ABC123",
        "]C10109506000134352172012251" + "0ABC123",
        "]d2010950600013435217201225" + "10ABC123",
        "]Q3010950600013435217201225" + "10ABC123",
        "]e0010950600013435217201225" + "10ABC123",
        # a GS after a fixed-length field is allowed (GS1 General Specifications 7.8.6)
        "0109506000134352\x1d17201225\x1d10ABC123",
    ],
)
def test_every_form_parses_to_the_same_elements(text: str) -> None:
    message = gs1.parse(text)
    assert _pairs(message) == ELEMENTS
    assert message.human_readable() == CARTON
    assert message.bracketed() == "[01]09506000134352[17]201225[10]ABC123"


def test_fnc1_data_has_a_gs_after_variable_fields_that_are_not_last() -> None:
    assert gs1.parse(CARTON).fnc1_data() == "010950600013435217201225" + "10ABC123"
    lot_first = gs1.parse("(01)09506000134352(10)ABC123(17)201225(21)7")
    # (10) and (21) are variable; (17) is of predefined length; the last one gets no GS.
    assert lot_first.fnc1_data() == "0109506000134352" + "10ABC123\x1d" + "17201225" + "217"
    # (422) is fixed at 3 digits but not in the predefined-length table: it needs a GS.
    origin = gs1.parse("(01)09506000134352(422)040(10)X")
    assert origin.fnc1_data() == "0109506000134352" + "422040\x1d" + "10X"
    assert gs1.parse(origin.fnc1_data()) == origin


def test_elements_carry_their_title_and_length_kind() -> None:
    gtin, expiry, lot = gs1.parse(CARTON).elements
    assert (gtin.title, gtin.variable) == ("GTIN", False)
    assert (expiry.title, expiry.variable) == ("USE BY or EXPIRY", False)
    assert (lot.title, lot.variable) == ("BATCH/LOT", True)
    assert gtin == gs1.Element("01", "09506000134352")  # title and kind are not compared


def test_parentheses_are_data_unless_they_look_like_an_ai() -> None:
    message = gs1.parse("(01)09506000134352(10)A(B)C()")
    assert _pairs(message)[1] == ("10", "A(B)C()")
    assert message.normalized() == "(01)09506000134352(10)A(B)C()"
    # A value holding "(21)" can only be given bracketed, and is normalized bracketed.
    tricky = gs1.parse("[01]09506000134352[10]A(21)B")
    assert _pairs(tricky)[1] == ("10", "A(21)B")
    assert tricky.normalized() == "[01]09506000134352[10]A(21)B"
    assert gs1.parse(tricky.normalized()) == tricky


def test_day_00_is_allowed_where_the_standard_allows_it() -> None:
    for ai in ("11", "13", "15", "16", "17"):
        assert gs1.parse(f"(01)09506000134352({ai})260200").elements[1].value == "260200"
    assert gs1.parse("(415)5412345000013(8020)INV-1(12)260200")  # a payment slip's due date


def test_a_logistic_unit_with_its_content() -> None:
    message = gs1.parse("(00)106141412345678908(02)09506000134352(37)24(10)L1")
    assert [element.ai for element in message.elements] == ["00", "02", "37", "10"]


def test_leap_years() -> None:
    assert gs1.parse("(01)09506000134352(17)280229")
    with pytest.raises(InvalidContentError, match=r"\(17\).*February 2027 has 28 days"):
        gs1.parse("(01)09506000134352(17)270229")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "(01)09506000134353",
            r"GS1 AI \(01\) GTIN: wrong check digit 3 in 09506000134353, expected 2",
        ),
        (
            "(01)09506000134352(17)260230",
            r"GS1 AI \(17\) USE BY or EXPIRY: 260230 is not a date: February 2026 has 28 days",
        ),
        (
            "(01)09506000134352(17)261301",
            r"GS1 AI \(17\) USE BY or EXPIRY: 261301 has month 13, not 01-12",
        ),
        (
            "(01)09506000134352(7006)260200",
            r"GS1 AI \(7006\) FIRST FREEZE DATE: 260200 has day 00, which \(7006\) does not allow",
        ),
        (
            "(01)09506000134352(7003)2601012460",
            r"GS1 AI \(7003\) EXPIRY TIME: 2601012460 has hour 24, not 00-23",
        ),
        (
            "(01)09506000134352(7007)260101260231",
            r"GS1 AI \(7007\) HARVEST DATE: 260231 is not a date",
        ),
        ("(01)09506000134352(23)1", r"GS1 AI \(23\) is not a known Application Identifier"),
        ("0109506000134352231", r"does not start with a known AI at '231'"),
        (
            "(01)09506000134352(10)" + "A" * 21,
            r"GS1 AI \(10\) BATCH/LOT must have 1 to 20 characters \(N2\+X\.\.20\), got 21",
        ),
        ("(01)0950600013435", r"GS1 AI \(01\) GTIN must have 14 characters \(N2\+N14\), got 13"),
        (
            "(01)09506000134352(10)AB~",
            r"GS1 AI \(10\) BATCH/LOT: character '~' at position 3 is not allowed there; "
            r"allowed: GS1 character set 82",
        ),
        (
            "(01)09506000134352(10)AB C",
            r"GS1 AI \(10\) BATCH/LOT: character ' ' at position 3",
        ),
        (
            "(01)0950600013435٢",  # an Arabic-Indic digit: Python's \d would take it
            r"GS1 AI \(01\) GTIN: character '٢' at position 14 is not allowed there; "
            r"allowed: digits 0-9",
        ),
        ("(00)106141412345678909", r"GS1 AI \(00\) SSCC: wrong check digit 9 in"),
        (
            "(414)5412345000014",
            r"GS1 AI \(414\) .*wrong check digit 4 in 5412345000014, expected 3",
        ),
        ("(8003)01234567890127ABC", r"GS1 AI \(8003\) GRAI: wrong check digit 7 in"),
        ("(01)09506000134352(10)", r"GS1 AI \(10\) BATCH/LOT has no data"),
        (
            "(01)09506000134352(10)A(10)B",
            r"GS1 AI \(10\) appears twice with different data: 'A' and 'B'",
        ),
        (
            "(01)09506000134352(02)09506000134352(37)1",
            r"GS1 AI \(01\) must not appear together with \(02\)",
        ),
        ("(10)ABC123", r"GS1 AI \(10\) requires \(01\) or \(02\) or \(03\)"),
        ("(02)09506000134352", r"GS1 AI \(02\) requires \(37\)"),
        ("(01)09506000134352(12)260201", r"GS1 AI \(12\) requires \(8020\)"),
        (
            "(02)09506000134352(37)24",
            r"GS1 AI \(37\) requires \(00\) with \(02\) or \(00\) with \(8026\)",
        ),
        ("", r"GS1 data is empty"),
        ("]C1", r"GS1 data is empty"),
        ("01 09506000134352", r"GS1 AI \(01\) GTIN"),
        ("(1)2", r"must start with an AI in \(\), like \(01\)"),
        ("[01]09506000134352(10)", r"GS1 AI \(01\) GTIN must have 14 characters"),
    ],
)
def test_errors_name_the_ai_and_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(InvalidContentError, match=message):
        gs1.parse(text)


def test_a_variable_field_without_its_separator_swallows_what_follows() -> None:
    # What a careless FNC1 form does: no GS after the lot, so (17) becomes part of it ...
    assert _pairs(gs1.parse("0109506000134352" + "10ABC" + "17201225"))[1] == (
        "10",
        "ABC17201225",
    )
    # ... and when that makes it too long, the message says what a separator is for.
    with pytest.raises(InvalidContentError, match="ends at a GS"):
        gs1.parse("0109506000134352" + "10ABCDEFGHIJKLMNOPQR" + "17201225")


def test_only_text_is_parsed() -> None:
    with pytest.raises(InvalidContentError, match="must be a str, not bytes"):
        gs1.parse(b"(01)09506000134352")  # type: ignore[arg-type]
    with pytest.raises(InvalidContentError, match="at most 4096"):
        gs1.parse("(91)" + "A" * 5000)


def test_importing_qrplex_imports_neither_gs1_nor_biip() -> None:
    code = (
        "import json, sys, qrplex; qrplex.__version__; "
        "print(json.dumps(sorted(m for m in sys.modules if 'gs1' in m or m.startswith('biip'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(done.stdout) == []
    code = "import json, sys; from qrplex import gs1; print(json.dumps('biip' in sys.modules))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(done.stdout) is False  # biip is imported on first use only


def test_two_digit_years_follow_the_gs1_sliding_window() -> None:
    from qrplex.gs1 import _full_year  # the window moves with the clock: pinned here

    assert [_full_year(yy, this_year=2026) for yy in (0, 26, 76, 77, 99)] == [
        2000,
        2026,
        2076,
        1977,
        1999,
    ]
    # From 2050 on, 00 is 2100, which is no leap year: 29 February 2100 does not exist.
    assert [_full_year(yy, this_year=2051) for yy in (0, 1, 2)] == [2100, 2101, 2002]
    assert [_full_year(yy, this_year=2099) for yy in (0, 49, 50)] == [2100, 2149, 2050]


def test_normalize_is_a_content_rule() -> None:
    assert gs1.normalize("]C1" + "010950600013435210AB", {}) == "(01)09506000134352(10)AB"
    assert gs1.normalize("[01]09506000134352[10]A(21)B") == "[01]09506000134352[10]A(21)B"
    with pytest.raises(InvalidContentError, match=r"\(01\) GTIN: wrong check digit"):
        gs1.normalize("(01)09506000134353")


@pytest.mark.parametrize(
    "text",
    [
        "(01)09506000134352\x1d(10)ABC123\x1d(21)XYZ",
        "(01)09506000134352(10)ABC123\x1d(21)XYZ\x1d",
        "[01]09506000134352[10]ABC123\x1d[21]XYZ",
    ],
)
def test_a_gs_ending_a_field_is_accepted_in_the_marked_forms(text: str) -> None:
    """What a scanner sends between fields, pasted into the (AI) or [AI] form: the marker
    already ends the field, so the separator is dropped, not read as data."""
    assert gs1.parse(text).human_readable() == "(01)09506000134352(10)ABC123(21)XYZ"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(01)09506000134352(10)AB\x1dC", r"\(10\) BATCH/LOT: character '\\x1d' at position 3"),
        ("(01)09506000134352(10)ABC\x1d\x1d", r"\(10\) BATCH/LOT: character '\\x1d' at position 4"),
        ("0109506000134352\x1d\x1d10ABC", r"two GS separators in a row .* before '10ABC'"),
        ("\x1d\x1d0109506000134352", "two GS separators in a row"),
        ("(01)09506000134352[10]ABC", r"holds '\[10\]', an AI in the \[AI\] form"),
    ],
)
def test_gs_in_odd_places_and_mixed_forms_are_named(text: str, message: str) -> None:
    with pytest.raises(InvalidContentError, match=message):
        gs1.parse(text)


@pytest.mark.parametrize("backend", ["local", "zint", "cloudinfinite", None])
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("(01)０９506000134352", r"\(01\) GTIN: character '０' at position 1"),
        ("(01)٠٩506000134352", r"\(01\) GTIN: character '٠' at position 1"),
        ("(01)09506000134352(10)AB\x00C", r"\(10\) BATCH/LOT: character '\\x00'"),
        ("(01)09506000134352(10)", r"\(10\) BATCH/LOT has no data"),
        ("(01)09506000134352(3103)00050", r"\(3103\) NET WEIGHT \(kg\) must have 6"),
        ("(01)09506000134352(3109)000500", r"\(3109\) is not a known"),
        ("(01)09506000134352(8200)http://x y", r"\(8200\) PRODUCT URL: character ' '"),
    ],
)
def test_the_same_mistake_is_the_same_error_from_every_backend(
    text: str, message: str, backend: str | None
) -> None:
    """Checked before any backend runs: cloudinfinite (no credentials, no GS1-128) would
    fail otherwise, without a network call."""
    with qrplex.Client(backend=backend, environ={}, user_config=False) as client:
        with pytest.raises(InvalidContentError, match=message):
            client.generate(text, symbology="gs1-128")
        with pytest.raises(InvalidContentError, match=message):
            client.generate(text, symbology="gs1-datamatrix")


def test_a_value_outside_its_ais_pattern_says_what_the_pattern_is() -> None:
    # (4321) dangerous goods flag: one digit, 0 or 1
    with pytest.raises(InvalidContentError, match=r"\(4321\).*'2'.*must match \(\[01\]\)"):
        gs1.parse("(01)09506000134352(4321)2")
    with pytest.raises(InvalidContentError, match=r"two GS separators in a row .* at the end"):
        gs1.parse("0109506000134352\x1d\x1d")
