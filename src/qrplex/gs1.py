"""GS1 element strings: parse, check and write them; build GS1 Digital Link URIs.

A GS1 element string is a sequence of Application Identifiers (AIs), each followed by its
data. :func:`parse` accepts three spellings of it and checks it against the GS1 rules before
any backend runs:

* human readable, ``(01)09506000134352(17)201225(10)ABC123``;
* bracketed, ``[01]09506000134352[17]201225[10]ABC123`` (what libzint takes; ``[`` is not
  in any GS1 character set, so this form is never ambiguous);
* as a scanner transmits it, ``0109506000134352172012251`` ... with ``"\\x1d"`` (GS) after
  each variable-length field that is not last, optionally behind a symbology identifier
  (``]C1``, ``]d2``, ``]Q3``, ``]e0``, ``]J1``) and a leading GS.

>>> from qrplex import gs1
>>> message = gs1.parse("(01)09506000134352(17)201225(10)ABC123")
>>> [(element.ai, element.value) for element in message.elements]
[('01', '09506000134352'), ('17', '201225'), ('10', 'ABC123')]
>>> gs1.parse("(01)09506000134352(10)ABC123(17)201225").fnc1_data()
'010950600013435210ABC123\\x1d17201225'
>>> gs1.digital_link(message)
'https://id.gs1.org/01/09506000134352/10/ABC123?17=201225'

The AI table, the per-AI formats and character sets, and the GTIN/SSCC/GLN check digits come
from `biip <https://biip.readthedocs.io/>`_ (a maintained GS1 library, pure Python, no
dependencies), as does the Digital Link path/query layout. Written here, because biip does
not do them (see the comments at each): refusing non-ASCII digits (biip's patterns use
Python's Unicode ``\\d``), raising on a bad check digit (biip records it and goes on), the
check digits of GDTI, GCN, GSIN, GRAI, ITIP, GSRN and CPID-like keys biip does not verify,
dates per AI (biip allows day 00 in every date; the standard only in some), duplicate AIs,
the invalid AI pairs and required associations of the GS1 General Specifications (a subset,
listed in :data:`_EXCLUSIVE` and :data:`_REQUIRES`), and messages that name the AI.

``import qrplex`` does not import this module, and this module imports biip only on first
use (it costs about 0.1 s to import).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Final

from qrplex.errors import InvalidContentError, InvalidOptionError

if TYPE_CHECKING:
    from collections.abc import Iterator

    from biip.gs1_application_identifiers import GS1ApplicationIdentifier
    from biip.gs1_element_strings import GS1ElementStrings

__all__ = [
    "DEFAULT_RESOLVER",
    "GS",
    "SYMBOLOGY_IDENTIFIERS",
    "Element",
    "ElementString",
    "digital_link",
    "normalize",
    "parse",
]

GS: Final[str] = "\x1d"
"""The group separator a scanner transmits for an FNC1 that ends a variable-length field."""

SYMBOLOGY_IDENTIFIERS: Final[tuple[str, ...]] = ("]C1", "]d2", "]Q3", "]e0", "]J1")
"""The symbology identifiers of GS1 data (GS1-128, GS1 DataMatrix, GS1 QR Code, GS1 DataBar
and composites, GS1 DotCode): :func:`parse` drops one at the start."""

DEFAULT_RESOLVER: Final[str] = "https://id.gs1.org"
"""The resolver :func:`digital_link` uses unless told another."""

MAX_DATA_LENGTH: Final[int] = 4096
"""The longest text :func:`parse` looks at (a GS1 symbol carries far less)."""

# GS1 character set 82 (General Specifications, figure 7.11-1): what "X" fields may hold.
CSET82: Final[frozenset[str]] = frozenset(
    "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
)
_CSET39: Final[frozenset[str]] = frozenset("#-/0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_CSET64: Final[frozenset[str]] = frozenset(
    "-0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz="
)
_DIGITS: Final[frozenset[str]] = frozenset("0123456789")
_CHARSETS: Final[dict[str, tuple[frozenset[str], str]]] = {
    "N": (_DIGITS, "digits 0-9"),
    "X": (CSET82, "GS1 character set 82 (A-Z a-z 0-9 and !\"%&'()*+,-./:;<=>?_)"),
    "Y": (_CSET39, "GS1 character set 39 (A-Z 0-9 # - /)"),
    "Z": (_CSET64, "GS1 character set 64 (A-Z a-z 0-9 - _ =)"),
}

# Dates, by AI: the YYMMDD fields and what may follow. The GS1 General Specifications (3.4,
# 7.12) allow day "00" (the last day of the month) only in the six AIs 11-17; the others
# need a real day. biip's own date check allows 00 everywhere and reads the second date of
# (7007) as a time, so qrplex checks every date itself (biip's is switched off).
_DAY_00: Final[frozenset[str]] = frozenset({"11", "12", "13", "15", "16", "17", "4324", "4325"})
# AI -> the layout of its value: "D" a YYMMDD date, "E" a YYYYMMDD date, "T" hhmm,
# "H" hh, "M" mm, "S" ss; "?" makes the rest optional.
_DATE_LAYOUTS: Final[dict[str, str]] = {
    "11": "D",
    "12": "D",
    "13": "D",
    "15": "D",
    "16": "D",
    "17": "D",
    "4324": "DT",
    "4325": "DT",
    "4326": "D",
    "7003": "DT",
    "7006": "D",
    "7007": "D?D",
    "7011": "D?T",
    "7250": "E",
    "7251": "ET",
    "8008": "DH?M?S",
}

# Check digits biip does not verify (it does (00), (01)-(03) and the GLNs (410)-(417)):
# AI -> (start, end) of the digits the last of which is a GS1 mod-10 check digit.
_CHECKED_SPANS: Final[dict[str, tuple[int, int]]] = {
    "253": (0, 13),  # GDTI
    "255": (0, 13),  # GCN
    "402": (0, 17),  # GSIN
    "8003": (1, 14),  # GRAI (a leading 0, then a GTIN-13-like key)
    "8006": (0, 14),  # ITIP
    "8017": (0, 18),  # GSRN provider
    "8018": (0, 18),  # GSRN recipient
    "8026": (0, 14),  # ITIP content
}

# Invalid pairs (General Specifications 4.14.1): AI -> AIs it must not appear with.
_EXCLUSIVE: Final[dict[str, frozenset[str]]] = {
    "01": frozenset({"02", "03", "255", "37"}),
    "02": frozenset({"01", "03"}),
    "03": frozenset({"01", "02", "37", "235"}),
    "21": frozenset({"235"}),
    "8017": frozenset({"8018"}),
}

# Required associations (4.14.2), the common ones: AI -> alternatives, each a group of AIs
# that must all be present (GS1 Barcode Syntax Dictionary "req=": (37) needs (00) with (02),
# or (00) with (8026)).
_TRADE_ITEM: Final[tuple[tuple[str, ...], ...]] = (("01",), ("02",), ("03",), ("8006",), ("8026",))
_REQUIRES: Final[dict[str, tuple[tuple[str, ...], ...]]] = {
    **dict.fromkeys(("10", "11", "13", "15", "16", "20"), _TRADE_ITEM),
    "12": (("8020",),),
    "17": (("01",), ("02",), ("03",), ("255",), ("8006",), ("8026",)),
    "21": (("01",), ("03",), ("8006",)),
    "22": (("01",),),
    "235": (("01",),),
    "02": (("37",),),
    "37": (("00", "02"), ("00", "8026")),
    "254": (("414",),),
}


@dataclass(frozen=True)
class Element:
    """One AI and its data, as checked by :func:`parse`.

    Attributes:
        ai: the Application Identifier, ``"01"``.
        value: its data, ``"09506000134352"``.
        title: the AI's data title (``"GTIN"``); not compared.
        variable: whether the AI is not of predefined length, so that a separator (FNC1, or
            GS when scanned) must end it when another element follows; not compared.
    """

    ai: str
    value: str
    title: str = field(default="", compare=False)
    variable: bool = field(default=True, compare=False)


@dataclass(frozen=True)
class ElementString:
    """A checked GS1 element string: its elements in the order given."""

    elements: tuple[Element, ...]

    def human_readable(self) -> str:
        """``(01)09506000134352(17)201225(10)ABC123``: the text printed under a symbol."""
        return "".join(f"({element.ai}){element.value}" for element in self.elements)

    def bracketed(self) -> str:
        """``[01]09506000134352[17]201225[10]ABC123``: what libzint's GS1 mode takes."""
        return "".join(f"[{element.ai}]{element.value}" for element in self.elements)

    def fnc1_data(self) -> str:
        """What a scanner transmits after the symbology identifier: the AIs and data, with
        ``"\\x1d"`` after each variable-length element that is not last, and no leading
        FNC1."""
        parts: list[str] = []
        last = len(self.elements) - 1
        for index, element in enumerate(self.elements):
            parts.append(element.ai + element.value)
            if element.variable and index != last:
                parts.append(GS)
        return "".join(parts)

    def normalized(self) -> str:
        """The text qrplex normalizes GS1 content to (``CodeImage.content``, and what
        decoding a GS1 symbol reports): :meth:`human_readable`, or :meth:`bracketed` when a
        value holds ``(`` + 2-4 digits + ``)``, which would read back as an AI."""
        if any(_AI_MARK.search(element.value) for element in self.elements):
            return self.bracketed()
        return self.human_readable()

    def __str__(self) -> str:
        return self.human_readable()


