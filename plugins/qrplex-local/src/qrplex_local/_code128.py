"""Code 128 bars: the core's encodation (:func:`qrplex.spec.code128_values`) drawn with
python-barcode's bar table.

python-barcode's own ``Code128`` cannot be used as it is: it drops a leading ``"99"`` (its
start-code optimisation mistakes the digit pair for ``CODE C``), has no FNC4 for characters
128-255, and reads ``ñ ò ó ô`` as FNC1..FNC4. The encodation in :mod:`qrplex.spec` follows
the same greedy rules with those defects fixed, and is the one the core counts minimum widths
with, so the symbol drawn is exactly as wide as the core checked.
"""

from __future__ import annotations

from typing import Final

from qrplex.spec import code128_values

__all__ = ["code128_pattern", "code128_values"]

_STOP: Final = "1100011101011"  # the stop character with its final 2-module bar


def code128_pattern(content: str) -> str:
    """The bars of ``content`` as a string of ``"1"`` (dark) and ``"0"`` (light) modules.

    Raises:
        ValueError: the content is empty or has a character above U+00FF.
    """
    from barcode.charsets.code128 import CODES

    return "".join(CODES[value] for value in code128_values(content)) + _STOP
