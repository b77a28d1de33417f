"""The Cloud Infinite emulator: signatures, parameters, rendering, headers, billing.

Tests run in process through ``httpx.ASGITransport``; the network faults, host ports and the
server's lifecycle are in ``test_emulator_server.py``.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import email.utils
import io
import time
from collections.abc import AsyncIterator, Mapping
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import zxingcpp
from defusedxml import ElementTree
from PIL import Image, ImageOps

from qrplex_cloudinfinite._signing import format_string, string_to_sign
from qrplex_cloudinfinite.emulator import Emulator, EmulatorConfig, Faults
from qrplex_cloudinfinite.emulator._render import render

QR = {"ci-process": "qrcode-generate", "qrcode-content": "https://www.example.com", "width": "200"}


def params(**changes: str | None) -> dict[str, str]:
    """The QR request with some parameters changed (``None`` removes one; ``_`` is ``-``)."""
    merged = {**QR, **{k.replace("_", "-"): v for k, v in changes.items()}}
    return {k: v for k, v in merged.items() if v is not None}


@pytest.fixture
async def client(emulator_app: Emulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


async def get(
    client: httpx.AsyncClient, signer: Any, query: Mapping[str, str], **kwargs: Any
) -> httpx.Response:
    target, headers = signer.request(query, **kwargs)
    return await client.get(target, headers=headers)


def error(response: httpx.Response, status: int, code: str) -> dict[str, str]:
    """The ``<Error>`` fields, after checking the status, code and shape."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/xml"
    assert response.text.startswith("<?xml version='1.0' encoding='utf-8' ?>")
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Error"
    fields = {child.tag: child.text or "" for child in root}
    assert list(fields)[:5] == ["Code", "Message", "Resource", "RequestId", "TraceId"]
    assert fields["Code"] == code, fields
    assert fields["RequestId"] == response.headers["x-cos-request-id"]
    return fields


def image(response: httpx.Response) -> Image.Image:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/xml"
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Response"
    (result,) = list(root)
    assert result.tag == "ResultImage"
    data = base64.b64decode(result.text or "", validate=True)
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    return Image.open(io.BytesIO(data))


def decode(img: Image.Image, **options: Any) -> list[Any]:
    return list(zxingcpp.read_barcodes(img.convert("L"), **options))


def margins(img: Image.Image) -> tuple[int, int, int]:
    """``(left, right, symbol width)`` in pixels, from the dark pixels' bounding box."""
    box = ImageOps.invert(img.convert("L")).getbbox()
    assert box is not None
    return box[0], img.width - box[2], box[2] - box[0]


# --- rendering -----------------------------------------------------------------------------


@pytest.mark.parametrize("width", ["33", "200", "201", "333", "1000"])
async def test_qr_code_decodes_to_the_content_at_the_exact_width(
    client: httpx.AsyncClient, signer: Any, width: str
) -> None:
    img = image(await get(client, signer, params(width=width)))
    assert img.size == (int(width), int(width))
    (result,) = decode(img)
    assert result.format == zxingcpp.BarcodeFormat.QRCode
    assert result.text == QR["qrcode-content"]
    assert result.ec_level == "M"


@pytest.mark.parametrize("width", [33, 57, 100, 203, 999])
def test_qr_quiet_zone_is_at_least_four_modules(width: int) -> None:
    rendered = render("https://www.example.com", 0, width)
    img = Image.open(io.BytesIO(rendered.png))
    scale = width // (rendered.modules + 8)
    left, right, symbol = margins(img)
    assert symbol == rendered.modules * scale
    assert left >= 4 * scale
    assert right >= 4 * scale
    assert abs(left - right) <= 1


@pytest.mark.parametrize("width", [113, 200, 300, 1131])
async def test_barcode_is_ean13_with_the_check_digit(
    client: httpx.AsyncClient, signer: Any, width: int
) -> None:
    response = await get(
        client, signer, params(qrcode_content="400638133393", mode="1", width=str(width))
    )
    img = image(response)
    assert img.size == (width, round(width * 22.85 / 37.29))
    (result,) = decode(img)
    assert result.format == zxingcpp.BarcodeFormat.EAN13
    assert result.text == "4006381333931"
    scale = width // 113
    left, right, symbol = margins(img)
    assert symbol == 95 * scale
    assert left >= 11 * scale
    assert right >= 7 * scale