def parse(text: str) -> ElementString:
    """Parse and check a GS1 element string (any of the three forms of the module docs).

    Raises:
        qrplex.InvalidContentError: naming the AI and what is wrong with it: an unknown AI,
            a length or character outside the AI's format, a wrong check digit, an
            impossible date, a variable-length field not ended by a separator, an AI given
            twice with different data, an invalid pair of AIs or a missing required one.
    """
    if not isinstance(text, str):
        raise InvalidContentError(f"GS1 data must be a str, not {type(text).__name__}")
    if len(text) > MAX_DATA_LENGTH:
        raise InvalidContentError(
            f"GS1 data is {len(text)} characters long; at most {MAX_DATA_LENGTH} are read"
        )
    body = text
    for identifier in SYMBOLOGY_IDENTIFIERS:
        if body.startswith(identifier):
            body = body[len(identifier) :]
            break
    if not body:
        raise InvalidContentError("GS1 data is empty: give at least one AI, like (01)...")
    if body[0] == "(":
        pairs = _split_marked(body, "(", ")")
    elif body[0] == "[":
        pairs = _split_marked(body, "[", "]")
    else:
        pairs = _split_fnc1(body)
    # Each element is checked as soon as it is split off, so an error names the first bad AI.
    elements = tuple(_check_element(ai, value) for ai, value in pairs)
    _check_combination(elements)
    return ElementString(elements)


