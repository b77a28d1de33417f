"""Code 128 encodation: ISO-8859-1 text to symbol values, by one greedy rule set.

This is the one Code 128 encoder of qrplex: the core counts minimum widths with it (the
symbol is ``11 * len(code128_values(content)) + 13`` modules wide, with the stop character
and its final bar) and the ``local`` backend draws its values. It follows python-barcode's
greedy rules, with two of its defects fixed:

* start in code set C; leave C at a non-digit, for B, or A if the character is a control
  character, emitting a pending odd digit in the new set; from A or B switch to C when 4 or
  more digits follow; switch between A and B when a character needs it;
* a first switch is merged into the start character (python-barcode also merges a leading
  digit pair ``"99"``, mistaking it for ``CODE C``, and drops it: not here);
* a character 128-255 is FNC4 followed by the character 128 lower (python-barcode has no
  FNC4, and reads ``ñ ò ó ô`` as FNC1..FNC4).

With ``fnc1=True`` (GS1-128) the symbol starts with FNC1 right after the start character, and
each ``"\\x1d"`` (GS) of the content is encoded as FNC1, the GS1 field separator, instead of
the GS control character: a scanner transmits ``]C1`` and the data with a GS for each
separator (:meth:`qrplex.gs1.ElementString.fnc1_data` is such a content). FNC1 (symbol value
102) exists in all three code sets, so it changes none; an odd digit pending in code set C
before it goes out in code set B first.

The count is never below the optimal encodation's, so a width checked with it always fits.
"""

from __future__ import annotations

from typing import Final

__all__ = ["code128_modules", "code128_values"]

_START: Final = {"A": 103, "B": 104, "C": 105}
_SWITCH: Final = {  # (from, to) -> symbol value of CODE A / CODE B / CODE C
    ("A", "B"): 100,
    ("A", "C"): 99,
    ("B", "A"): 101,
    ("B", "C"): 99,
    ("C", "A"): 101,
    ("C", "B"): 100,
}
_FNC4: Final = {"A": 101, "B": 100}
_FNC1: Final = 102
_GS: Final = "\x1d"
# In code set C, 100 and 101 are CODE B and CODE A (data pairs are 0-99, so 99 is data).
_MERGED_START: Final = {101: _START["A"], 100: _START["B"]}
_DIGITS: Final = frozenset("0123456789")


def _value(base: int, code_set: str) -> int:
    """The symbol value of ASCII character ``base`` in code set A or B."""
    if code_set == "A":
        return base + 64 if base < 32 else base - 32
    return base - 32


def _leading_digits(content: str, start: int) -> int:
    count = 0
    for char in content[start : start + 4]:
        if char not in _DIGITS:
            break
        count += 1
    return count


def code128_values(content: str, *, fnc1: bool = False) -> list[int]:
    """The symbol values for ``content``: start, data, code set switches, FNC4s and the check
    character (the stop character is not included).

    With ``fnc1=True`` (GS1-128): FNC1 after the start character, and FNC1 for each
    ``"\\x1d"`` in ``content``.

    Raises:
        ValueError: the content is empty or has a character above U+00FF.
    """
    if not content:
        raise ValueError("Code 128 content cannot be empty")
    values: list[int] = [_START["C"]]
    if fnc1:
        values.append(_FNC1)
    code_set = "C"
    pending: str | None = None  # an odd digit waiting for its pair in code set C
    for index, char in enumerate(content):
        code = ord(char)
        if fnc1 and char == _GS:
            if pending is not None:  # C cannot carry one digit: it goes out in B
                values += [_SWITCH["C", "B"], _value(ord(pending), "B")]
                code_set, pending = "B", None
            values.append(_FNC1)
            continue
        if code > 0xFF:
            raise ValueError(f"Code 128 cannot carry {char!r} (U+{code:04X})")
        digit = char in _DIGITS
        base = code % 128
        in_a, in_b = base < 96, base >= 32
        if code_set == "C" and not digit:
            new_set = "B" if in_b else "A"
            values.append(_SWITCH["C", new_set])
            code_set = new_set
            if pending is not None:
                values.append(_value(ord(pending), code_set))
                pending = None
        elif code_set != "C" and _leading_digits(content, index) >= 4:
            values.append(_SWITCH[code_set, "C"])
            code_set = "C"
        elif (code_set == "B" and not in_b) or (code_set == "A" and not in_a):
            new_set = "A" if code_set == "B" else "B"
            values.append(_SWITCH[code_set, new_set])
            code_set = new_set
        if code_set == "C":
            if pending is None:
                pending = char
            else:
                values.append(int(pending + char))
                pending = None
            continue
        if code > 127:
            values.append(_FNC4[code_set])
        values.append(_value(base, code_set))
    if pending is not None:
        values.append(_SWITCH["C", "B"])
        values.append(_value(ord(pending), "B"))
    if values[1] in _MERGED_START:  # START C, CODE A/B at once: start in A/B instead
        values[:2] = [_MERGED_START[values[1]]]
    check = (values[0] + sum(i * v for i, v in enumerate(values[1:], start=1))) % 103
    values.append(check)
    return values


def code128_modules(content: str, *, fnc1: bool = False) -> int:
    """Width of the Code 128 symbol for ``content`` in modules, without quiet zones: 11 a
    symbol character plus 13 for the stop character and its final bar (``fnc1``: as for
    :func:`code128_values`).

    Raises:
        ValueError: the content is empty or has a character above U+00FF.
    """
    return 11 * len(code128_values(content, fnc1=fnc1)) + 13
