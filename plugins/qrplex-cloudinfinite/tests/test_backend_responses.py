"""Untrusted answers: XML, base64, image sniffing, error mapping, redaction and the clock.

These run against fabricated responses and :class:`httpx.MockTransport`, no emulator.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from qrplex import CodeRequest
from qrplex.errors import (
    BackendAuthError,
    BackendError,
    BackendRejectedError,
    BackendUnavailableError,
    BadResponseError,
    InvalidContentError,
    UnsupportedError,
)
from qrplex_cloudinfinite import CloudInfiniteBackend
from qrplex_cloudinfinite._clock import Correction, SkewedClock, parse_server_time
from qrplex_cloudinfinite._responses import (
    RawResponse,
    Redactor,
    error_for,
    image_size,
    rendering_from,
)
from qrplex_cloudinfinite._signing import authorization, parse_authorization

SECRET_ID = "AKIDunitTestSecretId000000000000"
SECRET_KEY = "UnitTestSecretKeyNeverShown00000"
TOKEN = "UnitTestSessionTokenNeverShown"
REDACT = Redactor([SECRET_ID, SECRET_KEY, TOKEN])
SETTINGS: dict[str, Any] = {
    "bucket": "examplebucket-1250000000",
    "region": "ap-guangzhou",
    "secret_id": SECRET_ID,
    "secret_key": SECRET_KEY,
    "endpoint": "http://ci.test:9000",
}


def png(width: int, height: int = 0) -> bytes:
    out = io.BytesIO()
    Image.new("L", (width, height or width), 255).save(out, "PNG")
    return out.getvalue()


def jpeg(width: int, height: int = 0) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height or width), (255, 255, 255)).save(out, "JPEG")
    return out.getvalue()


def success_xml(data: bytes) -> bytes:
    encoded = base64.b64encode(data).decode()
    return f"<Response><ResultImage>{encoded}</ResultImage></Response>".encode()


def error_xml(code: str, message: str, **extra: str) -> bytes:
    fields = "".join(f"<{key}>{value}</{key}>" for key, value in extra.items())
    return (
        "<?xml version='1.0' encoding='utf-8' ?>"
        f"<Error><Code>{code}</Code><Message>{message}</Message><Resource>r</Resource>"
        f"<RequestId>NjAxRequestId</RequestId><TraceId>trace</TraceId>{fields}</Error>"
    ).encode()


def raw(
    status: int = 200,
    body: bytes = b"",
    *,
    request_id: str | None = "NjAxRequestId",
    **headers: str,
) -> RawResponse:
    all_headers = {key.replace("_", "-"): value for key, value in headers.items()}
    if request_id is not None:
        all_headers["x-cos-request-id"] = request_id
    return RawResponse(status=status, headers=all_headers, body=body, received_at=1_700_000_000.0)


# -- images -------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [png, jpeg])
@pytest.mark.parametrize(("width", "height"), [(1, 1), (300, 300), (321, 97)])
def test_image_size_reads_the_header(
    make: Callable[[int, int], bytes], width: int, height: int
) -> None:
    media_type, real_width, real_height = image_size(make(width, height))
    assert media_type == ("image/png" if make is png else "image/jpeg")
    assert (real_width, real_height) == (width, height)


def test_progressive_jpeg() -> None:
    out = io.BytesIO()
    Image.new("RGB", (120, 40)).save(out, "JPEG", progressive=True)
    assert image_size(out.getvalue()) == ("image/jpeg", 120, 40)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "not a PNG or JPEG"),
        (b"GIF89a....", "not a PNG or JPEG"),
        (b"<svg/>", "not a PNG or JPEG"),
        (png(50)[:-5], "truncated"),
        (png(50)[:30], "truncated"),
        (b"\x89PNG\r\n\x1a\n", "truncated"),
        (jpeg(50)[:-2], "truncated"),
        (b"\xff\xd8\xff\xd9", "no frame header"),
        (b"\xff\xd8\xff\xe0\x00\x04\x00\x00\x00\x00\xff\xd9", "malformed"),
        (b"\xff\xd8\xff\xe0\x00\x01\x00\x00\xff\xd9", "malformed"),
        (b"\xff\xd8\xff\xc0\x00\x05\x08\x00\xff\xd9", "truncated frame header"),
        (b"\xff\xd8\xff\xda\x00\x02\xff\xd9", "no frame header"),
    ],
)
def test_image_size_refuses_broken_images(data: bytes, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        image_size(data)


def test_png_with_a_bad_crc_is_refused() -> None:
    data = bytearray(png(40))
    data[20] ^= 0xFF  # inside IHDR
    with pytest.raises(ValueError, match="truncated or corrupt"):
        image_size(bytes(data))


def test_png_must_start_with_ihdr() -> None:
    chunk = b"tEXt" + b"a\x00b"
    body = struct.pack(">I", 3) + chunk + struct.pack(">I", zlib.crc32(chunk))
    with pytest.raises(ValueError, match="truncated or corrupt"):
        image_size(b"\x89PNG\r\n\x1a\n" + body)


def test_png_of_zero_width_is_refused() -> None:
    ihdr = b"IHDR" + struct.pack(">IIBBBBB", 0, 10, 8, 0, 0, 0, 0)
    iend = b"IEND"
    data = b"\x89PNG\r\n\x1a\n"
    for chunk in (ihdr, iend):
        data += struct.pack(">I", len(chunk) - 4) + chunk + struct.pack(">I", zlib.crc32(chunk))
    with pytest.raises(ValueError, match="empty size"):
        image_size(data)


# -- success bodies -----------------------------------------------------------------------


def test_rendering_from_a_good_answer() -> None:
    image = png(300, 300)
    rendering = rendering_from(raw(body=success_xml(image)), width=300, redact=REDACT)
    assert rendering.data == image
    assert (rendering.media_type, rendering.width, rendering.height) == ("image/png", 300, 300)


def test_jpeg_is_reported_truthfully() -> None:
    rendering = rendering_from(raw(body=success_xml(jpeg(200, 80))), width=200, redact=REDACT)
    assert rendering.media_type == "image/jpeg"
    assert rendering.height == 80


def test_line_wrapped_base64_is_accepted() -> None:
    encoded = base64.encodebytes(png(64)).decode()  # 76-column lines
    body = f"<Response><ResultImage>\n{encoded}</ResultImage></Response>".encode()
    assert rendering_from(raw(body=body), width=64, redact=REDACT).width == 64


def _outcome(body: bytes) -> tuple[str, object]:
    try:
        rendering = rendering_from(raw(body=body), width=64, redact=REDACT)
    except BadResponseError as error:
        return "error", str(error)
    return "image", rendering


_B64_TEXT = st.text(
    alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/= \t\r\n"
)


@given(
    inner=st.one_of(
        _B64_TEXT,
        st.builds(
            lambda cuts, spaces: "".join(
                piece + spaces for piece in _split(base64.b64encode(png(64)).decode(), cuts)
            ),
            st.lists(st.integers(0, 200), max_size=6),
            st.sampled_from(["", " ", "\n", "\r\n", "\t "]),
        ),
    ),
    tail=st.sampled_from(["", "\n", " \r\n\t"]),
)
def test_the_plain_answer_reads_as_the_xml_parser_reads_it(inner: str, tail: str) -> None:
    """A success answer in the service's exact shape skips the XML parser; the same
    document with an XML declaration goes through it: the outcome is the same."""
    document = f"<Response><ResultImage>{inner}</ResultImage></Response>{tail}"
    parsed = f'<?xml version="1.0" encoding="utf-8"?>{document}'
    assert _outcome(document.encode()) == _outcome(parsed.encode())


def _split(text: str, cuts: list[int]) -> list[str]:
    points = sorted({min(cut, len(text)) for cut in cuts})
    return [text[a:b] for a, b in zip([0, *points], [*points, len(text)], strict=True)]


def test_an_answer_in_another_shape_goes_through_the_parser() -> None:
    """References, attributes and comments are XML's to resolve: such an answer is parsed
    (and still read right), never matched as the plain shape."""
    encoded = base64.b64encode(png(64)).decode()
    for body in (
        f"<Response><ResultImage>{encoded[:5]}&#{ord(encoded[5])};{encoded[6:]}</ResultImage>"
        "</Response>",
        f'<Response kind="qr"><ResultImage>{encoded}</ResultImage></Response>',
        f"<Response><ResultImage>{encoded}</ResultImage><!-- note --></Response>",
    ):
        assert rendering_from(raw(body=body.encode()), width=64, redact=REDACT).width == 64


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"", "not well-formed"),
        (b"<Response><ResultImage>abc", "not well-formed"),
        (b"not xml at all", "not well-formed"),
        (b'<!DOCTYPE r [<!ENTITY a "aaaa">]><Response>&a;</Response>', "DTDForbidden"),
        (b'<?xml version="1.0" encoding="no-such"?><Response/>', "not well-formed"),
        (b"<Error><Code>x</Code></Error>", "<Error>, not <Response>"),
        (b"<Response></Response>", "no <ResultImage>"),
        (b"<Response><ResultImage>  </ResultImage></Response>", "no <ResultImage>"),
        (b"<Response><ResultImage>iVBORw0KGgo*</ResultImage></Response>", "not valid base64"),
        (b"<Response><ResultImage>iVBORw0KGg</ResultImage></Response>", "not valid base64"),
        (success_xml(png(300)[:-20]), "truncated"),
        (success_xml(b"<html>portal</html>"), "not a PNG or JPEG"),
        (success_xml(png(299)), "299 px wide, not the 300 px requested"),
    ],
)
def test_unusable_answers_are_bad_responses(body: bytes, problem: str) -> None:
    with pytest.raises(BadResponseError, match=problem) as caught:
        rendering_from(raw(body=body), width=300, redact=REDACT)
    assert caught.value.request_id == "NjAxRequestId"
    assert caught.value.backend == "cloudinfinite"
    assert "\n" not in str(caught.value)


# -- error mapping ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "code", "kind"),
    [
        (403, "SignatureDoesNotMatch", BackendAuthError),
        (403, "AccessDenied", BackendAuthError),
        (403, "InvalidAccessKeyId", BackendAuthError),
        (403, "RequestTimeTooSkewed", BackendAuthError),
        (400, "ExpiredToken", BackendAuthError),
        (401, "Unauthorized", BackendAuthError),
        (400, "InvalidArgument", BackendRejectedError),
        (400, "MissingContent", BackendRejectedError),
        (400, "CIRoleNotExist", BackendRejectedError),
        (404, "NoSuchBucket", BackendRejectedError),
        (413, "EntityTooLarge", BackendRejectedError),
        (301, "PermanentRedirect", BackendRejectedError),
        (500, "InternalError", BackendUnavailableError),
        (502, "BadGateway", BackendUnavailableError),
        (503, "SlowDown", BackendUnavailableError),
        (503, "ServiceUnavailable", BackendUnavailableError),
        (429, "TooManyRequests", BackendUnavailableError),
        (204, "Odd", BadResponseError),
    ],
)
def test_error_mapping(status: int, code: str, kind: type[BackendError]) -> None:
    error = error_for(raw(status, error_xml(code, "Something went wrong")), REDACT, bucket="b-1")
    assert type(error) is kind
    assert (error.status, error.code, error.request_id) == (status, code, "NjAxRequestId")
    assert error.backend == "cloudinfinite"
    assert str(error).startswith("cloudinfinite: ")
    assert f"HTTP {status}, code {code}, request id NjAxRequestId" in str(error)


def test_signature_error_message_reads_well() -> None:
    body = error_xml(
        "SignatureDoesNotMatch",
        "The Signature you specified is invalid.",
        StringToSign="sha1\n1;2\nabc\n",
    )
    error = error_for(raw(403, body), REDACT, bucket="b-1")
    assert str(error) == (
        "cloudinfinite: The Signature you specified is invalid. "
        "(HTTP 403, code SignatureDoesNotMatch, request id NjAxRequestId)"
    )


def test_no_such_bucket_points_at_the_setting() -> None:
    error = error_for(
        raw(404, error_xml("NoSuchBucket", "The specified bucket does not exist.")),
        REDACT,
        bucket="other-1250000000",
    )
    assert isinstance(error, BackendRejectedError)
    assert "bucket ('other-1250000000'" in str(error)


def test_ok_with_request_id_is_not_an_error() -> None:
    assert error_for(raw(200, b"<Response/>"), REDACT, bucket="b-1") is None


@pytest.mark.parametrize("status", [200, 403, 500, 503, 302])
def test_any_answer_without_request_id_is_unavailable(status: int) -> None:
    response = raw(status, success_xml(png(10)), request_id=None)
    error = error_for(response, REDACT, bucket="b-1")
    assert isinstance(error, BackendUnavailableError)
    assert error.status == status
    assert error.request_id is None
    assert "x-cos-request-id" in str(error)
    assert error_for(raw(status, request_id="  "), REDACT, bucket="b-1").__class__ is (
        BackendUnavailableError
    )


def test_error_without_xml_still_maps_by_status() -> None:
    error = error_for(raw(502, b"<html>Bad gateway</html>"), REDACT, bucket="b-1")
    assert isinstance(error, BackendUnavailableError)
    assert error.code is None
    assert error.message == "HTTP 502 from the service."


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("7", 7.0),
        ("0", 0.0),
        ("99999999", 86400.0),
        (format_datetime(datetime.fromtimestamp(1_700_000_030, UTC), usegmt=True), 30.0),
        (format_datetime(datetime.fromtimestamp(1_699_000_000, UTC), usegmt=True), 0.0),
        ("soon", None),
        ("-5", None),
        ("²", None),
        ("1.5", None),
        ("١٢", None),  # Arabic-Indic digits
        ("１２", None),  # fullwidth digits
        ("+3", None),
        ("9" * 5000, 86400.0),  # more digits than int() converts
        ("000000000000007", 7.0),
        ("Mon, 01 Jan 99999 00:00:00 GMT", None),
    ],
)
def test_retry_after(header: str, expected: float | None) -> None:
    response = raw(503, error_xml("SlowDown", "Please reduce your request rate."))
    response = RawResponse(
        status=503,
        headers={**response.headers, "retry-after": header},
        body=response.body,
        received_at=response.received_at,
    )
    error = error_for(response, REDACT, bucket="b-1")
    assert isinstance(error, BackendUnavailableError)
    assert error.retry_after == expected


def test_hostile_error_text_is_flattened_and_redacted() -> None:
    message = f"bad\r\nkey {SECRET_KEY}\ttoken {TOKEN}\u2028\u0085" + "x" * 1000
    response = raw(400, error_xml("InvalidArgument", message), request_id=f"id\n{SECRET_ID}")
    error = error_for(response, REDACT, bucket="b-1")
    assert error is not None
    assert error.code == "InvalidArgument"
    assert error.message.startswith("bad key *** token *** xxx")
    text = str(error) + repr(error)
    for secret in (SECRET_ID, SECRET_KEY, TOKEN):
        assert secret not in text
    for control in "\n\r\t\u2028\u0085":
        assert control not in str(error)
    assert len(error.message) <= 301
    assert error.request_id == "id ***"


def test_redactor() -> None:
    redact = Redactor(["abc", "abcdef", ""])
    assert redact("x abcdef y abc\tz") == "x *** y *** z"
    assert redact("a\x00b\x1b[31mc\x7fd\u202ee") == "a b [31mc d e"
    assert redact("a" * 20, 10) == "a" * 9 + "…"


# -- clock --------------------------------------------------------------------------------


def test_parse_server_time() -> None:
    assert parse_server_time("2020-06-17T05:37:29Z", None) == 1592372249.0
    assert parse_server_time("2020-06-17T05:37:29", None) == 1592372249.0
    assert parse_server_time(None, "Wed, 17 Jun 2020 05:37:29 GMT") == 1592372249.0
    # A malformed <ServerTime> makes the reply malformed: the Date header does not stand in.
    assert parse_server_time("garbage", "Wed, 17 Jun 2020 05:37:29 GMT") is None
    assert parse_server_time("２０２０-06-17T05:37:29Z", None) is None  # fullwidth digits
    assert parse_server_time(None, "garbage") is None
    assert parse_server_time(None, None) is None


def test_skewed_clock() -> None:
    clock = SkewedClock(lambda: 1000.0)
    assert clock.now() == 1000.0
    assert clock.correct(8200.0, 1000.0) is Correction.CORRECTED
    assert clock.offset == 7200.0
    assert clock.now() == 8200.0
    assert clock.correct(8200.5, 1000.0) is Correction.UNCHANGED  # not worth a new signature
    assert clock.correct(1e12, 1000.0) is Correction.TOO_FAR
    assert clock.correct(1000.0 + 86400 + 1, 1000.0) is Correction.TOO_FAR  # over a day
    assert clock.correct(1000.0 - 86400 - 1, 1000.0) is Correction.TOO_FAR
    assert clock.offset == 7200.0
    assert clock.correct(900.0, 1000.0) is Correction.CORRECTED
    assert clock.offset == -100.0
    clock.revert(-100.0, 7200.0)
    assert clock.offset == 7200.0
    clock.revert(-100.0, 0.0)  # changed since: left alone
    assert clock.offset == 7200.0


# -- the backend over a mock transport ----------------------------------------------------


class FakeService:
    """A minimal in-test service: checks the signature, answers what a test scripts."""

    def __init__(self, answer: Callable[[httpx.Request], httpx.Response] | None = None) -> None:
        self.requests: list[httpx.Request] = []
        self.answer = answer or self.image

    def image(self, request: httpx.Request) -> httpx.Response:
        width = int(dict(parse_qsl(urlsplit(str(request.url)).query))["width"])
        return httpx.Response(
            200, content=success_xml(png(width)), headers={"x-cos-request-id": "OkId"}
        )

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        fields = parse_authorization(request.headers["authorization"])
        params = dict(parse_qsl(request.url.query.decode(), keep_blank_values=True))
        headers = {name: request.headers[name] for name in fields.header_list}
        start, end = fields.window
        expected = authorization(
            secret_id=SECRET_ID,
            secret_key=SECRET_KEY,
            method=request.method,
            path=request.url.path,
            params={name: params[name] for name in fields.url_param_list},
            headers=headers,
            start=start,
            end=end,
        )
        assert request.headers["authorization"] == expected
        return self.answer(request)


def backend_for(service: FakeService, **changes: Any) -> CloudInfiniteBackend:
    return CloudInfiniteBackend(
        {**SETTINGS, **changes},
        transport=httpx.MockTransport(service),
        async_transport=httpx.MockTransport(service),
    )


def test_the_wire_request() -> None:
    service = FakeService()
    backend = backend_for(service, token=TOKEN)
    rendering = backend.render(CodeRequest("a b+c/é&=?", "qr", "png", 240))
    assert rendering.width == 240
    (request,) = service.requests
    assert request.method == "GET"
    assert request.url.raw_path == (
        b"/?ci-process=qrcode-generate&qrcode-content=a%20b%2Bc%2F%C3%A9%26%3D%3F&mode=0&width=240"
    )
    assert request.headers["host"] == "ci.test:9000"
    assert request.headers["x-cos-security-token"] == TOKEN
    fields = parse_authorization(request.headers["authorization"])
    assert fields.header_list == ("host", "x-cos-security-token")
    assert fields.url_param_list == ("ci-process", "mode", "qrcode-content", "width")
    assert fields.secret_id == SECRET_ID
    start, end = fields.window
    assert end - start == 900 + 60
    backend.close()


def test_ean13_drops_the_check_digit_and_defaults_the_width() -> None:
    service = FakeService()
    backend = backend_for(service)
    rendering = backend.render(CodeRequest("4006381333931", "ean13", "png"))
    assert rendering.width == 300
    params = dict(parse_qsl(service.requests[0].url.query.decode()))
    assert params == {
        "ci-process": "qrcode-generate",
        "qrcode-content": "400638133393",
        "mode": "1",
        "width": "300",
    }
    backend.close()


@pytest.mark.parametrize(
    ("request_", "error"),
    [
        (CodeRequest("12345", "ean13"), InvalidContentError),
        (CodeRequest("x", "code128"), UnsupportedError),
        (CodeRequest("x", "qr", "svg"), UnsupportedError),
    ],
)
def test_requests_it_cannot_send(request_: CodeRequest, error: type[Exception]) -> None:
    service = FakeService()
    with pytest.raises(error):
        backend_for(service).render(request_)
    assert service.requests == []


def test_oversized_answer_by_content_length_is_refused_unread() -> None:
    def huge(request: httpx.Request) -> httpx.Response:
        def stream() -> Any:
            yield b"<Response>"
            raise AssertionError("the body must not be read")

        return httpx.Response(
            200,
            headers={"content-length": str(50 * 1024 * 1024), "x-cos-request-id": "BigId"},
            content=stream(),
        )

    with pytest.raises(BadResponseError, match="larger than 20 MiB") as caught:
        backend_for(FakeService(huge)).render(CodeRequest("x"))
    assert caught.value.request_id == "BigId"


def test_oversized_streamed_answer_is_cut_off() -> None:
    chunks_read = 0

    def endless(request: httpx.Request) -> httpx.Response:
        def stream() -> Any:
            nonlocal chunks_read
            while True:
                chunks_read += 1
                yield b"A" * (1024 * 1024)

        return httpx.Response(200, headers={"x-cos-request-id": "BigId"}, content=stream())

    with pytest.raises(BadResponseError, match="larger than 20 MiB"):
        backend_for(FakeService(endless)).render(CodeRequest("x"))
    assert chunks_read <= 22


async def test_oversized_streamed_answer_is_cut_off_async() -> None:
    async def endless(request: httpx.Request) -> httpx.Response:
        async def stream() -> Any:
            while True:
                yield b"A" * (1024 * 1024)

        return httpx.Response(200, headers={"x-cos-request-id": "BigId"}, content=stream())

    backend = CloudInfiniteBackend(SETTINGS, async_transport=httpx.MockTransport(endless))
    with pytest.raises(BadResponseError, match="larger than 20 MiB"):
        await backend.arender(CodeRequest("x"))
    await backend.aclose()


def test_redirects_are_not_followed() -> None:
    def redirect(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            302, headers={"location": "http://elsewhere.test/", "x-cos-request-id": "R"}
        )

    service = FakeService(redirect)
    with pytest.raises(BackendRejectedError, match="redirected") as caught:
        backend_for(service).render(CodeRequest("x"))
    assert caught.value.status == 302
    assert len(service.requests) == 1


def test_transport_errors_are_unavailable() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("peer closed connection", request=request)

    with pytest.raises(BackendUnavailableError, match="broke mid-answer"):
        backend_for(FakeService(broken)).render(CodeRequest("x"))


@pytest.mark.parametrize("skew", [7200, -7200])
def test_clock_skew_is_learned_and_retried_once(skew: int) -> None:
    def strict(request: httpx.Request) -> httpx.Response:
        server_now = datetime.now(UTC).timestamp() + skew
        start, end = parse_authorization(request.headers["authorization"]).window
        if start <= server_now <= end:
            return FakeService.image(service, request)
        stamp = datetime.fromtimestamp(server_now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return httpx.Response(
            403,
            content=error_xml("AccessDenied", "Request has expired", ServerTime=stamp),
            headers={"x-cos-request-id": "SkewId"},
        )

    service = FakeService(strict)
    backend = backend_for(service)
    assert backend.render(CodeRequest("x", width=100)).width == 100
    assert len(service.requests) == 2
    assert abs(backend.clock_offset - skew) < 3
    backend.render(CodeRequest("x", width=100))  # the offset is kept: one call
    assert len(service.requests) == 3


def test_skew_refusal_without_a_usable_time_is_not_retried() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            403,
            content=error_xml("RequestTimeTooSkewed", "skewed"),
            headers={"x-cos-request-id": "SkewId"},
        )

    service = FakeService(refuse)
    with pytest.raises(BackendAuthError):
        backend_for(service).render(CodeRequest("x"))
    assert len(service.requests) == 1


def test_retry_after_date_is_measured_on_the_service_clock() -> None:
    def stamp(seconds: float) -> str:
        return format_datetime(datetime.fromtimestamp(seconds, UTC), usegmt=True)

    response = RawResponse(
        status=503,
        headers={
            "x-cos-request-id": "Id",
            "date": stamp(1_800_000_000),  # the service's clock runs far ahead of ours
            "retry-after": stamp(1_800_000_045),
        },
        body=error_xml("SlowDown", "Please reduce your request rate."),
        received_at=1_700_000_000.0,
    )
    error = error_for(response, REDACT, bucket="b-1")
    assert isinstance(error, BackendUnavailableError)
    assert error.retry_after == 45.0


def test_redactor_is_fast_on_huge_text() -> None:
    import time

    huge = ("x" * 1000 + SECRET_KEY + "\n") * 20_000  # ~20 MB
    started = time.monotonic()
    text = REDACT(huge)
    assert time.monotonic() - started < 1.0
    assert SECRET_KEY not in text
    assert SECRET_KEY[:5] not in text
    assert len(text) <= 300
    assert text.endswith("…")


class CountingRedactor(Redactor):
    """A :class:`Redactor` that counts its calls."""

    calls = 0

    def __call__(self, text: str, limit: int = 300) -> str:
        self.calls += 1
        return super().__call__(text, limit)


def test_a_good_answer_pays_for_no_redaction() -> None:
    redact = CountingRedactor([SECRET_ID, SECRET_KEY])
    good = raw(body=success_xml(png(300)))
    assert error_for(good, redact, bucket="examplebucket-1250000000") is None
    assert rendering_from(good, width=300, redact=redact).width == 300
    assert redact.calls == 0


def test_a_bad_answer_still_blanks_secrets_out_of_its_request_id() -> None:
    redact = CountingRedactor([SECRET_ID, SECRET_KEY])
    bad = raw(body=success_xml(png(200)), request_id=f"id-{SECRET_KEY}")
    with pytest.raises(BadResponseError) as caught:
        rendering_from(bad, width=300, redact=redact)
    assert caught.value.request_id == "id-***"
    refused = error_for(
        raw(403, error_xml("AccessDenied", "no"), request_id=f"x{SECRET_ID}"), redact, bucket="b"
    )
    assert refused is not None
    assert refused.request_id == "x***"