def normalize(text: str, options: object = None) -> str:
    """``parse(text).normalized()``: a ready-made content rule for a GS1 symbology a plugin
    registers (``Symbology(..., content=gs1.normalize)``; ``options`` is the request's, not
    used). It checks everything :func:`parse` checks; capacity is the symbology's to add.

    >>> normalize("[01]09506000134352[10]ABC123")
    '(01)09506000134352(10)ABC123'
    """
    return parse(text).normalized()


def digital_link(content: str | ElementString, *, domain: str = DEFAULT_RESOLVER) -> str:
    """The GS1 Digital Link URI of an element string.

    ``content`` is checked as :func:`parse` does. It must hold exactly one primary key (01
    GTIN, 00 SSCC, 414 GLN, 8004 GIAI, ...); the key's qualifiers (for a GTIN: 22, 10, 21 or
    235) go in the path in the standard's order, the other AIs in the query, each value
    percent-encoded (RFC 3986: everything but ``A-Z a-z 0-9 - . _ ~``).

    ``domain`` is the resolver: ``https://`` (or ``http://``) and a host, optionally a port
    and a path prefix (``https://example.com/gs1``); no query, fragment or user info.

    >>> digital_link("(01)09506000134352(10)ABC123", domain="https://example.com")
    'https://example.com/01/09506000134352/10/ABC123'

    Raises:
        qrplex.InvalidContentError: bad GS1 data, or no (or more than one) primary key.
        qrplex.InvalidOptionError: a bad ``domain``.
    """
    base = _resolver(domain)
    if isinstance(content, ElementString):
        # Checked again: an ElementString may have been built by hand, not by parse(). The
        # bracketed form reads back unambiguously.
        content = content.bracketed()
    elif not isinstance(content, str):
        raise InvalidContentError(
            f"digital_link takes a str or an ElementString, not {type(content).__name__}"
        )
    message = parse(content)
    from urllib.parse import urlsplit

    from biip.gs1_digital_link_uris import _PRIMARY_IDENTIFIER_MAP, GS1DigitalLinkURI

    keys = [element.ai for element in message.elements if element.ai in _PRIMARY_IDENTIFIER_MAP]
    if len(set(keys)) != 1:
        allowed = ", ".join(f"({ai})" for ai in _PRIMARY_IDENTIFIER_MAP)
        found = "none" if not keys else ", ".join(f"({ai})" for ai in dict.fromkeys(keys))
        raise InvalidContentError(
            f"a GS1 Digital Link needs exactly one primary key AI, one of {allowed}; found {found}"
        )
    # biip lays out the path (key, then its qualifiers in the standard's order) and the
    # query (the other AIs, sorted); qrplex puts its own resolver in front.
    uri = GS1DigitalLinkURI.from_element_strings(_biip_elements(message)).as_uri()
    parts = urlsplit(uri)
    return base + parts.path + (f"?{parts.query}" if parts.query else "")