@pytest.mark.parametrize(
    ("content", "eci"),
    [
        ("plain ascii", None),
        ("café crème ÿ", 3),
        ("ÄÖÜ", 3),  # without ECI 3, zxing-cpp guesses Shift JIS
        ("腾讯云 QR ✓", 26),
        ("Grüße 🎉", 26),
        ("€uro", 26),  # not in ISO-8859-1
    ],
)
async def test_charset_policy_ascii_plain_latin1_eci3_else_utf8_eci26(
    client: httpx.AsyncClient, signer: Any, content: str, eci: int | None
) -> None:
    img = image(await get(client, signer, params(qrcode_content=content, width="400")))
    (result,) = decode(img)
    assert result.text == content
    # HexECI shows the symbology identifier: ]Q2 and \0000NN with ECI NN, ]Q1 without
    (marked,) = decode(img, text_mode=zxingcpp.TextMode.HexECI)
    if eci is None:
        assert marked.text.startswith("5D 51 31 ")  # ]Q1
    else:
        digits = " ".join(f"{ord(d):02X}" for d in f"{eci:06d}")
        assert marked.text.startswith(f"5D 51 32 5C {digits} ")  # ]Q2\0000NN
    assert result.bytes == content.encode("utf-8" if eci == 26 else "latin-1")
    assert render(content, 0, 400).eci is eci


async def test_spaces_sent_as_plus_are_spaces(
    client: httpx.AsyncClient, signer: Any, emulator_credentials: Any
) -> None:
    query = params(qrcode_content="hello big world")
    host = emulator_credentials.host
    auth = signer.authorization(query, {"host": host})
    raw = "/?ci-process=qrcode-generate&qrcode-content=hello+big%20world&width=200"
    response = await client.get(raw, headers={"host": host, "authorization": auth})
    assert decode(image(response))[0].text == "hello big world"


async def test_plus_encoded_is_a_plus(client: httpx.AsyncClient, signer: Any) -> None:
    response = await get(client, signer, params(qrcode_content="1+1=2 & more"))
    assert decode(image(response))[0].text == "1+1=2 & more"


# --- signatures ----------------------------------------------------------------------------


async def test_signature_in_query_parameters(
    client: httpx.AsyncClient, signer: Any, emulator_credentials: Any
) -> None:
    query = params(qrcode_content="signed in the URL")
    auth = signer.authorization(query, {"host": emulator_credentials.host})
    auth_query = "&".join(
        f"{k}={quote(v, safe='')}" for k, v in (part.split("=", 1) for part in auth.split("&"))
    )
    target = f"/?{signer.query(query)}&{auth_query}"
    response = await client.get(target, headers={"host": emulator_credentials.host})
    assert decode(image(response))[0].text == "signed in the URL"


async def test_unknown_secret_id(client: httpx.AsyncClient, signer: Any) -> None:
    response = await get(client, signer, QR, secret_id="AKIDnobodyknowsthisone")
    fields = error(response, 403, "InvalidAccessKeyId")
    assert fields["Message"] == "The Access Key Id you provided does not exist in our records"


async def test_wrong_secret_key_shows_the_servers_strings(
    client: httpx.AsyncClient, signer: Any, emulator_credentials: Any
) -> None:
    start, end = int(time.time()) - 60, int(time.time()) + 600
    response = await get(client, signer, QR, secret_key="not-the-key", start=start, end=end)
    fields = error(response, 403, "SignatureDoesNotMatch")
    assert fields["Message"] == "The Signature you specified is invalid."
    http_string, _, _ = format_string("GET", "/", QR, {"host": emulator_credentials.host})
    assert fields["FormatString"] == http_string
    assert fields["StringToSign"] == string_to_sign(f"{start};{end}", http_string)
    assert emulator_credentials.secret_key not in response.text


