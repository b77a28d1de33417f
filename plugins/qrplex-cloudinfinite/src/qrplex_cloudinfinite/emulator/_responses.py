"""Bodies and headers of the service's answers: XML, request ids, dates."""

from __future__ import annotations

import base64
import email.utils
import re
import secrets
import time
from collections.abc import Mapping
from itertools import count
from xml.sax.saxutils import escape

__all__ = [
    "error_body",
    "http_date",
    "iso_time",
    "new_request_id",
    "new_trace_id",
    "success_body",
]

_counter = count(1)
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _text(value: str) -> str:
    """Escape for XML text, replacing characters XML 1.0 cannot carry."""
    return escape(_NOT_XML.sub("\ufffd", value))


def new_request_id(now: float) -> str:
    """A request id shaped like the service's (base64 of ``<time>_<host>_<seq>_<rand>``)."""
    raw = f"{int(now) & 0xFFFFFFFF:08x}_{secrets.token_hex(3)}_{next(_counter) & 0xFFFF:04x}_"
    raw += secrets.token_hex(3)
    return base64.b64encode(raw.encode("ascii")).decode("ascii")


def new_trace_id() -> str:
    """An opaque trace id, like the service's ``<TraceId>``."""
    return base64.b64encode(secrets.token_bytes(48)).decode("ascii")


def http_date(now: float) -> str:
    """RFC 1123 date in GMT, as in the ``Date`` header."""
    return email.utils.formatdate(now, usegmt=True)


def iso_time(now: float) -> str:
    """``2020-06-17T05:37:29Z``, as in ``<ServerTime>``."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))


def error_body(
    *,
    code: str,
    message: str,
    resource: str,
    request_id: str,
    trace_id: str,
    extra: Mapping[str, str],
) -> bytes:
    """The ``<Error>`` document (with the single-quoted declaration the service sends)."""
    fields = [
        ("Code", code),
        ("Message", message),
        ("Resource", resource),
        ("RequestId", request_id),
        ("TraceId", trace_id),
        *extra.items(),
    ]
    inner = "".join(f"<{name}>{_text(value)}</{name}>" for name, value in fields)
    return f"<?xml version='1.0' encoding='utf-8' ?>\n<Error>{inner}</Error>".encode()


def success_body(result_image: str) -> bytes:
    """The qrcode-generate answer."""
    return f"<Response><ResultImage>{escape(result_image)}</ResultImage></Response>".encode()