# --- splitting the three forms -------------------------------------------------------------


def _split_marked(text: str, open_: str, close: str) -> Iterator[tuple[str, str]]:
    """``(AI)data(AI)data`` or ``[AI]data[AI]data`` as (AI, data) pairs.

    In the human-readable form, ``(`` and ``)`` are also data characters (GS1 character set
    82): a ``(`` followed by two to four digits and ``)`` starts a new AI; other parentheses
    are data. The bracketed form has no such ambiguity.
    """
    marker = re.compile(re.escape(open_) + r"([0-9]{2,4})" + re.escape(close))
    match = marker.match(text)
    if match is None:
        raise InvalidContentError(
            f"GS1 data in the {open_}AI{close} form must start with an AI in "
            f"{open_}{close}, like {open_}01{close}: got {_excerpt(text)}"
        )
    while match is not None:
        ai = match.group(1)
        start = match.end()
        following = marker.search(text, start)
        end = len(text) if following is None else following.start()
        if ai not in _table():
            raise InvalidContentError(f"GS1 AI ({ai}) is not a known Application Identifier")
        value = text[start:end]
        # A GS (FNC1) that ends a field is not needed in these forms (the next AI's marker
        # ends it), but is what a scanner sends: one at the end of a field is dropped.
        value = value.removesuffix(GS)
        mixed = _BRACKET_MARK.search(value) if open_ == "(" else None
        if mixed is not None:
            raise InvalidContentError(
                f"GS1 AI ({ai}): {_excerpt(value)} holds {mixed[0]!r}, an AI in the [AI] "
                "form: write every AI as (AI), or every AI as [AI]"
            )
        yield ai, value
        match = following


def _split_fnc1(text: str) -> Iterator[tuple[str, str]]:
    """The scanner form: predefined-length AIs end after their length, the others at GS."""
    table = _table()
    rest = text.removeprefix(GS)
    while rest:
        ai = next((rest[:n] for n in (2, 3, 4) if rest[:n] in table), None)
        if ai is None and rest.startswith(GS):
            following = rest.lstrip(GS)
            where = f"before {_excerpt(following)}" if following else "at the end"
            raise InvalidContentError(
                f"GS1 data has two GS separators in a row (an empty field) {where}"
            )
        if ai is None:
            raise InvalidContentError(
                f"GS1 data does not start with a known AI at {_excerpt(rest)}"
            )
        entry = table[ai]
        rest = rest[len(ai) :]
        if entry.separator_required:
            value, _, rest = rest.partition(GS)
        else:
            length = _fixed_length(entry.format)
            value, rest = rest[:length], rest[length:]
            if GS in value:
                raise InvalidContentError(
                    f"GS1 AI ({ai}) has {length} characters, but a GS comes after {value.index(GS)}"
                )
            rest = rest.removeprefix(GS)  # a GS after a fixed-length field is allowed
        yield ai, value


# --- checking one element ------------------------------------------------------------------


