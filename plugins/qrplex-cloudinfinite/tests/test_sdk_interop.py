"""Tencent's official Python SDK (cos-python-sdk-v5) against the emulator, over real HTTP."""

from __future__ import annotations

import base64
import io
import time
from types import SimpleNamespace
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from qcloud_cos import CosConfig, CosS3Client, cos_client
from qcloud_cos.cos_exception import CosClientError, CosServiceError

from qrplex_cloudinfinite.emulator import Emulator, EmulatorConfig, EmulatorServer


@pytest.fixture(autouse=True)
def _no_sdk_sleep(monkeypatch: pytest.MonkeyPatch) -> None:
    """The SDK sleeps 1, 2, 3 s between retries; not in tests."""
    monkeypatch.setattr(cos_client, "time", SimpleNamespace(sleep=lambda _s: None, time=time.time))


def sdk(
    server: EmulatorServer, creds: Any, *, via: str = "ip", retry: int = 0, **overrides: Any
) -> CosS3Client:
    """An SDK client aimed at the emulator.

    ``via="ip"``: ``IP``/``Port`` — the SDK sends (and signs) ``Host: <bucket>.cos.<region>...``.
    ``via="domain"``: ``Domain="127.0.0.1:<port>"`` — it sends ``Host: 127.0.0.1:<port>`` but
    signs ``127.0.0.1``.
    """
    options: dict[str, Any] = {
        "Region": creds.region,
        "SecretId": creds.secret_id,
        "SecretKey": creds.secret_key,
        "Scheme": "http",
        "Timeout": 5,
    }
    if via == "ip":
        options.update(IP="127.0.0.1", Port=server.port)
    else:
        options.update(Domain=f"127.0.0.1:{server.port}")
    options.update(overrides)
    return CosS3Client(CosConfig(**options), retry=retry)


def decoded(result: dict[str, Any]) -> Any:
    data = base64.b64decode(result["ResultImage"])
    (barcode,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(data)).convert("L"))
    return barcode


@pytest.mark.parametrize("via", ["ip", "domain"])
@pytest.mark.parametrize("content", ["https://www.example.com/?a=1&b=two words", "腾讯云 二维码"])
def test_qr_code(
    emulator_server: EmulatorServer,
    emulator_app: Emulator,
    emulator_credentials: Any,
    via: str,
    content: str,
) -> None:
    client = sdk(emulator_server, emulator_credentials, via=via)
    result = client.ci_qrcode_generate(
        Bucket=emulator_credentials.bucket, QrcodeContent=content, Width=240, Mode=0
    )
    barcode = decoded(result)
    assert barcode.text == content
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    assert emulator_app.billable_calls(emulator_credentials.bucket) == 1


def test_barcode(emulator_server: EmulatorServer, emulator_credentials: Any) -> None:
    client = sdk(emulator_server, emulator_credentials)
    result = client.ci_qrcode_generate(
        Bucket=emulator_credentials.bucket, QrcodeContent="692000000000", Width=400, Mode=1
    )
    barcode = decoded(result)
    assert barcode.format == zxingcpp.BarcodeFormat.EAN13
    assert barcode.text.startswith("692000000000")
    assert len(barcode.text) == 13


def test_temporary_credentials(emulator_server: EmulatorServer, emulator_credentials: Any) -> None:
    creds = emulator_credentials
    client = sdk(
        emulator_server,
        creds,
        SecretId=creds.temp_secret_id,
        SecretKey=creds.temp_secret_key,
        Token=creds.token,
    )
    result = client.ci_qrcode_generate(Bucket=creds.bucket, QrcodeContent="temp", Width=100)
    assert decoded(result).text == "temp"


def test_wrong_secret_key(emulator_server: EmulatorServer, emulator_credentials: Any) -> None:
    client = sdk(emulator_server, emulator_credentials, SecretKey="definitely-not-the-key")
    with pytest.raises(CosServiceError) as caught:
        client.ci_qrcode_generate(Bucket=emulator_credentials.bucket, QrcodeContent="x", Width=100)
    assert caught.value.get_error_code() == "SignatureDoesNotMatch"
    assert caught.value.get_status_code() == 403
    assert caught.value.get_request_id()
    assert "definitely-not-the-key" not in str(caught.value)


def test_expired_signature(
    emulator_server: EmulatorServer, emulator_config: EmulatorConfig, emulator_credentials: Any
) -> None:
    emulator_config.clock = lambda: time.time() + 86_400  # the SDK signs for 10000 s
    client = sdk(emulator_server, emulator_credentials)
    with pytest.raises(CosServiceError) as caught:
        client.ci_qrcode_generate(Bucket=emulator_credentials.bucket, QrcodeContent="x", Width=100)
    assert caught.value.get_error_code() == "AccessDenied"
    assert caught.value.get_error_msg() == "Request has expired"


def test_unknown_bucket(emulator_server: EmulatorServer, emulator_credentials: Any) -> None:
    client = sdk(emulator_server, emulator_credentials)
    with pytest.raises(CosServiceError) as caught:
        client.ci_qrcode_generate(Bucket="nosuch-1250000000", QrcodeContent="x", Width=100)
    assert caught.value.get_error_code() == "NoSuchBucket"
    assert caught.value.get_status_code() == 404


def test_bad_parameters(emulator_server: EmulatorServer, emulator_credentials: Any) -> None:
    client = sdk(emulator_server, emulator_credentials)
    with pytest.raises(CosServiceError) as caught:
        client.ci_qrcode_generate(
            Bucket=emulator_credentials.bucket, QrcodeContent="12345", Width=300, Mode=1
        )
    assert caught.value.get_error_code() == "InvalidArgument"


def test_sdk_retries_a_5xx(
    emulator_server: EmulatorServer, emulator_app: Emulator, emulator_credentials: Any
) -> None:
    emulator_app.faults.set(status_500=True, remaining=1)
    client = sdk(emulator_server, emulator_credentials, retry=1)
    result = client.ci_qrcode_generate(
        Bucket=emulator_credentials.bucket, QrcodeContent="retried", Width=100
    )
    assert decoded(result).text == "retried"
    assert emulator_app.requests_seen() == 2
    assert emulator_app.billable_calls(emulator_credentials.bucket) == 1


def test_server_error_without_retries(
    emulator_server: EmulatorServer, emulator_app: Emulator, emulator_credentials: Any
) -> None:
    emulator_app.faults.slow_down_503 = True
    client = sdk(emulator_server, emulator_credentials)
    with pytest.raises(CosServiceError) as caught:
        client.ci_qrcode_generate(Bucket=emulator_credentials.bucket, QrcodeContent="x", Width=100)
    assert caught.value.get_error_code() == "SlowDown"
    assert caught.value.get_status_code() == 503


def test_connection_reset(
    emulator_server: EmulatorServer, emulator_app: Emulator, emulator_credentials: Any
) -> None:
    emulator_app.faults.reset_connection = True
    client = sdk(emulator_server, emulator_credentials)
    with pytest.raises(CosClientError):
        client.ci_qrcode_generate(Bucket=emulator_credentials.bucket, QrcodeContent="x", Width=100)
