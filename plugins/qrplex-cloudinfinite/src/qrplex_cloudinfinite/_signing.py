"""The COS request signature ("q-sign", HMAC-SHA1), shared by the client and the emulator.

The algorithm (COS signature doc, cloud.tencent.com/document/product/436/7778):

1. ``KeyTime = "<start>;<end>"`` (Unix seconds), sent as ``q-sign-time`` and ``q-key-time``.
2. ``SignKey = hex(HMAC-SHA1(SecretKey, KeyTime))``; the 40-character hex *text* keys step 6.
3. Signed query parameters and headers: ``UrlEncode(key).lower()=UrlEncode(value)``, sorted by
   the encoded key, joined with ``&``; the encoded keys joined with ``;`` are the lists.
4. ``HttpString = lower(method)\\n<decoded path>\\n<params>\\n<headers>\\n``.
5. ``StringToSign = "sha1\\n" + KeyTime + "\\n" + hex(sha1(HttpString)) + "\\n"``.
6. ``Signature = hex(HMAC-SHA1(SignKey, StringToSign))``.

Which parameters and headers are signed is the caller's choice; a server recomputes from
exactly the names listed in the ``Authorization`` value.

Nothing here logs, and no value returned or raised contains a secret key.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import quote

__all__ = [
    "SIGNATURE_FIELDS",
    "RequestSigner",
    "SignatureFields",
    "authorization",
    "cos_quote",
    "format_string",
    "parse_authorization",
    "sign_key",
    "string_to_sign",
]

_SAFE = "-_.~"
_UNRESERVED = re.compile(r"[A-Za-z0-9_.~-]*")
_TIME = re.compile(r"\A[0-9]{1,20};[0-9]{1,20}\Z")
_ASCII_QUOTED = {
    code: f"%{code:02X}"
    for code in range(128)
    if not (chr(code).isascii() and (chr(code).isalnum() or chr(code) in _SAFE))
}
"""ASCII characters percent-encoded the COS way (what :func:`urllib.parse.quote` makes of
them with ``safe="-_.~"``), for :meth:`str.translate`."""
SIGNATURE_FIELDS = (
    "q-sign-algorithm",
    "q-ak",
    "q-sign-time",
    "q-key-time",
    "q-header-list",
    "q-url-param-list",
    "q-signature",
)


def cos_quote(text: str) -> str:
    """Percent-encode ``text`` the COS way.

    UTF-8 bytes; everything except ``A-Z a-z 0-9 - _ . ~`` is encoded with uppercase hex;
    a space becomes ``%20`` (never ``+``) and ``/`` becomes ``%2F``.
    """
    if _UNRESERVED.fullmatch(text):  # most names and values: nothing to encode
        return text
    if text.isascii():  # one pass in C (urllib's quote works a byte at a time in Python)
        return text.translate(_ASCII_QUOTED)
    return quote(text.encode("utf-8"), safe=_SAFE)


def _hmac_sha1_hex(key: str, message: str) -> str:
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha1).hexdigest()


def sign_key(secret_key: str, key_time: str) -> str:
    """Return ``SignKey``: lowercase hex HMAC-SHA1 of ``key_time`` keyed by ``secret_key``."""
    return _hmac_sha1_hex(secret_key, key_time)


def _canonical(pairs: Mapping[str, str]) -> tuple[str, str]:
    return _canonical_encoded([(cos_quote(key), cos_quote(value)) for key, value in pairs.items()])


def _canonical_encoded(encoded: Sequence[tuple[str, str]]) -> tuple[str, str]:
    """``(key=value&..., key;...)`` of pairs already percent-encoded: keys lowercased, sorted."""
    ordered = sorted((key.lower(), value) for key, value in encoded)
    joined = "&".join(f"{key}={value}" for key, value in ordered)
    names = ";".join(key for key, _ in ordered)
    return joined, names


def format_string(
    method: str,
    path: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
) -> tuple[str, str, str]:
    """Build the canonical request.

    Args:
        method: the HTTP method (any case).
        path: the *decoded* request path (``/`` for qrcode-generate).
        params: the query parameters to sign, decoded (``""`` for a parameter without value).
        headers: the headers to sign, decoded; names in any case.

    Returns:
        ``(http_string, url_param_list, header_list)``: the ``HttpString`` and the
        ``;``-joined encoded, lowercased, sorted parameter and header names.
    """
    http_parameters, url_param_list = _canonical(params)
    http_headers, header_list = _canonical(headers)
    http_string = f"{method.lower()}\n{path}\n{http_parameters}\n{http_headers}\n"
    return http_string, url_param_list, header_list


def string_to_sign(key_time: str, http_string: str) -> str:
    """Return ``StringToSign`` for a ``q-sign-time`` value and an ``HttpString``."""
    # SHA-1 is what the protocol mandates; it is not our choice.
    digest = hashlib.sha1(http_string.encode("utf-8")).hexdigest()  # noqa: S324
    return f"sha1\n{key_time}\n{digest}\n"


def authorization(
    *,
    secret_id: str,
    secret_key: str,
    method: str,
    path: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    start: int,
    end: int,
) -> str:
    """Return the full ``Authorization`` header value for a request.

    ``params`` and ``headers`` are exactly the ones to sign (decoded values); the caller
    chooses them. ``start``/``end`` bound the validity window in Unix seconds.
    """
    if end < start:
        raise ValueError(f"signature window ends ({end}) before it starts ({start})")
    key_time = f"{start};{end}"
    http_string, url_param_list, header_list = format_string(method, path, params, headers)
    signature = _hmac_sha1_hex(
        sign_key(secret_key, key_time), string_to_sign(key_time, http_string)
    )
    return (
        f"q-sign-algorithm=sha1&q-ak={secret_id}&q-sign-time={key_time}&q-key-time={key_time}"
        f"&q-header-list={header_list}&q-url-param-list={url_param_list}&q-signature={signature}"
    )


class RequestSigner:
    """Signs the requests of one client: :func:`authorization`'s result, without redoing
    per request what does not change between them.

    The signed headers are ``host`` (encoded once) and, with a temporary credential,
    ``x-cos-security-token``; query parameters come already percent-encoded (the request's
    own query is built from the same encoding); ``SignKey`` is kept for its ``KeyTime``
    (a window that starts and ends on whole seconds, so a busy client derives it about once
    a second, not once a request).

    Args:
        secret_id: returns the ``SecretId`` (sent as ``q-ak``).
        secret_key: returns the ``SecretKey`` when a ``SignKey`` is derived (neither is kept
            in an attribute, so neither shows in a ``repr`` or a debugger's view).
        host: the ``Host`` header sent.
        token: returns the security token, for a temporary credential.
    """

    __slots__ = ("_host", "_key", "_secret_id", "_secret_key", "_token")

    def __init__(
        self,
        *,
        secret_id: Callable[[], str],
        secret_key: Callable[[], str],
        host: str,
        token: Callable[[], str] | None = None,
    ) -> None:
        self._secret_id = secret_id
        self._secret_key = secret_key
        self._host = (cos_quote("host"), cos_quote(host))
        self._token = token
        self._key: tuple[str, str] | None = None

    def sign(
        self,
        encoded_params: Sequence[tuple[str, str]],
        *,
        start: int,
        end: int,
    ) -> str:
        """The ``Authorization`` value of a ``GET /`` request with these query parameters
        (``(cos_quote(name), cos_quote(value))`` pairs) and the signed headers, valid from
        ``start`` to ``end`` (Unix seconds)."""
        if end < start:
            raise ValueError(f"signature window ends ({end}) before it starts ({start})")
        key_time = f"{start};{end}"
        cached = self._key  # one read: another thread may replace it meanwhile
        if cached is not None and cached[0] == key_time:
            key = cached[1]
        else:
            key = sign_key(self._secret_key(), key_time)
            self._key = (key_time, key)
        headers = [self._host]
        if self._token is not None:
            headers.append(("x-cos-security-token", cos_quote(self._token())))
        http_parameters, url_param_list = _canonical_encoded(encoded_params)
        http_headers, header_list = _canonical_encoded(headers)
        http_string = f"get\n/\n{http_parameters}\n{http_headers}\n"
        signature = _hmac_sha1_hex(key, string_to_sign(key_time, http_string))
        return (
            f"q-sign-algorithm=sha1&q-ak={self._secret_id()}&q-sign-time={key_time}"
            f"&q-key-time={key_time}&q-header-list={header_list}"
            f"&q-url-param-list={url_param_list}&q-signature={signature}"
        )

    def __repr__(self) -> str:
        return f"<RequestSigner for {self._host[1]!r}>"

    def __reduce__(self) -> str | tuple[object, ...]:
        raise TypeError("a RequestSigner cannot be pickled")


@dataclass(frozen=True)
class SignatureFields:
    """The fields of a parsed ``Authorization`` value (none of them is secret).

    Attributes:
        algorithm: ``q-sign-algorithm`` (``sha1``).
        secret_id: ``q-ak``.
        sign_time: ``q-sign-time`` (``"<start>;<end>"``).
        key_time: ``q-key-time``.
        header_list: the signed header names, as listed (encoded, lowercase).
        url_param_list: the signed query parameter names, as listed.
        signature: ``q-signature`` (hex).
    """

    algorithm: str
    secret_id: str
    sign_time: str
    key_time: str
    header_list: tuple[str, ...]
    url_param_list: tuple[str, ...]
    signature: str

    @property
    def window(self) -> tuple[int, int]:
        """``q-sign-time`` as ``(start, end)`` Unix seconds."""
        start, end = self.sign_time.split(";")
        return int(start), int(end)


def _names(value: str) -> tuple[str, ...]:
    return tuple(value.split(";")) if value else ()


def parse_authorization(value: str) -> SignatureFields:
    """Parse an ``Authorization`` value (``q-sign-algorithm=sha1&q-ak=...``).

    Unknown fields are ignored. Raises :class:`ValueError` naming the problem when a field is
    missing, repeated or malformed.
    """
    fields: dict[str, str] = {}
    for part in value.strip().split("&"):
        if not part:
            continue
        key, sep, field_value = part.partition("=")
        key = key.strip().lower()
        if not sep:
            raise ValueError(f"malformed authorization: {key!r} has no '='")
        if key in fields:
            raise ValueError(f"malformed authorization: {key!r} appears more than once")
        fields[key] = field_value.strip()
    missing = [name for name in SIGNATURE_FIELDS if name not in fields]
    if missing:
        raise ValueError(f"malformed authorization: missing {', '.join(missing)}")
    for name in ("q-sign-time", "q-key-time"):
        if not _TIME.match(fields[name]):
            raise ValueError(
                f"malformed authorization: {name} must be '<start>;<end>' in Unix seconds"
            )
    for name in ("q-ak", "q-signature", "q-sign-algorithm"):
        if not fields[name]:
            raise ValueError(f"malformed authorization: {name} is empty")
    names = {name: _names(fields[name]) for name in ("q-header-list", "q-url-param-list")}
    for name, listed in names.items():
        if any(not entry for entry in listed):
            raise ValueError(f"malformed authorization: {name} has an empty entry")
    return SignatureFields(
        algorithm=fields["q-sign-algorithm"],
        secret_id=fields["q-ak"],
        sign_time=fields["q-sign-time"],
        key_time=fields["q-key-time"],
        header_list=names["q-header-list"],
        url_param_list=names["q-url-param-list"],
        signature=fields["q-signature"],
    )