def _check_element(ai: str, value: str) -> Element:
    entry = _table()[ai]
    name = f"GS1 AI ({ai}) {entry.data_title}".rstrip()
    if not value:
        raise InvalidContentError(f"{name} has no data")
    # biip's patterns are the rule; re.ASCII because their \d would also take other
    # scripts' digits. On a mismatch, the format says what is wrong (length or character).
    if re.fullmatch(entry.pattern, ai + value, re.ASCII) is None:
        raise InvalidContentError(_mismatch(name, entry, value))
    from biip import ParseConfig, ParseError
    from biip.gs1_element_strings import GS1ElementString

    try:
        parsed = GS1ElementString.parse(
            ai + value, config=ParseConfig(gs1_element_strings_verify_date=False)
        )
    except ParseError as error:  # pragma: no cover - the pattern matched above
        raise InvalidContentError(f"{name}: {value!r} does not match {entry.format}") from error
    # biip records a bad GTIN/SSCC/GLN check digit in *_error and goes on: qrplex refuses.
    for problem in (parsed.gtin_error, parsed.sscc_error, parsed.gln_error):
        if problem is not None:
            raise InvalidContentError(f"{name}: {_check_digit_message(value, problem)}")
    span = _CHECKED_SPANS.get(ai)
    if span is not None:
        _check_digit(name, value[span[0] : span[1]])
    layout = _DATE_LAYOUTS.get(ai)
    if layout is not None:
        _check_date(name, ai, value, layout)
    return Element(ai, value, entry.data_title, entry.separator_required)


def _mismatch(name: str, entry: GS1ApplicationIdentifier, value: str) -> str:
    minimum, maximum, components = _lengths(entry.format)
    layout = _DATE_LAYOUTS.get(entry.ai)
    if layout is not None and minimum <= len(value) <= maximum and _all_digits(value):
        _check_date(name, entry.ai, value, layout)  # raises, naming the wrong field
    if not minimum <= len(value) <= maximum:
        allowed = str(maximum) if minimum == maximum else f"{minimum} to {maximum}"
        hint = ""
        if len(value) > maximum and entry.separator_required:
            hint = "; a variable-length field ends at a GS (FNC1) when another AI follows"
        return (
            f"{name} must have {allowed} characters ({entry.format}), got {len(value)}: "
            f"{_excerpt(value)}{hint}"
        )
    problem = _charset_problem(value, components)
    if problem is not None:
        return f"{name}: {problem}"
    rule = entry.pattern.removeprefix("^").removeprefix(entry.ai).removesuffix("$")
    return (
        f"{name}: {_excerpt(value)} does not match its format {entry.format} "
        f"(the data must match {rule})"
    )


def _charset_problem(value: str, components: list[tuple[str, int, int]]) -> str | None:
    """The first character outside its component's set, or None (a variable part's extent
    is not known, so what follows one is checked against the last component's set)."""
    position = 0
    for index, (kind, _low, high) in enumerate(components):
        chars, described = _CHARSETS[kind]
        last = index == len(components) - 1
        part = value[position:] if last else value[position : position + high]
        for offset, char in enumerate(part):
            if char not in chars:
                return (
                    f"character {char!r} at position {position + offset + 1} is not allowed "
                    f"there; allowed: {described}"
                )
        position += high
        if position >= len(value):
            break
    return None


def _check_digit_message(value: str, problem: str) -> str:
    if "check digit" in problem.lower():
        from biip.checksums import gs1_standard_check_digit

        expected = gs1_standard_check_digit(value[:-1])
        return f"wrong check digit {value[-1]} in {value}, expected {expected}"
    return problem


def _check_digit(name: str, digits: str) -> None:
    from biip.checksums import gs1_standard_check_digit

    expected = gs1_standard_check_digit(digits[:-1])
    if int(digits[-1]) != expected:
        raise InvalidContentError(
            f"{name}: wrong check digit {digits[-1]} in {digits}, expected {expected}"
        )


_TIME_LIMITS: Final[dict[str, tuple[str, ...]]] = {
    "T": ("hour", "minute"),
    "H": ("hour",),
    "M": ("minute",),
    "S": ("second",),
}
_UNIT_MAXIMUM: Final[dict[str, int]] = {"hour": 23, "minute": 59, "second": 59}


