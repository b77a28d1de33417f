"""Turning the service's untrusted answers into a :class:`~qrplex.Rendering` or an error.

Everything in a response is treated as hostile: XML is parsed with defusedxml (no DTDs, no
entities) and only when its markup is small (:func:`parse_xml`: the service's documents are a
handful of elements, so a body with more tags, attributes or references than
:data:`MAX_MARKUP` is refused before the parser builds anything), an error body only up to
:data:`MAX_ERROR_BODY` bytes and once; headers are parsed strictly; base64 is decoded
strictly, the image type is sniffed from its bytes and its size read from its own header, and
any text quoted in an error message is flattened to one short printable line with the
configured secrets blanked out.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Final
from xml.etree.ElementTree import Element, ParseError

import defusedxml  # type: ignore[import-untyped]  # no stubs installed
import defusedxml.ElementTree  # type: ignore[import-untyped]

from qrplex import Rendering
from qrplex.errors import (
    BackendAuthError,
    BackendError,
    BackendRejectedError,
    BackendUnavailableError,
    BadResponseError,
)
from qrplex.spec import ImageDefectError, read_header, sniff_media_type

from ._clock import http_date
from ._config import BACKEND

__all__ = [
    "BACKEND",
    "RawResponse",
    "Redactor",
    "error_for",
    "image_size",
    "parse_xml",
    "rendering_from",
    "skew_server_time",
]

REQUEST_ID_HEADER: Final = "x-cos-request-id"

AUTH_CODES: Final = frozenset(
    {
        "AccessDenied",
        "ExpiredToken",
        "InvalidAccessKeyId",
        "InvalidToken",
        "InvalidSecurityToken",
        "RequestTimeTooSkewed",
        "SignatureDoesNotMatch",
        "TokenExpired",
    }
)
"""Service codes that mean the credentials or the signature were refused."""

UNAVAILABLE_CODES: Final = frozenset({"SlowDown", "ServiceUnavailable", "InternalError"})
"""Service codes that mean "try again later", whatever the status."""

MAX_MARKUP: Final = 256
"""Most ``<`` (tags), ``&`` (references) and quote characters (attribute values, two each)
an XML answer may hold; the service's own documents have fewer than 30 of each."""

MAX_ERROR_BODY: Final = 64 * 1024
"""Largest error body parsed for its ``<Code>`` and ``<Message>`` (the service's are < 1 KiB);
a larger one is judged by its HTTP status alone."""

MAX_RETRY_AFTER: Final = 24 * 3600
"""Seconds: a longer ``Retry-After`` counts as this (and makes the client fall back)."""

IDENTITY: Final = frozenset({"", "identity"})
"""``Content-Encoding`` values of a body that was read (the transport reads no other)."""

_MAX_TEXT: Final = 300
_PLAIN_ANSWER: Final = re.compile(
    rb"<Response><ResultImage>([A-Za-z0-9+/=\t\n\r ]*)</ResultImage></Response>[\t\n\r ]*"
)
"""A success answer exactly as the service sends it: no declaration, attribute, comment,
reference or other element, only base64 and XML whitespace inside ``<ResultImage>``. Its
XML tree is known without a parser; anything else goes through :func:`parse_xml`."""
_SPACES = re.compile(r"\s+")
_WHITESPACE = re.compile(r"[ \t\r\n]+")


def _unprintable(char: str) -> bool:
    """Control, format (bidi overrides, ...), surrogate, private-use and line/paragraph
    separator characters: nothing a one-line message should carry."""
    return unicodedata.category(char)[0] == "C" or unicodedata.category(char) in ("Zl", "Zp")


class Redactor:
    """Blanks secret values out of text and flattens it to one short printable line."""

    def __init__(self, secrets: Iterable[str]) -> None:
        # Longest first, so a secret that contains another is blanked whole.
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def __call__(self, text: str, limit: int = _MAX_TEXT) -> str:
        """``text`` without secrets, control characters or line breaks, at most ``limit``
        characters (an ellipsis marks a cut)."""
        for secret in self._secrets:  # before any cut, so no part of a secret survives
            text = text.replace(secret, "***")
        overlong = len(text) > 4 * limit
        text = "".join(" " if _unprintable(char) else char for char in text[: 4 * limit])
        if overlong:
            text += "…"
        text = _SPACES.sub(" ", text).strip()
        if len(text) > limit:
            text = text[: limit - 1].rstrip() + "…"
        for secret in self._secrets:  # flattening could join pieces into one: be sure
            text = text.replace(secret, "***")
        return text


@dataclass(frozen=True, slots=True)
class ServiceError:
    """The fields of an ``<Error>`` document (all optional: the body may be anything).

    Attributes:
        parsed: whether the body was a well-formed ``<Error>`` document at all.
    """

    code: str | None = None
    message: str | None = None
    request_id: str | None = None
    server_time: str | None = None
    parsed: bool = False


