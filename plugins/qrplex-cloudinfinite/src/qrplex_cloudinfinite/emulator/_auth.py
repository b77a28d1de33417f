"""Verifying the COS "q-sign" signature of a request, as the service does.

Decisions where the public documentation is silent:

* No signature at all: ``403 AccessDenied`` (buckets bound to Cloud Infinite are private).
* A malformed ``Authorization`` value or an algorithm other than ``sha1``:
  ``403 AccessDenied`` naming the problem.
* The signature may travel in the ``Authorization`` header or as ``q-*`` query parameters
  (then those parameters are not part of the signed ones); the header wins if both are sent.
* Temporary credentials: the temporary SecretId without a token is unknown
  (``403 InvalidAccessKeyId``, as the service answers users who forget the token); a token that
  does not exist or belongs to another SecretId is ``403 AccessDenied``; an expired token is
  ``400 ExpiredToken``; a token that is sent but not signed is ``403 AccessDenied``. The token
  is read from ``x-cos-security-token`` (header, or query parameter in presigned URLs) or
  ``x-ci-security-token``.
* A ``q-sign-time`` starting more than 15 minutes after the server's clock is
  ``403 RequestTimeTooSkewed``; otherwise a server time outside the window is
  ``403 AccessDenied`` "Request has expired". Both carry ``<ServerTime>``.
* A signed ``host`` is accepted with or without the non-default port of the ``Host`` header
  (the Python SDK signs it without, the Go SDK with).
* A listed header or parameter missing from the request is a signature mismatch.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable, Mapping

from .._signing import (
    SIGNATURE_FIELDS,
    SignatureFields,
    cos_quote,
    format_string,
    parse_authorization,
    sign_key,
    string_to_sign,
)
from ._config import Credential, EmulatorConfig
from ._errors import ServiceError, access_denied
from ._request import Request, strip_default_port
from ._responses import iso_time

__all__ = ["AUTH_PARAMS", "MAX_SKEW", "authenticate"]

AUTH_PARAMS = frozenset(SIGNATURE_FIELDS)
"""Query parameters that carry the signature itself (never signed)."""

MAX_SKEW = 15 * 60
"""Seconds a signature window may start in the server's future before it is "too skewed"."""

_TOKEN_HEADERS = ("x-cos-security-token", "x-ci-security-token")


def _fields(request: Request) -> tuple[SignatureFields, bool]:
    header = request.headers.get("authorization", "")
    from_query = not header
    if from_query:
        pairs = [(k.lower(), v) for k, v in request.query if k.lower() in AUTH_PARAMS]
        if not pairs:
            raise access_denied("Access Denied.")
        header = "&".join(f"{k}={v}" for k, v in pairs)
    try:
        fields = parse_authorization(header)
    except ValueError as exc:
        raise access_denied(f"Invalid Authorization: {exc}") from None
    if fields.algorithm.lower() != "sha1":
        raise access_denied(
            f"Invalid Authorization: unsupported q-sign-algorithm {fields.algorithm!r}"
        )
    return fields, from_query


def _invalid_access_key() -> ServiceError:
    return ServiceError(
        403, "InvalidAccessKeyId", "The Access Key Id you provided does not exist in our records"
    )


def _credential(
    request: Request, fields: SignatureFields, config: EmulatorConfig, now: float
) -> Credential:
    permanent = config.permanent(fields.secret_id)
    if permanent is not None:
        return permanent
    if not config.known_secret_id(fields.secret_id):
        raise _invalid_access_key()
    token, signed = None, False
    for name in _TOKEN_HEADERS:
        if request.headers.get(name):
            token, signed = request.headers[name], name in fields.header_list
            break
    else:
        token = request.param("x-cos-security-token")
        signed = "x-cos-security-token" in fields.url_param_list
    if not token:
        raise _invalid_access_key()
    credential = config.temporary_for(fields.secret_id, token)
    if credential is None:
        raise access_denied("The security token you provided is invalid.")
    if now >= credential.expires_at:
        raise ServiceError(400, "ExpiredToken", "The provided token has expired.")
    if not signed:
        raise access_denied("The security token must be signed (list it in q-header-list).")
    return credential


def _check_window(fields: SignatureFields, config: EmulatorConfig, now: float) -> None:
    start, end = fields.window
    if start > now + MAX_SKEW:
        raise ServiceError(
            403,
            "RequestTimeTooSkewed",
            "The difference between the request time and the server's time is too large.",
            extra={"ServerTime": iso_time(now)},
        )
    if not start <= now <= end:
        raise access_denied("Request has expired", ServerTime=iso_time(now))
    if config.max_window is not None and end - start > config.max_window:
        raise access_denied(
            f"The q-sign-time window is longer than the {config.max_window} s allowed."
        )


def _pick(listed: Iterable[str], present: Iterable[tuple[str, str]]) -> tuple[dict[str, str], bool]:
    """Select the listed (encoded, lower-case) names among the request's decoded pairs."""
    by_name: dict[str, tuple[str, str]] = {}
    for key, value in present:
        by_name.setdefault(cos_quote(key).lower(), (key, value))
    chosen: dict[str, str] = {}
    complete = True
    for name in listed:
        if name in by_name:
            key, value = by_name[name]
            chosen[key] = value
        else:
            complete = False
    return chosen, complete


def _host_variants(headers: Mapping[str, str]) -> list[dict[str, str]]:
    variants = [dict(headers)]
    host = headers.get("host")
    if host is not None and strip_default_port(host) != host:
        variants.append({**headers, "host": strip_default_port(host)})
    return variants


def authenticate(request: Request, config: EmulatorConfig, now: float) -> Credential:
    """Verify the request's signature; return the credential it was signed with.

    Raises:
        ServiceError: the service's answer when the request is not authentic.
    """
    fields, from_query = _fields(request)
    credential = _credential(request, fields, config, now)
    _check_window(fields, config, now)

    query = [(k, v) for k, v in request.query if not (from_query and k.lower() in AUTH_PARAMS)]
    params, params_complete = _pick(fields.url_param_list, query)
    headers, headers_complete = _pick(fields.header_list, request.headers.items())
    key = sign_key(credential.secret_key, fields.key_time)

    first: tuple[str, str] | None = None
    for variant in _host_variants(headers):
        http_string, _, _ = format_string(request.method, request.path, params, variant)
        to_sign = string_to_sign(fields.sign_time, http_string)
        expected = hmac.new(key.encode(), to_sign.encode(), "sha1").hexdigest()
        if first is None:
            first = (to_sign, http_string)
        if (
            params_complete
            and headers_complete
            and hmac.compare_digest(expected.encode(), fields.signature.lower().encode())
        ):
            return credential
    assert first is not None
    raise ServiceError(
        403,
        "SignatureDoesNotMatch",
        "The Signature you specified is invalid.",
        extra={"StringToSign": first[0], "FormatString": first[1]},
    )