def _check_date(name: str, ai: str, value: str, layout: str) -> None:
    position = 0
    optional = False
    for part in layout:
        if part == "?":
            optional = True
            continue
        if position >= len(value) and optional:
            return
        if part in "DE":
            width = 6 if part == "D" else 8
            _check_ymd(name, ai, value[position : position + width])
            position += width
            continue
        for unit in _TIME_LIMITS[part]:
            number = int(value[position : position + 2])
            if number > _UNIT_MAXIMUM[unit]:
                raise InvalidContentError(
                    f"{name}: {value} has {unit} {number:02d}, not 00-{_UNIT_MAXIMUM[unit]}"
                )
            position += 2


def _check_ymd(name: str, ai: str, digits: str) -> None:
    if len(digits) == 8:
        year, shown = int(digits[:4]), "YYYYMMDD"
    else:
        year, shown = _full_year(int(digits[:2])), "YYMMDD"
    month, day = int(digits[-4:-2]), int(digits[-2:])
    if not 1 <= month <= 12:
        raise InvalidContentError(f"{name}: {digits} has month {month:02d}, not 01-12 ({shown})")
    if day == 0:
        if ai in _DAY_00:
            return  # "00": the last day of the month, allowed in this AI
        raise InvalidContentError(
            f"{name}: {digits} has day 00, which ({ai}) does not allow (only (11)-(17), "
            f"(4324) and (4325) do) ({shown})"
        )
    last = calendar.monthrange(year, month)[1]
    if day > last:
        raise InvalidContentError(
            f"{name}: {digits} is not a date: {calendar.month_name[month]} {year} has "
            f"{last} days ({shown})"
        )


def _full_year(two_digits: int, this_year: int | None = None) -> int:
    """GS1 General Specifications 7.12: YY is within 49 years back or 50 years ahead of
    ``this_year`` (default: the current year, UTC). Only YY = 00 depends on it for leap
    years today (2000 is one, 2100 is not)."""
    if this_year is None:
        import datetime

        this_year = datetime.datetime.now(tz=datetime.UTC).year
    century = this_year - this_year % 100
    difference = two_digits - this_year % 100
    if difference >= 51:
        return century - 100 + two_digits
    if difference <= -50:
        return century + 100 + two_digits
    return century + two_digits


# --- the whole message ---------------------------------------------------------------------


def _check_combination(elements: tuple[Element, ...]) -> None:
    seen: dict[str, str] = {}
    for element in elements:
        earlier = seen.setdefault(element.ai, element.value)
        if earlier != element.value:
            raise InvalidContentError(
                f"GS1 AI ({element.ai}) appears twice with different data: "
                f"{earlier!r} and {element.value!r}"
            )
    present = set(seen)
    for ai in seen:
        clash = sorted(_EXCLUSIVE.get(ai, frozenset()) & present)
        if clash:
            raise InvalidContentError(f"GS1 AI ({ai}) must not appear together with ({clash[0]})")
        needed = _REQUIRES.get(ai, ())
        if needed and not any(present.issuperset(group) for group in needed):
            options = " or ".join(" with ".join(f"({other})" for other in g) for g in needed)
            raise InvalidContentError(f"GS1 AI ({ai}) requires {options} in the same data")


# --- the AI table (biip's) -----------------------------------------------------------------


@cache
def _table() -> dict[str, GS1ApplicationIdentifier]:
    from biip.gs1_application_identifiers import _GS1_APPLICATION_IDENTIFIERS

    return dict(_GS1_APPLICATION_IDENTIFIERS)


_AI_MARK: Final = re.compile(r"\([0-9]{2,4}\)")
_BRACKET_MARK: Final = re.compile(r"\[[0-9]{2,4}\]")
_COMPONENT = re.compile(r"([NXYZ])(\.\.)?(\d+)")


@cache
def _lengths(format_: str) -> tuple[int, int, list[tuple[str, int, int]]]:
    """(min, max, components) of the data of an AI format such as ``N3+N13[+X..17]``:
    each component is (charset letter, min, max); optional ones (in brackets) count 0 to the
    minimum."""
    data = format_.split("+", 1)[1]
    components: list[tuple[str, int, int]] = []
    minimum = 0
    depth = 0
    for piece in re.split(r"(\[|\])", data):
        if piece == "[":
            depth += 1
            continue
        if piece == "]":
            depth -= 1
            continue
        for kind, dots, digits in _COMPONENT.findall(piece):
            high = int(digits)
            low = 1 if dots else high
            components.append((kind, low, high))
            if depth == 0:
                minimum += low
    maximum = sum(high for _kind, _low, high in components)
    return minimum, maximum, components


