"""Valid GS1 element strings for property tests, drawn from biip's AI table (the tests reach
them through the session-scoped ``gen`` fixture, this module itself, and ``st.data()``).

Values come from each AI's own pattern (ASCII only), so every numeric and alphanumeric AI of
the table is covered at every length its format allows, with the whole of character set 82.
Dates and check digits are then made valid by rules written here from the GS1 General
Specifications, independently of :mod:`qrplex.gs1`.
"""

from __future__ import annotations

import datetime
import re
import string
import sys
from collections.abc import Callable
from types import ModuleType

import pytest
from biip.gs1_application_identifiers import _GS1_APPLICATION_IDENTIFIERS as TABLE
from hypothesis import strategies as st

# GS1 General Specifications figure 7.8.5-2: AI prefixes of predefined length (no FNC1 after).
PREDEFINED = frozenset(
    {"00", "01", "02", "03", "04", "11", "12", "13", "14", "15", "16", "17", "18", "19", "20"}
    | {"31", "32", "33", "34", "35", "36", "41"}
)

# Never drawn next to the (01) every generated string starts with: other keys and what
# cannot go with a GTIN or needs a key it does not have (GS1 General Specifications 4.14).
_EXCLUDED = frozenset({"00", "01", "02", "03", "12", "37", "235", "254", "255", "8018"})

# Check digits (GS1 mod 10): AI (or prefix) -> the span ending in the check digit.
_CHECK_SPANS: dict[str, tuple[int, int]] = {
    **{f"41{n}": (0, 13) for n in range(8)},
    "253": (0, 13),
    "255": (0, 13),
    "402": (0, 17),
    "8003": (1, 14),
    "8006": (0, 14),
    "8017": (0, 18),
    "8026": (0, 14),
}

EARLIEST, LATEST = datetime.date(1977, 1, 1), datetime.date(2076, 12, 31)


def check_digit(digits: str) -> str:
    """GS1 mod 10: weights 3 and 1 from the right of the digits before the check digit."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str(-total % 10)


def needs_separator(ai: str) -> bool:
    return ai[:2] not in PREDEFINED


def fnc1_data(pairs: list[tuple[str, str]]) -> str:
    """What a scanner transmits: a GS after each non-predefined-length element but the last."""
    out = []
    for index, (ai, value) in enumerate(pairs):
        out.append(ai + value)
        if needs_separator(ai) and index < len(pairs) - 1:
            out.append("\x1d")
    return "".join(out)


@st.composite
def _yymmdd(draw: st.DrawFn, *, day_00: bool = False, century: bool = False) -> str:
    date = draw(st.dates(EARLIEST, LATEST))
    text = date.strftime("%Y%m%d" if century else "%y%m%d")
    if day_00 and draw(st.booleans()):
        text = text[:-2] + "00"
    return text


def _hhmm() -> st.SearchStrategy[str]:
    return st.builds("{:02d}{:02d}".format, st.integers(0, 23), st.integers(0, 59))


def _optional(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(st.just(""), strategy)


def _concat(*parts: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.tuples(*parts).map("".join)


_TWO = st.integers(0, 59).map("{:02d}".format)
_DATES: dict[str, st.SearchStrategy[str]] = {
    **{ai: _yymmdd(day_00=True) for ai in ("11", "12", "13", "15", "16", "17")},
    "4324": _concat(_yymmdd(day_00=True), _hhmm()),
    "4325": _concat(_yymmdd(day_00=True), _hhmm()),
    "4326": _yymmdd(),
    "7003": _concat(_yymmdd(), _hhmm()),
    "7006": _yymmdd(),
    "7007": _concat(_yymmdd(), _optional(_yymmdd())),
    "7011": _concat(_yymmdd(), _optional(_hhmm())),
    "7250": _yymmdd(century=True),
    "7251": _concat(_yymmdd(century=True), _hhmm()),
    "8008": _concat(
        _yymmdd(),
        st.integers(0, 23).map("{:02d}".format),
        st.one_of(st.just(""), _TWO, _concat(_TWO, _TWO)),
    ),
}

_ASCII = string.printable


def _fix_check_digit(ai: str) -> Callable[[str], str]:
    start, end = _CHECK_SPANS[ai]

    def fix(value: str) -> str:
        body = value[start : end - 1]
        return value[: end - 1] + check_digit(body) + value[end:]

    return fix


def value_of(ai: str) -> st.SearchStrategy[str]:
    """A valid value of ``ai``."""
    if ai in _DATES:
        return _DATES[ai]
    pattern = re.compile(TABLE[ai].pattern, re.ASCII)
    values = st.from_regex(pattern, fullmatch=True, alphabet=_ASCII).map(lambda s: s[len(ai) :])
    values = values.filter(bool)  # some of biip's patterns allow "" (N..8 is 1 to 8 digits)
    if ai in _CHECK_SPANS:
        values = values.map(_fix_check_digit(ai))
    return values


ATTRIBUTES: tuple[str, ...] = tuple(sorted(ai for ai in TABLE if ai not in _EXCLUDED))
"""The AIs drawn after the (01)."""


@st.composite
def gtins(draw: st.DrawFn) -> str:
    body = draw(st.text("0123456789", min_size=13, max_size=13))
    return body + check_digit(body)


@st.composite
def element_strings(
    draw: st.DrawFn, *, max_extra: int = 5, budget: int | None = None
) -> list[tuple[str, str]]:
    """A (01) and up to ``max_extra`` other AIs with valid values, each AI once; with
    ``budget``, only as many as fit in that many transmitted characters."""
    pairs = [("01", draw(gtins()))]
    chosen = draw(st.lists(st.sampled_from(ATTRIBUTES), max_size=max_extra, unique=True))
    for ai in chosen:
        value = draw(value_of(ai))
        if budget is not None and len(fnc1_data([*pairs, (ai, value)])) > budget:
            continue
        pairs.append((ai, value))
    return pairs


@pytest.fixture(scope="session")
def gen() -> ModuleType:
    """This module: ``gen.element_strings()``, ``gen.fnc1_data(...)``, ..."""
    return sys.modules[__name__]