async def test_tampered_parameter(
    client: httpx.AsyncClient, signer: Any, emulator_credentials: Any
) -> None:
    target, headers = signer.request(QR)
    response = await client.get(target.replace("width=200", "width=300"), headers=headers)
    fields = error(response, 403, "SignatureDoesNotMatch")
    assert "width=300" in fields["FormatString"]


async def test_unlisted_parameters_are_not_verified(client: httpx.AsyncClient, signer: Any) -> None:
    # faithful: the server checks exactly the names in q-url-param-list
    target, headers = signer.request(QR)
    image(await client.get(target + "&unsigned-extra=1", headers=headers))


async def test_unsigned_request_parameter_changes_the_result(
    client: httpx.AsyncClient, signer: Any, emulator_credentials: Any
) -> None:
    # only ci-process and width are signed: the content can be swapped in transit
    host = emulator_credentials.host
    auth = signer.authorization({"ci-process": "qrcode-generate", "width": "200"}, {"host": host})
    response = await client.get(
        "/?" + signer.query(params(qrcode_content="swapped")),
        headers={"host": host, "authorization": auth},
    )
    assert decode(image(response))[0].text == "swapped"


async def test_listed_header_missing_is_a_mismatch(
    client: httpx.AsyncClient, signer: Any, emulator_credentials: Any
) -> None:
    host = emulator_credentials.host
    auth = signer.authorization(QR, {"host": host, "x-cos-meta-note": "gone"})
    response = await client.get(
        "/?" + signer.query(QR), headers={"host": host, "authorization": auth}
    )
    error(response, 403, "SignatureDoesNotMatch")


async def test_signed_host_must_match(client: httpx.AsyncClient, signer: Any) -> None:
    auth = signer.authorization(QR, {"host": "someone-else.example.com"})
    response = await client.get(
        "/?" + signer.query(QR),
        headers={"host": "qr.example.com", "authorization": auth},
    )
    error(response, 403, "SignatureDoesNotMatch")


async def test_no_signature_is_access_denied(client: httpx.AsyncClient, signer: Any) -> None:
    response = await client.get("/?" + signer.query(QR))
    assert error(response, 403, "AccessDenied")["Message"] == "Access Denied."


@pytest.mark.parametrize(
    ("authorization", "fragment"),
    [
        ("nonsense", "has no '='"),
        ("q-sign-algorithm=sha1&q-ak=x", "missing"),
        (
            "q-sign-algorithm=md5&q-ak=x&q-sign-time=1;2&q-key-time=1;2&q-header-list="
            "&q-url-param-list=&q-signature=00",
            "unsupported q-sign-algorithm",
        ),
    ],
)
async def test_malformed_authorization_is_access_denied(
    client: httpx.AsyncClient, signer: Any, authorization: str, fragment: str
) -> None:
    response = await client.get("/?" + signer.query(QR), headers={"authorization": authorization})
    assert fragment in error(response, 403, "AccessDenied")["Message"]


def server_time(fields: dict[str, str]) -> float:
    return calendar.timegm(time.strptime(fields["ServerTime"], "%Y-%m-%dT%H:%M:%SZ"))


async def test_expired_window(client: httpx.AsyncClient, signer: Any) -> None:
    now = int(time.time())
    response = await get(client, signer, QR, start=now - 7200, end=now - 3600)
    fields = error(response, 403, "AccessDenied")
    assert fields["Message"] == "Request has expired"
    assert abs(server_time(fields) - now) < 5


async def test_server_clock_ahead_expires_the_window(
    client: httpx.AsyncClient, signer: Any, emulator_config: EmulatorConfig
) -> None:
    emulator_config.clock = lambda: time.time() + 3600
    response = await get(client, signer, QR)
    fields = error(response, 403, "AccessDenied")
    assert fields["Message"] == "Request has expired"
    assert abs(server_time(fields) - (time.time() + 3600)) < 5
    date = email.utils.parsedate_to_datetime(response.headers["date"]).timestamp()
    assert abs(date - (time.time() + 3600)) < 5