@dataclass(frozen=True)
class RawResponse:
    """An HTTP response read whole (within the size cap).

    Attributes:
        status: the HTTP status.
        headers: the headers, lowercase names (the last value of a repeated header wins).
        body: the body bytes (empty when the transport refused to read an encoded body).
        received_at: local Unix time when the response headers arrived.
    """

    status: int
    headers: Mapping[str, str]
    body: bytes
    received_at: float

    @property
    def request_id(self) -> str | None:
        """The ``x-cos-request-id`` header, if present and non-empty."""
        value = self.headers.get(REQUEST_ID_HEADER, "").strip()
        return value or None

    @property
    def content_encoding(self) -> str | None:
        """The ``Content-Encoding`` of the answer, when not ``identity`` (its body is then
        empty: the transport does not read it)."""
        value = self.headers.get("content-encoding", "").strip().lower()
        return None if value in IDENTITY else value

    @cached_property
    def service_error(self) -> ServiceError:
        """The ``<Error>`` document in the body, parsed once (empty for a 200, a body over
        :data:`MAX_ERROR_BODY` or anything that is not an ``<Error>``)."""
        if self.status == 200 or len(self.body) > MAX_ERROR_BODY:
            return ServiceError()
        return parse_service_error(self.body)


def _check_markup(body: bytes) -> None:
    """Refuse XML with more markup than the service's documents could have, before a parser
    spends memory on it (a 20 MiB body of empty elements would take 500 MB)."""
    for char, what in ((b"<", "tags"), (b"&", "references"), (b'"', "quotes"), (b"'", "quotes")):
        if body.count(char) > MAX_MARKUP:
            raise ValueError(f"more than {MAX_MARKUP} {what}")


