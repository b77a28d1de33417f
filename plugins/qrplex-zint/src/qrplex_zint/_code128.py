"""Code 128 longer than libzint's limit (102 symbol characters), from the same bar patterns.

libzint refuses a Code 128 of more than 102 symbol characters, a limit of its own (ISO/IEC
15417 sets none); the core accepts any content whose symbol fits in 10000 px. For those, the
symbol values come from the core's encodation (:func:`qrplex.spec.code128_values`) and each
value is drawn with the 11-module pattern libzint itself draws for it: the table is read once
from symbols libzint makes (single characters, digit pairs, code set switches, FNC1), not
typed in.
"""

from __future__ import annotations

import functools

import zint

from qrplex.spec import code128_values

__all__ = ["LIBZINT_LIMIT", "long_code128"]

LIBZINT_LIMIT = 102
"""The most symbol characters libzint puts in a Code 128 (start and check excluded)."""

_WIDTH = 11


def _row(kind: zint.Symbology, data: bytes | str, gs1: bool = False) -> str:
    symbol = zint.Symbol()
    symbol.symbology = kind
    symbol.input_mode = zint.InputMode.GS1 if gs1 else zint.InputMode(0)
    symbol.encode(data)
    raw = symbol.encoded_data.tobytes()
    used = (symbol.width + 7) // 8
    return f"{int.from_bytes(raw[:used], 'little'):0{used * 8}b}"[::-1][: symbol.width]


def _at(row: str, index: int) -> str:
    return row[index * _WIDTH : (index + 1) * _WIDTH]


@functools.cache
def patterns() -> tuple[tuple[str, ...], str]:
    """The patterns of symbol values 0..105, and the stop pattern (13 modules)."""
    code128 = zint.Symbology.CODE128
    table: dict[int, str] = {}
    for value in range(96):  # set B: " " (0) .. DEL (95)
        table[value] = _at(_row(code128, bytes([32 + value])), 1)
    for value in range(96, 100):  # set C digit pairs
        table[value] = _at(_row(code128, str(value).encode()), 1)
    table[100] = _at(_row(code128, b"0000a"), 3)  # CODE B from set C
    table[101] = _at(_row(code128, b"0000\x01"), 3)  # CODE A from set C
    table[102] = _at(_row(zint.Symbology.GS1_128, "[90]12", gs1=True), 1)  # FNC1
    table[103] = _at(_row(code128, b"\x01"), 0)  # START A
    table[104] = _at(_row(code128, b"a"), 0)  # START B
    table[105] = _at(_row(code128, b"00"), 0)  # START C
    stop = _row(code128, b"a")[-13:]
    return tuple(table[value] for value in range(106)), stop


def long_code128(content: str) -> str:
    """The module row of ``content`` (ISO-8859-1) as a Code 128, quiet zones excluded."""
    table, stop = patterns()
    return "".join(table[value] for value in code128_values(content)) + stop