async def test_window_not_yet_started(client: httpx.AsyncClient, signer: Any) -> None:
    now = int(time.time())
    response = await get(client, signer, QR, start=now + 120, end=now + 600)
    assert error(response, 403, "AccessDenied")["Message"] == "Request has expired"


async def test_window_far_in_the_future_is_too_skewed(
    client: httpx.AsyncClient, signer: Any
) -> None:
    now = int(time.time())
    response = await get(client, signer, QR, start=now + 3600, end=now + 7200)
    assert "ServerTime" in error(response, 403, "RequestTimeTooSkewed")


async def test_max_window(
    client: httpx.AsyncClient, signer: Any, emulator_config: EmulatorConfig
) -> None:
    emulator_config.max_window = 3600
    now = int(time.time())
    image(await get(client, signer, QR, start=now - 60, end=now + 3000))
    response = await get(client, signer, QR, start=now - 60, end=now + 7200)
    assert "window" in error(response, 403, "AccessDenied")["Message"]


# --- temporary credentials -----------------------------------------------------------------


def temporary(creds: Any, token: str | None) -> dict[str, Any]:
    extra = {} if token is None else {"x-cos-security-token": token}
    return {
        "secret_id": creds.temp_secret_id,
        "secret_key": creds.temp_secret_key,
        "extra_headers": extra,
    }


async def test_temporary_credentials(
    client: httpx.AsyncClient, signer: Any, emulator_credentials: Any
) -> None:
    image(
        await get(client, signer, QR, **temporary(emulator_credentials, emulator_credentials.token))
    )


async def test_temporary_credentials_via_x_ci_security_token(
    client: httpx.AsyncClient, signer: Any, emulator_credentials: Any
) -> None:
    kwargs = temporary(emulator_credentials, None)
    kwargs["extra_headers"] = {"x-ci-security-token": emulator_credentials.token}
    image(await get(client, signer, QR, **kwargs))


async def test_temporary_key_without_token_is_unknown(
    client: httpx.AsyncClient, signer: Any, emulator_credentials: Any
) -> None:
    response = await get(client, signer, QR, **temporary(emulator_credentials, None))
    error(response, 403, "InvalidAccessKeyId")


async def test_unknown_token(
    client: httpx.AsyncClient, signer: Any, emulator_credentials: Any
) -> None:
    response = await get(client, signer, QR, **temporary(emulator_credentials, "made-up"))
    error(response, 403, "AccessDenied")


async def test_token_of_another_key(
    client: httpx.AsyncClient, signer: Any, emulator_credentials: Any
) -> None:
    kwargs = temporary(emulator_credentials, emulator_credentials.token)
    kwargs["secret_id"], kwargs["secret_key"] = (
        emulator_credentials.secret_id,
        emulator_credentials.secret_key,
    )
    # a permanent key ignores any token
    image(await get(client, signer, QR, **kwargs))


async def test_unsigned_token_is_refused(
    client: httpx.AsyncClient, signer: Any, emulator_credentials: Any
) -> None:
    target, headers = signer.request(QR, **temporary(emulator_credentials, None))
    headers["x-cos-security-token"] = emulator_credentials.token
    response = await client.get(target, headers=headers)
    assert "must be signed" in error(response, 403, "AccessDenied")["Message"]


async def test_expired_token(
    client: httpx.AsyncClient, signer: Any, emulator_credentials: Any
) -> None:
    kwargs = temporary(emulator_credentials, emulator_credentials.expired_token)
    error(await get(client, signer, QR, **kwargs), 400, "ExpiredToken")


