"""QR Code and Micro QR Code module matrices, encoded with segno.

The symbol drawn is the plan the core checked the width against (:attr:`qrplex.CodeRequest.qr`,
or :func:`qrplex.spec.plan_qr` for a request not made by the core), under the charset policy
of :mod:`qrplex.spec`: one segment in one mode; ASCII plain, other Latin-1 behind ECI 3,
anything else UTF-8 behind ECI 26; the version is the plan's. Kanji mode is never used:
segno picks it by itself when the *encoded bytes* happen to form Shift JIS pairs (Latin-1
``"\\x81@"``, UTF-8 ``"丁偀"``), and readers then decode different text, so the mode is
always passed to segno.

For Micro QR at error level ``L``, version M1 (error detection only) is allowed, as the core
counts it as level ``L``; segno otherwise never makes M1 when a level is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import segno

from qrplex import CodeRequest
from qrplex.errors import InvalidContentError, InvalidOptionError
from qrplex.spec import MICRO_QR_LEVELS, QR_LEVELS, QrPlan, plan_qr, segment_for

__all__ = ["qr_rows", "qr_symbol"]

_LEVELS: Final[Mapping[str, tuple[str, ...]]] = {"qr": QR_LEVELS, "microqr": MICRO_QR_LEVELS}
_DEFAULT_LEVEL: Final = "M"


def _level(request: CodeRequest) -> str:
    value = request.options.get("error", _DEFAULT_LEVEL)
    allowed = _LEVELS[request.symbology]
    level = value.upper() if isinstance(value, str) else None
    if level not in allowed:
        raise InvalidOptionError(
            f"error level {value!r} is not valid for a {_title(request)}: use one of "
            f"{', '.join(allowed)}"
        )
    return str(level)


def _title(request: CodeRequest) -> str:
    return "Micro QR Code" if request.symbology == "microqr" else "QR Code"


def qr_symbol(request: CodeRequest) -> Any:
    """The :class:`segno.QRCode` for ``request`` (a ``qr`` or ``microqr`` request).

    Raises:
        InvalidContentError: empty, not encodable, or over capacity.
        InvalidOptionError: an unknown error level, or a ``height`` option.
    """
    content = request.content
    micro = request.symbology == "microqr"
    title = _title(request)
    if "height" in request.options:
        raise InvalidOptionError(f"a {title} is square: the height option does not apply")
    level = _level(request)
    if not content:
        raise InvalidContentError(f"a {title} cannot be empty")
    try:
        segment = segment_for(content)
    except UnicodeEncodeError as exc:
        raise InvalidContentError(f"cannot encode the content as a {title}: {exc}") from exc
    encoding = segment.encoding
    if micro and segment.eci:
        raise InvalidContentError(
            f"a Micro QR Code has no ECI, so it carries only ASCII text reliably; "
            f"use a QR Code for {content[:20]!r}"
        )
    plan = _plan(request, level)
    options: dict[str, Any] = {
        "error": None if micro and level == "L" else level,  # None allows M1, counted as L
        "version": None if plan is None else plan.name,
        "mode": segment.mode,
        "encoding": encoding,
        "eci": segment.eci,
        "micro": micro,
        "boost_error": False,
    }
    try:
        symbol = segno.make(content, **options)
    except segno.DataOverflowError as exc:
        size = len(content.encode(encoding))
        raise InvalidContentError(
            f"the content is too long for a {title} at error level {level} "
            f"({len(content)} characters, {size} bytes as {encoding})"
        ) from exc
    except (ValueError, TypeError, UnicodeError) as exc:
        raise InvalidContentError(f"cannot encode the content as a {title}: {exc}") from exc
    if symbol.is_micro != micro:
        raise InvalidContentError(f"segno did not make a {title} for this content")
    return symbol


def _plan(request: CodeRequest, level: str) -> QrPlan | None:
    """The core's plan for ``request`` (made when it was validated), or the same plan made
    here; ``None`` when no symbol holds the content (segno then says why)."""
    plan = request.qr
    if plan is None or plan.micro != (request.symbology == "microqr"):
        plan = plan_qr(request.content, level, micro=request.symbology == "microqr")
    return plan


def qr_rows(request: CodeRequest) -> tuple[bytes, ...]:
    """The module rows (1 dark, 0 light, no border) of the symbol for ``request``."""
    return tuple(bytes(row) for row in qr_symbol(request).matrix)
