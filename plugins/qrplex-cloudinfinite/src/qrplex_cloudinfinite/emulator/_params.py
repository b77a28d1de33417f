"""The qrcode-generate parameters, validated as the emulator's service does.

Decisions where the public documentation is silent: every bad parameter is
``400 InvalidArgument`` (never ``MissingContent``), with a message naming the parameter;
``mode`` absent means 0; ``width`` must be a decimal integer from 1 to 10000 (CI's generic
image size cap), and at least the symbol's minimum (checked when rendering).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._errors import invalid_argument
from ._request import Request

__all__ = ["MAX_WIDTH", "GenerateParams", "parse_params"]

MAX_WIDTH = 10000
"""The widest image the service renders (CI's image size cap)."""

_DIGITS = re.compile(r"\A[0-9]+\Z")
_EAN_DATA = re.compile(r"\A[0-9]{12}\Z")


@dataclass(frozen=True)
class GenerateParams:
    """A valid qrcode-generate request.

    Attributes:
        content: the text to encode.
        mode: 0 for a QR code, 1 for an EAN-13 barcode (12 digits, check digit appended).
        width: image width in pixels.
    """

    content: str
    mode: int
    width: int


def parse_params(request: Request) -> GenerateParams:
    """Validate the request's query parameters.

    Raises:
        ServiceError: ``400 InvalidArgument`` naming the bad parameter.
    """
    if request.path != "/":
        raise invalid_argument(f"qrcode-generate is served on '/', not {request.path!r}")
    process = request.param("ci-process")
    if process is None:
        raise invalid_argument("ci-process is required (ci-process=qrcode-generate)")
    if process != "qrcode-generate":
        raise invalid_argument(f"ci-process {process!r} is not supported")

    content = request.param("qrcode-content")
    if content is None or content == "":
        raise invalid_argument("qrcode-content is required and must not be empty")

    raw_mode = request.param("mode")
    if raw_mode is None:
        mode = 0
    elif raw_mode in ("0", "1"):
        mode = int(raw_mode)
    else:
        raise invalid_argument(f"mode must be 0 or 1, not {raw_mode!r}")
    if mode == 1 and not _EAN_DATA.match(content):
        raise invalid_argument("with mode=1, qrcode-content must be exactly 12 digits")

    raw_width = request.param("width")
    if raw_width is None or raw_width == "":
        raise invalid_argument("width is required")
    if not _DIGITS.match(raw_width):
        raise invalid_argument(f"width must be an integer, not {raw_width!r}")
    width = int(raw_width) if len(raw_width) <= 9 else MAX_WIDTH + 1
    if not 1 <= width <= MAX_WIDTH:
        raise invalid_argument(f"width must be between 1 and {MAX_WIDTH}, not {width}")
    return GenerateParams(content=content, mode=mode, width=width)