# --- parameters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        params(qrcode_content=None),
        params(qrcode_content=""),
        params(mode="2"),
        params(mode="x"),
        params(mode=""),
        params(mode="1", qrcode_content="40063813339"),
        params(mode="1", qrcode_content="4006381333931"),
        params(mode="1", qrcode_content="40063813339a"),
        params(mode="1", qrcode_content="４００６３８１３３３９３"),
        params(mode="1", qrcode_content="400638133393", width="112"),
        params(width=None),
        params(width=""),
        params(width="abc"),
        params(width="2.5"),
        params(width="-5"),
        params(width="0"),
        params(width="10001"),
        params(width="9" * 5000),
        params(width="32"),  # version 2: 25 modules + 2 x 4 quiet modules = 33 px at least
        params(ci_process=None),
        params(ci_process="QRcode"),
        params(qrcode_content="x" * 3000),
    ],
    ids=lambda q: "&".join(f"{k}={v[:12]}" for k, v in q.items() if QR.get(k) != v) or "-",
)
async def test_bad_parameters_are_invalid_argument(
    client: httpx.AsyncClient, signer: Any, emulator_app: Emulator, query: dict[str, str]
) -> None:
    error(await get(client, signer, query), 400, "InvalidArgument")
    assert emulator_app.billable_calls("examplebucket-1250000000") == 0


async def test_mode_defaults_to_qr(client: httpx.AsyncClient, signer: Any) -> None:
    result = decode(image(await get(client, signer, QR)))[0]
    assert result.format == zxingcpp.BarcodeFormat.QRCode


async def test_path_must_be_root(
    client: httpx.AsyncClient, signer: Any, emulator_credentials: Any
) -> None:
    host = emulator_credentials.host
    auth = signer.authorization(QR, {"host": host}, path="/object.png")
    response = await client.get(
        "/object.png?" + signer.query(QR), headers={"host": host, "authorization": auth}
    )
    error(response, 400, "InvalidArgument")


async def test_only_get(client: httpx.AsyncClient, signer: Any, emulator_credentials: Any) -> None:
    host = emulator_credentials.host
    auth = signer.authorization(QR, {"host": host}, method="POST")
    response = await client.post(
        "/?" + signer.query(QR), headers={"host": host, "authorization": auth}
    )
    error(response, 405, "MethodNotAllowed")


# --- buckets -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "otherbucket-1250000000.cos.ap-guangzhou.myqcloud.com",
        "examplebucket-1250000000.cos.ap-beijing.myqcloud.com",
        "examplebucket-1250000001.cos.ap-guangzhou.tencentcos.cn",
    ],
)
async def test_unknown_bucket(
    client: httpx.AsyncClient, signer: Any, emulator_app: Emulator, host: str
) -> None:
    fields = error(await get(client, signer, QR, host=host), 404, "NoSuchBucket")
    assert fields["Resource"] == f"{host}/"
    # the bucket is looked up before the signature
    error(await client.get("/?" + signer.query(QR), headers={"host": host}), 404, "NoSuchBucket")
    assert emulator_app.requests_seen() == 2


@pytest.mark.parametrize(
    "host",
    [
        "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com",
        "examplebucket-1250000000.cos.ap-guangzhou.tencentcos.cn",
        "EXAMPLEBUCKET-1250000000.cos.ap-guangzhou.myqcloud.com:443",
        "examplebucket-1250000000.cos.accelerate.myqcloud.com",
        "qr.example.com",  # a custom domain: the default bucket
        "127.0.0.1:9000",
    ],
)
async def test_bucket_hosts(
    client: httpx.AsyncClient, signer: Any, emulator_app: Emulator, host: str
) -> None:
    image(await get(client, signer, QR, host=host))
    assert emulator_app.billable_calls("examplebucket-1250000000") == 1


async def test_billing_per_bucket(
    client: httpx.AsyncClient, signer: Any, emulator_config: EmulatorConfig, emulator_app: Emulator
) -> None:
    emulator_config.buckets = ("first-1250000000", "second-1250000000")
    app = emulator_app
    for bucket, times in (("first-1250000000", 2), ("second-1250000000", 1)):
        host = f"{bucket}.cos.ap-guangzhou.myqcloud.com"
        for _ in range(times):
            image(await get(client, signer, QR, host=host))
    error(
        await get(
            client,
            signer,
            params(width="x"),
            host="second-1250000000.cos.ap-guangzhou.myqcloud.com",
        ),
        400,
        "InvalidArgument",
    )
    assert app.billable_calls("first-1250000000") == 2
    assert app.billable_calls("second-1250000000") == 1
    assert app.billable_calls("examplebucket-1250000000") == 0
    assert app.requests_seen() == 4
    app.reset_counters()
    assert app.requests_seen() == 0
    assert app.billable_calls("first-1250000000") == 0


