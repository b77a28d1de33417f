"""Code 128 bars: the core's encodation (:func:`qrplex.spec.code128_values`) drawn with
python-barcode's bar table.

python-barcode's own ``Code128`` cannot be used as it is: it drops a leading ``"99"`` (its
start-code optimisation mistakes the digit pair for ``CODE C``), has no FNC4 for characters
128-255, and reads ``ñ ò ó ô`` as FNC1..FNC4. The encodation in :mod:`qrplex.spec` follows
the same greedy rules with those defects fixed, and is the one the core counts minimum widths
with, so the symbol drawn is exactly as wide as the core checked.

GS1-128 is the same encodation with FNC1 (``fnc1=True``): after the start character, and for
each GS of the scanned form of the element string (:meth:`qrplex.gs1.ElementString.fnc1_data`);
python-barcode's own GS1-128 only prepends an FNC1 and checks nothing.
"""

from __future__ import annotations

from typing import Final

from qrplex.spec import code128_values

__all__ = ["code128_pattern", "code128_values", "gs1_128_pattern"]

_STOP: Final = "1100011101011"  # the stop character with its final 2-module bar


def code128_pattern(content: str, *, fnc1: bool = False) -> str:
    """The bars of ``content`` as a string of ``"1"`` (dark) and ``"0"`` (light) modules
    (``fnc1``: GS1-128, see :func:`qrplex.spec.code128_values`).

    Raises:
        ValueError: the content is empty or has a character above U+00FF.
    """
    from barcode.charsets.code128 import CODES

    return "".join(CODES[value] for value in code128_values(content, fnc1=fnc1)) + _STOP


def gs1_128_pattern(content: str) -> str:
    """The bars of the GS1-128 symbol of a GS1 element string (checked again here).

    Raises:
        InvalidContentError: the element string is not valid GS1 data.
    """
    from qrplex import gs1

    return code128_pattern(gs1.parse(content).fnc1_data(), fnc1=True)
