"""The cloudinfinite backend's settings: validation, messages, and no secret anywhere."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from qrplex.errors import ConfigError
from qrplex_cloudinfinite import CloudInfiniteBackend
from qrplex_cloudinfinite._config import SETTINGS, Secret, parse_config

SECRET_ID = "AKIDsecretIdValue0123456789"
SECRET_KEY = "SecretKeyValueThatMustNeverLeak"
TOKEN = "TemporaryTokenValueThatMustNeverLeak"

BASE: dict[str, Any] = {
    "bucket": "examplebucket-1250000000",
    "region": "ap-guangzhou",
    "secret_id": SECRET_ID,
    "secret_key": SECRET_KEY,
}


def settings(**changes: Any) -> dict[str, Any]:
    config = {**BASE, **changes}
    return {key: value for key, value in config.items() if value is not ...}


def assert_no_secret(text: str) -> None:
    for secret in (SECRET_ID, SECRET_KEY, TOKEN):
        assert secret not in text


@pytest.mark.parametrize(
    ("key", "variables"),
    [
        ("bucket", ["QRPLEX_CLOUDINFINITE_BUCKET"]),
        ("region", ["QRPLEX_CLOUDINFINITE_REGION", "TENCENTCLOUD_REGION"]),
        ("secret_id", ["QRPLEX_CLOUDINFINITE_SECRET_ID", "TENCENTCLOUD_SECRET_ID"]),
        ("secret_key", ["QRPLEX_CLOUDINFINITE_SECRET_KEY", "TENCENTCLOUD_SECRET_KEY"]),
    ],
)
@pytest.mark.parametrize("missing", [..., None, "", "   "])
def test_missing_required_key_names_it_and_where_to_set_it(
    key: str, variables: list[str], missing: object
) -> None:
    with pytest.raises(ConfigError) as caught:
        CloudInfiniteBackend(settings(**{key: missing}))
    message = str(caught.value)
    assert f"'{key}'" in message
    assert "is missing" in message
    assert f"[backends.cloudinfinite] {key} in qrplex.toml" in message
    for variable in variables:
        assert variable in message
    assert_no_secret(message)


def test_region_is_optional_with_an_endpoint() -> None:
    backend = CloudInfiniteBackend(settings(region=..., endpoint="http://127.0.0.1:9000/"))
    assert "http://127.0.0.1:9000" in repr(backend)


def test_default_host_is_the_bucket_host() -> None:
    config = parse_config(settings())
    assert config.base_url == "https://examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com"
    assert parse_config(settings(scheme="HTTP")).base_url.startswith("http://examplebucket")


@pytest.mark.parametrize(
    ("endpoint", "base_url"),
    [
        ("http://127.0.0.1:9000", "http://127.0.0.1:9000"),
        ("HTTPS://Example.COM:443/", "https://example.com"),
        ("http://[::1]:8080", "http://[::1]:8080"),
    ],
)
def test_endpoint_is_normalized(endpoint: str, base_url: str) -> None:
    assert parse_config(settings(endpoint=endpoint)).base_url == base_url


@pytest.mark.parametrize(
    ("changes", "key", "fragment"),
    [
        ({"bucket": "examplebucket"}, "bucket", "BucketName-APPID"),
        ({"bucket": "bad_bucket-125"}, "bucket", "BucketName-APPID"),
        ({"region": "ap guangzhou"}, "region", "ap-guangzhou"),
        ({"scheme": "ftp"}, "scheme", "'https' or 'http'"),
        ({"endpoint": "ftp://example.com"}, "endpoint", "http://"),
        ({"endpoint": "example.com:9000"}, "endpoint", "http://"),
        ({"endpoint": "http://example.com/prefix"}, "endpoint", "scheme://host[:port]"),
        ({"endpoint": "http://example.com/?a=b"}, "endpoint", "scheme://host[:port]"),
        ({"endpoint": "http://example.com/?token=SeCrEt"}, "endpoint", "'http://example.com'"),
        ({"endpoint": "http://user:pw@example.com"}, "endpoint", "user name or password"),
        ({"endpoint": "http://example.com:99999"}, "endpoint", "not a valid URL"),
        ({"timeout": "soon"}, "timeout", "number of seconds"),
        ({"timeout": "0"}, "timeout", "above 0 and at most 3600"),
        ({"timeout": -1}, "timeout", "above 0 and at most 3600"),
        ({"timeout": "nan"}, "timeout", "above 0 and at most 3600"),
        ({"timeout": 1e308}, "timeout", "above 0 and at most 3600"),
        ({"timeout": "3,1e308"}, "timeout", "above 0 and at most 3600"),
        ({"timeout": "1,2,3"}, "timeout", "connect,read"),
        ({"timeout": True}, "timeout", "connect,read"),
        ({"sign_expire": "1.5"}, "sign_expire", "whole number"),
        ({"sign_expire": 0}, "sign_expire", "between 1 and"),
        ({"sign_expire": 10**9}, "sign_expire", "between 1 and"),
        ({"bucket": ["a"]}, "bucket", "must be a string"),
    ],
)
def test_bad_values_are_config_errors(changes: dict[str, Any], key: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(settings(**changes))
    message = str(caught.value)
    assert f"'{key}'" in message
    assert fragment in message
    assert f"QRPLEX_CLOUDINFINITE_{key.upper()}" in message


@pytest.mark.parametrize("key", ["secret_id", "secret_key", "token"])
def test_a_malformed_secret_is_reported_without_its_value(key: str) -> None:
    value = "Leaky Value\nWith Spaces"
    with pytest.raises(ConfigError) as caught:
        parse_config(settings(**{key: value}))
    assert key in str(caught.value)
    assert "Leaky" not in str(caught.value)
    assert "Leaky" not in repr(caught.value)


@pytest.mark.parametrize(
    ("timeout", "expected"),
    [
        (None, (3.0, 10.0)),
        ("3,10", (3.0, 10.0)),
        ("5", (5.0, 5.0)),
        (2.5, (2.5, 2.5)),
        (7, (7.0, 7.0)),
        (" 1 , 20 ", (1.0, 20.0)),
        ([1, 4.5], (1.0, 4.5)),
    ],
)
def test_timeout_forms(timeout: object, expected: tuple[float, float]) -> None:
    config = parse_config(settings(timeout=timeout))
    assert (config.connect_timeout, config.read_timeout) == expected


def test_values_from_the_environment_are_strings() -> None:
    config = parse_config(
        settings(sign_expire="120", timeout="4", token=f" {TOKEN}\n", scheme="http")
    )
    assert config.sign_expire == 120
    assert config.token == Secret(TOKEN)
    assert config.read_timeout == 4.0


def test_no_secret_in_repr_str_or_config() -> None:
    backend = CloudInfiniteBackend(settings(token=TOKEN))
    config = parse_config(settings(token=TOKEN))
    for text in (repr(backend), str(backend), repr(config), str(config), repr(backend.config)):
        assert_no_secret(text)
    assert backend.config["secret_key"] == "***"
    assert backend.config["bucket"] == "examplebucket-1250000000"
    assert repr(config.secret_key) == "Secret('***')"
    assert config.secret_key.reveal() == SECRET_KEY
    assert set(config.secrets()) == {SECRET_ID, SECRET_KEY, TOKEN}


def test_secret_cannot_be_pickled() -> None:
    import pickle

    with pytest.raises(TypeError):
        pickle.dumps(Secret(SECRET_KEY))


def test_declared_settings() -> None:
    by_name = {setting.name: setting for setting in SETTINGS}
    assert set(by_name) == {
        "bucket",
        "region",
        "secret_id",
        "secret_key",
        "token",
        "scheme",
        "endpoint",
        "timeout",
        "sign_expire",
    }
    assert {name for name, s in by_name.items() if s.secret} == {"secret_id", "secret_key", "token"}
    assert by_name["secret_id"].env == ("TENCENTCLOUD_SECRET_ID",)
    assert by_name["secret_key"].env == ("TENCENTCLOUD_SECRET_KEY",)
    assert by_name["token"].env == ("TENCENTCLOUD_SESSION_TOKEN",)
    assert by_name["scheme"].default == "https"
    assert CloudInfiniteBackend.settings == SETTINGS


def test_capabilities() -> None:
    capabilities = CloudInfiniteBackend.capabilities
    assert capabilities.symbologies == frozenset({"qr", "ean13"})
    assert capabilities.formats == frozenset({"png"})
    assert capabilities.options == frozenset()
    assert capabilities.max_width == 10000
    assert capabilities.network is True
    assert CloudInfiniteBackend.name == "cloudinfinite"


def test_timeouts_reach_the_transport() -> None:
    """The configured timeouts travel with every request (its ``timeout`` extension), sync
    and async, to the transport the backend calls directly."""
    from qrplex import CodeRequest
    from qrplex.errors import BackendUnavailableError

    seen: list[dict[str, Any]] = []

    def service(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(503)

    mock = httpx.MockTransport(service)
    backend = CloudInfiniteBackend(settings(timeout="1.5,6"), transport=mock, async_transport=mock)
    request = CodeRequest("hello", "qr", "png", 300)
    try:
        with pytest.raises(BackendUnavailableError):
            backend.render(request)
        with pytest.raises(BackendUnavailableError):
            asyncio.run(backend.arender(request))
    finally:
        backend.close()
    expected = {"connect": 1.5, "read": 6.0, "write": 6.0, "pool": 6.0}
    assert seen == [expected, expected]


def test_the_default_transport_is_pooled() -> None:
    from qrplex_cloudinfinite._sync_http import SyncTransport

    backend = CloudInfiniteBackend(settings())
    try:
        transport = backend._http.transport()
        assert isinstance(transport, SyncTransport)
        assert backend._http.transport() is transport  # created once
        backend.close()
        assert backend._http.transport() is not transport  # a closed one is not reused
    finally:
        backend.close()


def test_package_import_is_light() -> None:
    import subprocess
    import sys

    code = (
        "import sys, qrplex_cloudinfinite; "
        "assert 'httpx' not in sys.modules, 'httpx imported'; "
        "assert qrplex_cloudinfinite.CloudInfiniteBackend.name == 'cloudinfinite'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env=None)


def test_an_endpoints_query_is_not_repeated_in_the_error() -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(settings(endpoint="http://example.com/?token=SeCrEt#fr4gm3nt"))
    assert "SeCrEt" not in str(caught.value)
    assert "fr4gm3nt" not in str(caught.value)