# --- headers -------------------------------------------------------------------------------


async def test_response_headers(client: httpx.AsyncClient, signer: Any) -> None:
    for response in (await get(client, signer, QR), await get(client, signer, params(width="0"))):
        assert response.headers["server"] == "tencent-ci"
        assert response.headers["content-type"] == "application/xml"
        assert int(response.headers["content-length"]) == len(response.content)
        cos_id, ci_id = response.headers["x-cos-request-id"], response.headers["x-ci-request-id"]
        assert cos_id
        assert ci_id
        assert cos_id != ci_id
        assert base64.b64decode(cos_id).count(b"_") == 3
        date = email.utils.parsedate_to_datetime(response.headers["date"])
        assert response.headers["date"].endswith(" GMT")
        assert abs(date.timestamp() - time.time()) < 5


async def test_request_ids_are_unique(client: httpx.AsyncClient, signer: Any) -> None:
    ids = {(await get(client, signer, QR)).headers["x-cos-request-id"] for _ in range(5)}
    assert len(ids) == 5


# --- faults --------------------------------------------------------------------------------


async def test_latency(client: httpx.AsyncClient, signer: Any, emulator_app: Emulator) -> None:
    emulator_app.faults.latency = 0.3
    began = time.monotonic()
    image(await get(client, signer, QR))
    assert time.monotonic() - began >= 0.3


async def test_internal_error_then_recovery(
    client: httpx.AsyncClient, signer: Any, emulator_app: Emulator
) -> None:
    emulator_app.faults.set(status_500=True, remaining=1)
    fields = error(await get(client, signer, QR), 500, "InternalError")
    assert fields["Resource"]
    image(await get(client, signer, QR))
    assert emulator_app.billable_calls("examplebucket-1250000000") == 1
    assert emulator_app.requests_seen() == 2


async def test_faults_strike_before_authentication(
    client: httpx.AsyncClient, signer: Any, emulator_app: Emulator
) -> None:
    emulator_app.faults.status_500 = True
    error(await get(client, signer, QR, secret_key="wrong"), 500, "InternalError")


async def test_slow_down(client: httpx.AsyncClient, signer: Any, emulator_app: Emulator) -> None:
    emulator_app.faults.slow_down_503 = True
    response = await get(client, signer, QR)
    error(response, 503, "SlowDown")
    assert response.headers["retry-after"] == "1"
    emulator_app.faults.clear()
    image(await get(client, signer, QR))


async def test_qps_limit(client: httpx.AsyncClient, signer: Any, emulator_app: Emulator) -> None:
    emulator_app.faults.qps_limit = 2
    statuses = [(await get(client, signer, QR)).status_code for _ in range(4)]
    assert statuses == [200, 200, 503, 503]
    assert emulator_app.billable_calls("examplebucket-1250000000") == 2


async def test_reset_in_process_raises_what_httpx_would(
    client: httpx.AsyncClient, signer: Any, emulator_app: Emulator
) -> None:
    emulator_app.faults.reset_connection = True
    with pytest.raises(httpx.ReadError):
        await get(client, signer, QR)


async def test_close_mid_response_in_process(
    client: httpx.AsyncClient, signer: Any, emulator_app: Emulator
) -> None:
    emulator_app.faults.close_mid_response = True
    with pytest.raises(httpx.RemoteProtocolError):
        await get(client, signer, QR)


async def test_malformed_xml(
    client: httpx.AsyncClient, signer: Any, emulator_app: Emulator
) -> None:
    emulator_app.faults.malformed_xml = True
    response = await get(client, signer, QR)
    assert response.status_code == 200
    with pytest.raises(ElementTree.ParseError):
        ElementTree.fromstring(response.content)