def _fixed_length(format_: str) -> int:
    minimum, maximum, _components = _lengths(format_)
    if minimum != maximum:  # pragma: no cover - biip's predefined-length AIs are all fixed
        raise InvalidContentError(f"GS1 format {format_} has no fixed length")
    return maximum


def _biip_elements(message: ElementString) -> GS1ElementStrings:
    from biip import ParseConfig
    from biip.gs1_element_strings import GS1ElementString, GS1ElementStrings

    config = ParseConfig(gs1_element_strings_verify_date=False)
    result = GS1ElementStrings()
    for element in dict.fromkeys(message.elements):
        result.append(GS1ElementString.parse(element.ai + element.value, config=config))
    return result


_LABEL: Final = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
# RFC 3986 pchar (unreserved, percent-encoded, sub-delims, ":" and "@"), and "/".
_PATH: Final = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})*")


def _resolver(domain: str) -> str:
    """The resolver's scheme, host, port and path prefix, checked, without a trailing "/";
    the scheme and host lowercased (they are case-insensitive)."""
    from urllib.parse import urlsplit

    if not isinstance(domain, str):
        raise InvalidOptionError(f"domain must be a str, not {type(domain).__name__}")
    # A domain with an "@" may hold credentials: it is never repeated in a message.
    shown = "the domain" if "@" in domain else f"domain {domain!r}"
    if any(not " " < char < "\x7f" for char in domain):  # spaces, controls, non-ASCII
        raise InvalidOptionError(f"{shown} {_not_ascii(domain)} (like https://id.gs1.org)")
    try:
        parts = urlsplit(domain)
        port = parts.port  # raises on a bad port
    except ValueError as error:
        raise InvalidOptionError(f"{shown} is not a URL: {error}") from None
    problems = []
    if parts.scheme.lower() not in ("https", "http"):
        problems.append("must start with https:// (or http://)")
    host = parts.hostname or ""
    if not _is_host(host):
        problems.append("needs a host name, an IPv4 address or an [IPv6] address")
    if port == 0:
        problems.append("has port 0 (ports are 1-65535)")
    if parts.username is not None or parts.password is not None:
        problems.append("must not hold user info")
    if "?" in domain or "#" in domain:
        problems.append("must not have a query or fragment")
    segments = parts.path.split("/")
    if not _PATH.fullmatch(parts.path) or "." in segments or ".." in segments:
        problems.append(
            "has a path prefix that is not plain (RFC 3986 path characters, no . or .. segments)"
        )
    if problems:
        raise InvalidOptionError(f"{shown} " + "; ".join(problems) + " (like https://id.gs1.org)")
    netloc = parts.netloc.lower()
    return f"{parts.scheme.lower()}://{netloc}{parts.path.rstrip('/')}"


def _is_host(host: str) -> bool:
    """A DNS name (ASCII labels), an IPv4 address, or an IPv6 address (its brackets gone)."""
    import ipaddress

    try:
        ipaddress.ip_address(host)
    except ValueError:
        labels = host.lower().removesuffix(".").split(".")
        return bool(host) and all(_LABEL.fullmatch(label) for label in labels)
    return True


def _not_ascii(domain: str) -> str:
    """What is wrong with a domain that holds spaces, control or non-ASCII characters; for
    an internationalized host name, its ASCII (punycode) form to use instead."""
    from urllib.parse import urlsplit

    bad = next(char for char in domain if not " " < char < "\x7f")
    problem = f"must be ASCII without spaces or control characters, and has {bad!r}"
    try:
        host = urlsplit(domain).hostname or ""
        ascii_host = host.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return problem
    if (
        host
        and ascii_host != host
        and ascii_host.isascii()
        and all(" " < char < "\x7f" for char in domain.replace(host, ""))
    ):
        return f"{problem}: write the host name in its ASCII (punycode) form, {ascii_host}"
    return problem


def _all_digits(value: str) -> bool:
    return all(char in _DIGITS for char in value)


def _excerpt(text: str) -> str:
    return repr(text[:24] + ("..." if len(text) > 24 else ""))