def parse_xml(body: bytes) -> Element:
    """Parse untrusted XML; raise ``ValueError`` for anything malformed, dangerous or with
    more markup than :data:`MAX_MARKUP` allows."""
    _check_markup(body)
    try:
        root: Element = defusedxml.ElementTree.fromstring(
            body, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except (ParseError, defusedxml.DefusedXmlException, LookupError, ValueError) as exc:
        raise ValueError(type(exc).__name__) from exc
    return root


def _child_text(root: Element, tag: str) -> str | None:
    child = root.find(tag)
    if child is None or child.text is None:
        return None
    return child.text.strip() or None


def parse_service_error(body: bytes) -> ServiceError:
    """Read an ``<Error>`` body; an unparseable or foreign body gives an empty result."""
    try:
        root = parse_xml(body)
    except ValueError:
        return ServiceError()
    if root.tag != "Error":
        return ServiceError()
    return ServiceError(
        code=_child_text(root, "Code"),
        message=_child_text(root, "Message"),
        request_id=_child_text(root, "RequestId"),
        server_time=_child_text(root, "ServerTime"),
        parsed=True,
    )


def skew_server_time(response: RawResponse) -> tuple[str | None, str | None] | None:
    """For a clock-skew refusal (403 ``RequestTimeTooSkewed`` or ``AccessDenied`` /
    ``Request has expired``), the service's time as ``(<ServerTime>, Date header)``;
    ``None`` for any other response.

    Only a refusal that passes every other check counts: status 403, an
    ``x-cos-request-id``, a well-formed ``<Error>`` body (within the error-body cap).
    """
    if response.status != 403 or response.request_id is None:
        return None
    error = response.service_error
    if not error.parsed:
        return None
    expired = error.code == "AccessDenied" and "expired" in (error.message or "").lower()
    if error.code != "RequestTimeTooSkewed" and not expired:
        return None
    return error.server_time, response.headers.get("date")


def retry_after(headers: Mapping[str, str], received_at: float) -> float | None:
    """``Retry-After`` in seconds (at most :data:`MAX_RETRY_AFTER`): ASCII digits, or an
    HTTP date measured from the answer's own ``Date`` (the service's clock), else from when
    it arrived. Anything else (``1.5``, ``-3``, ``²``, other scripts' digits) counts as
    absent."""
    value = headers.get("retry-after", "").strip()
    if not value or not value.isascii():
        return None
    if value.isdigit():
        digits = value.lstrip("0") or "0"
        return float(MAX_RETRY_AFTER if len(digits) > 6 else min(int(digits), MAX_RETRY_AFTER))
    moment = http_date(value)
    if moment is None:
        return None
    base = http_date(headers.get("date", "").strip())
    return max(0.0, min(moment - (received_at if base is None else base), MAX_RETRY_AFTER))


def error_for(response: RawResponse, redact: Redactor, *, bucket: str) -> BackendError | None:
    """The error a non-image response means, or ``None`` for a 200 that carries a request id
    (whose body then still needs :func:`rendering_from`)."""
    request_id = response.request_id
    status = response.status
    if request_id is None:
        # Every real answer carries one; without it this is a proxy, portal or hijack.
        return BackendUnavailableError(
            f"answer without an {REQUEST_ID_HEADER} header: not from the service "
            "(proxy, captive portal or network fault?)",
            backend=BACKEND,
            status=status,
        )
    if status == 200:
        return None
    request_id = redact(request_id, 128)
    error = response.service_error
    code = redact(error.code, 64) if error.code else None
    message = redact(error.message) if error.message else f"HTTP {status} from the service"
    if not message.endswith((".", "!", "?", "…")):
        message += "."
    if status >= 500 or status == 429 or error.code in UNAVAILABLE_CODES:
        return BackendUnavailableError(
            message,
            backend=BACKEND,
            status=status,
            code=code,
            request_id=request_id,
            retry_after=retry_after(response.headers, response.received_at),
        )
    kind: type[BackendError]
    if status in (401, 403) or error.code in AUTH_CODES:
        kind = BackendAuthError
    elif error.code == "NoSuchBucket" or (status == 404 and error.code is None):
        kind = BackendRejectedError
        message += f" Check the bucket ({bucket!r}, BucketName-APPID) and region settings."
    elif 300 <= status < 400:
        kind = BackendRejectedError
        message += " The service redirected the request: check the region / endpoint settings."
    elif 400 <= status < 500:
        kind = BackendRejectedError
    else:
        kind = BadResponseError
        message = f"unexpected HTTP status {status}: {message}"
    return kind(message, backend=BACKEND, status=status, code=code, request_id=request_id)


def _b64decode(encoded: str) -> bytes:
    """Strict base64, line breaks and spaces allowed (removed first, when there are any)."""
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error:  # whitespace (or worse): strip it and judge again
        return base64.b64decode(_WHITESPACE.sub("", encoded), validate=True)


def image_size(data: bytes) -> tuple[str, int, int]:
    """``(media_type, width, height)`` of PNG or JPEG bytes, from their own headers (read by
    :func:`qrplex.spec.read_header`; the core checks the pixel data later).

    Raises ``ValueError`` for anything else, or for a truncated or corrupt image.
    """
    media_type = sniff_media_type(data)
    if media_type not in ("image/png", "image/jpeg"):
        raise ValueError(f"not a PNG or JPEG image (starts with {data[:8]!r})")
    try:
        facts = read_header(data)
    except ImageDefectError as defect:
        if media_type == "image/png":
            raise ValueError(f"PNG is truncated or corrupt ({defect})") from None
        raise ValueError(str(defect)) from None
    if facts.width <= 0 or facts.height <= 0:
        raise ValueError(f"image has an empty size {facts.width}x{facts.height}")
    return facts.media_type, facts.width, facts.height


def rendering_from(response: RawResponse, *, width: int, redact: Redactor) -> Rendering:
    """The image in a 200 answer, checked: ``<Response><ResultImage>base64</ResultImage>``,
    a real PNG/JPEG, exactly ``width`` pixels wide. :class:`BadResponseError` otherwise."""

    def bad(problem: str) -> BadResponseError:
        # The request id is redacted only for an error: a good answer does not pay for it.
        request_id = redact(response.request_id or "", 128) or None
        return BadResponseError(
            problem, backend=BACKEND, status=response.status, request_id=request_id
        )

    if response.content_encoding is not None:
        raise bad(
            f"the answer is {redact(response.content_encoding, 40)}-encoded, but the request "
            "asked for identity; refused unread"
        )
    plain = _PLAIN_ANSWER.fullmatch(response.body)
    if plain is not None:  # the service's own shape: nothing in it an XML parser would change
        encoded: str | None = plain.group(1).decode("ascii").strip() or None
    else:
        try:
            root = parse_xml(response.body)
        except ValueError as exc:
            raise bad(f"the answer is not well-formed, safe XML ({exc})") from None
        if root.tag != "Response":
            raise bad(f"the answer is XML <{redact(root.tag, 40)}>, not <Response>")
        encoded = _child_text(root, "ResultImage")
    if encoded is None:
        raise bad("the answer has no <ResultImage>")
    try:
        data = _b64decode(encoded)
    except (binascii.Error, ValueError):
        raise bad("<ResultImage> is not valid base64") from None
    try:
        media_type, real_width, real_height = image_size(data)
    except ValueError as exc:
        raise bad(f"<ResultImage> is not a usable image: {redact(str(exc), 120)}") from None
    if real_width != width:
        raise bad(f"the image is {real_width} px wide, not the {width} px requested")
    return Rendering(data=data, media_type=media_type, width=real_width, height=real_height)