async def test_truncated_base64(
    client: httpx.AsyncClient, signer: Any, emulator_app: Emulator
) -> None:
    emulator_app.faults.truncated_base64 = True
    response = await get(client, signer, QR)
    text = ElementTree.fromstring(response.content).findtext("ResultImage")
    assert text
    with pytest.raises(binascii.Error):
        base64.b64decode(text, validate=True)


async def test_non_image(client: httpx.AsyncClient, signer: Any, emulator_app: Emulator) -> None:
    emulator_app.faults.non_image = True
    response = await get(client, signer, QR)
    text = ElementTree.fromstring(response.content).findtext("ResultImage")
    data = base64.b64decode(text or "", validate=True)
    assert data
    assert not data.startswith((b"\x89PNG", b"\xff\xd8\xff"))


async def test_no_request_id(
    client: httpx.AsyncClient, signer: Any, emulator_app: Emulator
) -> None:
    emulator_app.faults.no_request_id = True
    for response in (await get(client, signer, QR), await get(client, signer, params(width="0"))):
        assert "x-cos-request-id" not in response.headers
        assert "x-ci-request-id" not in response.headers
        assert response.headers["server"] == "tencent-ci"


async def test_response_faults_are_billed(
    client: httpx.AsyncClient, signer: Any, emulator_app: Emulator
) -> None:
    emulator_app.faults.set(malformed_xml=True, remaining=1)
    assert (await get(client, signer, QR)).status_code == 200
    assert emulator_app.billable_calls("examplebucket-1250000000") == 1


async def test_remaining_counts_down_then_clears(
    client: httpx.AsyncClient, signer: Any, emulator_app: Emulator
) -> None:
    emulator_app.faults.set(slow_down_503=True, latency=0.01, remaining=2)
    statuses = [(await get(client, signer, QR)).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    assert repr(emulator_app.faults) == "Faults()"


def test_faults_api() -> None:
    faults = Faults(status_500=True)
    assert faults.status_500
    assert "status_500=True" in repr(faults)
    with pytest.raises(AttributeError, match="no fault 'status500'"):
        faults.status500 = True
    with pytest.raises(AttributeError, match="unknown fault"):
        faults.set(bogus=True)
    faults.set(latency=1.5, qps_limit=3)
    assert faults.latency == 1.5
    faults.clear()
    assert repr(faults) == "Faults()"
    assert not faults.take().status_500
    faults.set(status_500=True, remaining=0)  # nothing left: cleared on the next request
    assert not faults.take().status_500
    assert repr(faults) == "Faults()"


async def test_error_bodies_stay_well_formed(
    client: httpx.AsyncClient, signer: Any, emulator_credentials: Any
) -> None:
    host = emulator_credentials.host
    auth = signer.authorization(QR, {"host": host}, path="/a\x01b<&>", secret_key="wrong")
    response = await client.get(
        "/a%01b%3C%26%3E?" + signer.query(QR), headers={"host": host, "authorization": auth}
    )
    fields = error(response, 403, "SignatureDoesNotMatch")
    assert fields["FormatString"].startswith("get\n/a\ufffdb<&>\n")


# --- configuration -------------------------------------------------------------------------


def test_no_secret_in_reprs(
    emulator_config: EmulatorConfig, emulator_app: Emulator, emulator_credentials: Any
) -> None:
    secrets = (
        emulator_credentials.secret_key,
        emulator_credentials.temp_secret_key,
        emulator_credentials.token,
    )
    texts = [
        repr(emulator_config),
        repr(emulator_app),
        repr(emulator_credentials),
        repr(list(emulator_config.temporary.values())),
        repr(emulator_config.permanent(emulator_credentials.secret_id)),
    ]
    for text in texts:
        for secret in secrets:
            assert secret not in text


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"buckets": ()}, "at least one bucket"),
        ({"buckets": ("nobucketappid",)}, "<name>-<appid>"),
        ({"region": ""}, "region"),
        ({"max_window": -1}, "max_window"),
    ],
)
def test_config_validation(changes: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        EmulatorConfig(**changes)
