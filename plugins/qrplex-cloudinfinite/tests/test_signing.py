"""The COS "q-sign" signature: published vectors, and agreement with Tencent's Python SDK."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace
from typing import Any

import pytest
import requests
from hypothesis import example, given
from hypothesis import strategies as st
from qcloud_cos import CosConfig, cos_auth
from qcloud_cos.cos_comm import format_values

from qrplex_cloudinfinite._signing import (
    RequestSigner,
    SignatureFields,
    authorization,
    cos_quote,
    format_string,
    parse_authorization,
    sign_key,
    string_to_sign,
)

# --- published vectors -------------------------------------------------------------------

DOC_ID = "AKIDQjz3ltompVjBni5LitkWHFlFpwkn9U5q"
DOC_KEY = "BQYIM75p8x0iWVFSIgqEKwFprpRSVHlz"
DOC_HOST = "examplebucket-1250000000.cos.ap-beijing.myqcloud.com"

UPLOAD: dict[str, Any] = {
    "method": "PUT",
    "path": "/exampleobject(腾讯云)",
    "params": {},
    "headers": {
        "Date": "Thu, 16 May 2019 06:45:51 GMT",
        "Host": DOC_HOST,
        "Content-Type": "text/plain",
        "Content-Length": "13",
        "Content-MD5": "mQ/fVh815F3k6TAUm8m0eg==",
        "x-cos-acl": "private",
        "x-cos-grant-read": 'uin="100000000011"',
    },
}
DOWNLOAD: dict[str, Any] = {
    "method": "GET",
    "path": "/exampleobject(腾讯云)",
    "params": {
        "response-content-type": "application/octet-stream",
        "response-cache-control": "max-age=600",
    },
    "headers": {"Date": "Thu, 16 May 2019 06:55:53 GMT", "Host": DOC_HOST},
}


@pytest.mark.parametrize(
    ("request_", "key_time", "expected_sign_key", "expected_sha1", "expected_signature"),
    [
        pytest.param(
            UPLOAD,
            "1557989151;1557996351",
            "eb2519b498b02ac213cb1f3d1a3d27a3b3c9bc5f",
            "8b2751e77f43a0995d6e9eb9477f4b685cca4172",
            "3b8851a11a569213c17ba8fa7dcf2abec6935172",
            id="cos-doc-upload",
        ),
        pytest.param(
            DOWNLOAD,
            "1557989753;1557996953",
            "937914bf490e9e8c189836aad2052e4feeb35eaf",
            "54ecfe22f59d3514fdc764b87a32d8133ea611e6",
            "01681b8c9d798a678e43b685a9f1bba0f6c0e012",
            id="cos-doc-download",
        ),
    ],
)
def test_cos_documentation_vectors(
    request_: dict[str, Any],
    key_time: str,
    expected_sign_key: str,
    expected_sha1: str,
    expected_signature: str,
) -> None:
    assert sign_key(DOC_KEY, key_time) == expected_sign_key
    http_string, _, _ = format_string(
        request_["method"], request_["path"], request_["params"], request_["headers"]
    )
    assert hashlib.sha1(http_string.encode()).hexdigest() == expected_sha1
    to_sign = string_to_sign(key_time, http_string)
    assert to_sign == f"sha1\n{key_time}\n{expected_sha1}\n"
    start, end = (int(t) for t in key_time.split(";"))
    value = authorization(
        secret_id=DOC_ID,
        secret_key=DOC_KEY,
        method=request_["method"],
        path=request_["path"],
        params=request_["params"],
        headers=request_["headers"],
        start=start,
        end=end,
    )
    fields = parse_authorization(value)
    assert fields.signature == expected_signature
    assert fields.sign_time == fields.key_time == key_time
    assert fields.secret_id == DOC_ID


def test_cos_documentation_upload_lists() -> None:
    _, params, headers = format_string(
        UPLOAD["method"], UPLOAD["path"], UPLOAD["params"], UPLOAD["headers"]
    )
    assert params == ""
    assert headers == "content-length;content-md5;content-type;date;host;x-cos-acl;x-cos-grant-read"
    _, params, headers = format_string(
        DOWNLOAD["method"], DOWNLOAD["path"], DOWNLOAD["params"], DOWNLOAD["headers"]
    )
    assert params == "response-cache-control;response-content-type"
    assert headers == "date;host"


def test_cos_go_sdk_vector() -> None:
    value = authorization(
        secret_id="QmFzZTY0IGlzIGEgZ2VuZXJp",
        secret_key="AKIDZfbOA78asKUYBcXFrJD0a1ICvR98JM",
        method="PUT",
        path="/testfile2",
        params={},
        headers={
            "Host": "testbucket-125000000.cos.ap-guangzhou.myqcloud.com",
            "x-cos-content-sha1": "db8ac1c259eb89d4a131b253bacfca5f319d54f2",
            "x-cos-stroage-class": "nearline",
        },
        start=1480932292,
        end=1481012292,
    )
    assert value == (
        "q-sign-algorithm=sha1&q-ak=QmFzZTY0IGlzIGEgZ2VuZXJp"
        "&q-sign-time=1480932292;1481012292&q-key-time=1480932292;1481012292"
        "&q-header-list=host;x-cos-content-sha1;x-cos-stroage-class&q-url-param-list="
        "&q-signature=ce4ac0ecbcdb30538b3fee0a97cc6389694ce53a"
    )


def test_qrcode_generate_vector() -> None:
    key_time = "1700000000;1700003600"
    assert (
        sign_key("ExampleSecretKeyExampleSecretKey", key_time)
        == "e54ffd588380874d9c3c0fdca339494ae16398ce"
    )
    value = authorization(
        secret_id="AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE1234",
        secret_key="ExampleSecretKeyExampleSecretKey",
        method="GET",
        path="/",
        params={
            "ci-process": "qrcode-generate",
            "qrcode-content": "https://www.example.com",
            "mode": "0",
            "width": "200",
        },
        headers={"host": "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com"},
        start=1700000000,
        end=1700003600,
    )
    assert value == (
        "q-sign-algorithm=sha1&q-ak=AKIDEXAMPLEEXAMPLEEXAMPLEEXAMPLE1234"
        f"&q-sign-time={key_time}&q-key-time={key_time}"
        "&q-header-list=host&q-url-param-list=ci-process;mode;qrcode-content;width"
        "&q-signature=15becee947285438db39c3a02ff6f1e87445a99e"
    )


# --- the pieces ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "encoded"),
    [
        ("AZaz09-_.~", "AZaz09-_.~"),
        ("a b", "a%20b"),
        ("a+b", "a%2Bb"),
        ("/path?x=1&y", "%2Fpath%3Fx%3D1%26y"),
        ("*'()!", "%2A%27%28%29%21"),
        ("腾讯云", "%E8%85%BE%E8%AE%AF%E4%BA%91"),
        ("é", "%C3%A9"),
        ("", ""),
    ],
)
def test_cos_quote(text: str, encoded: str) -> None:
    assert cos_quote(text) == encoded


def test_format_string_sorts_by_encoded_lowercase_key_and_keeps_empty_values() -> None:
    http_string, params, headers = format_string(
        "GET",
        "/",
        {"Width": "200", "ci-process": "qrcode-generate", "flag": "", "qrcode-content": "a b/c"},
        {"X-COS-Meta-Name": "é ü", "Host": "h"},
    )
    assert http_string == (
        "get\n/\nci-process=qrcode-generate&flag=&qrcode-content=a%20b%2Fc&width=200\n"
        "host=h&x-cos-meta-name=%C3%A9%20%C3%BC\n"
    )
    assert params == "ci-process;flag;qrcode-content;width"
    assert headers == "host;x-cos-meta-name"


def test_empty_lists_stay_in_the_authorization() -> None:
    value = authorization(
        secret_id="id",
        secret_key="key",
        method="GET",
        path="/",
        params={},
        headers={},
        start=1,
        end=2,
    )
    assert "&q-header-list=&q-url-param-list=&" in value
    fields = parse_authorization(value)
    assert fields.header_list == ()
    assert fields.url_param_list == ()
    assert fields.window == (1, 2)


def test_window_must_not_end_before_it_starts() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        authorization(
            secret_id="id",
            secret_key="k",
            method="GET",
            path="/",
            params={},
            headers={},
            start=10,
            end=5,
        )


def test_parse_authorization_round_trip() -> None:
    value = authorization(
        secret_id="AKIDx",
        secret_key="secret",
        method="GET",
        path="/",
        params={"width": "1", "mode": "0"},
        headers={"host": "h", "x-cos-security-token": "t"},
        start=100,
        end=200,
    )
    assert parse_authorization(value) == SignatureFields(
        algorithm="sha1",
        secret_id="AKIDx",
        sign_time="100;200",
        key_time="100;200",
        header_list=("host", "x-cos-security-token"),
        url_param_list=("mode", "width"),
        signature=parse_authorization(value).signature,
    )


GOOD = (
    "q-sign-algorithm=sha1&q-ak=AKID&q-sign-time=1;2&q-key-time=1;2"
    "&q-header-list=host&q-url-param-list=&q-signature=abc"
)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "missing"),
        ("garbage", "has no '='"),
        (GOOD.replace("&q-signature=abc", ""), "missing q-signature"),
        (GOOD.replace("q-sign-time=1;2", "q-sign-time=1-2"), "q-sign-time must be"),
        (GOOD.replace("q-key-time=1;2", "q-key-time=;2"), "q-key-time must be"),
        (GOOD + "&q-ak=other", "more than once"),
        (GOOD.replace("q-ak=AKID", "q-ak="), "q-ak is empty"),
        (GOOD.replace("q-header-list=host", "q-header-list=host;;date"), "empty entry"),
    ],
)
def test_parse_authorization_rejects_malformed_values(value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_authorization(value)


def test_parse_authorization_ignores_unknown_fields() -> None:
    assert parse_authorization(GOOD + "&q-extra=1").secret_id == "AKID"


def test_signature_fields_hold_no_secret() -> None:
    value = authorization(
        secret_id="AKIDx",
        secret_key="TopSecretKey",
        method="GET",
        path="/",
        params={},
        headers={},
        start=1,
        end=2,
    )
    assert "TopSecretKey" not in value
    assert "TopSecretKey" not in repr(parse_authorization(value))


# --- agreement with cos-python-sdk-v5 ------------------------------------------------------

SDK_ID = "AKIDqrplexSDKCOMPARE00000000000000001"
SDK_KEY = "sdkCompareSecretKey000000000000001"
SDK_HOST = "examplebucket-1250000000.cos.ap-guangzhou.myqcloud.com"
NOW = 1_750_000_000
EXPIRE = 10_000


def _sdk_authorization(
    monkeypatch: pytest.MonkeyPatch,
    params: dict[str, Any],
    headers: dict[str, str],
    *,
    url: str = f"https://{SDK_HOST}/",
) -> str:
    """What ``CosS3Auth`` signs for ``ci_qrcode_generate`` at ``NOW``."""
    monkeypatch.setattr(cos_auth, "time", SimpleNamespace(time=lambda: NOW))
    conf = CosConfig(Region="ap-guangzhou", SecretId=SDK_ID, SecretKey=SDK_KEY)
    sdk_params = format_values(dict(params))  # the SDK signs the bytes it sends
    prepared = requests.Request(
        "GET", url, params=sdk_params, headers=format_values(dict(headers))
    ).prepare()
    signed = cos_auth.CosS3Auth(conf, params=sdk_params, expire=EXPIRE)(prepared)
    value = signed.headers["Authorization"]
    return value if isinstance(value, str) else value.decode()


def _ours(params: dict[str, Any], headers: dict[str, str]) -> str:
    return authorization(
        secret_id=SDK_ID,
        secret_key=SDK_KEY,
        method="GET",
        path="/",
        params={k: str(v) for k, v in params.items()},
        headers=headers,
        start=NOW - 60,
        end=NOW + EXPIRE,
    )


@pytest.mark.parametrize(
    "content",
    [
        "https://www.example.com",
        "hello world",
        "腾讯云 QR ✓ 🎉",
        "a+b=c&d/e?f#g%20h~*'()",
        " leading and trailing ",
    ],
)
def test_same_authorization_as_the_python_sdk(
    monkeypatch: pytest.MonkeyPatch, content: str
) -> None:
    params = {"ci-process": "qrcode-generate", "qrcode-content": content, "width": 200, "mode": 0}
    assert _sdk_authorization(monkeypatch, params, {}) == _ours(params, {"host": SDK_HOST})


def test_same_authorization_as_the_python_sdk_with_cos_headers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    params = {"ci-process": "qrcode-generate", "qrcode-content": "x y", "width": 300, "mode": 1}
    # requests refuses non-latin-1 header values, so non-ASCII meta is sent pre-encoded
    headers = {
        "x-cos-security-token": "token with spaces/and+slashes",
        "x-cos-meta-note": "caf\xe9 au lait",
        "Content-Type": "text/plain",
        "User-Agent": "not signed by the SDK",
    }
    expected = _ours(
        params,
        {
            "host": SDK_HOST,
            "x-cos-security-token": headers["x-cos-security-token"],
            "x-cos-meta-note": "café au lait",
            "content-type": "text/plain",
        },
    )
    assert _sdk_authorization(monkeypatch, params, headers) == expected


def test_same_authorization_as_the_python_sdk_on_a_custom_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the SDK signs the host without the port: the emulator must accept that
    params = {"ci-process": "qrcode-generate", "qrcode-content": "x", "width": 100, "mode": 0}
    sdk = _sdk_authorization(monkeypatch, params, {}, url="http://127.0.0.1:9000/")
    assert sdk == _ours(params, {"host": "127.0.0.1"})


@given(content=st.text(st.characters(codec="utf-8"), min_size=1))
@example(content="a\x00b")
def test_any_content_signs_like_the_python_sdk(content: str) -> None:
    params = {"ci-process": "qrcode-generate", "qrcode-content": content, "width": 200, "mode": 0}
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert _sdk_authorization(monkeypatch, params, {}) == _ours(params, {"host": SDK_HOST})


# --- RequestSigner: the backend's signer, the same value as authorization() -----------------


def _signer(host: str = SDK_HOST, token: str | None = None) -> RequestSigner:
    return RequestSigner(
        secret_id=lambda: SDK_ID,
        secret_key=lambda: SDK_KEY,
        host=host,
        token=None if token is None else (lambda: token),
    )


def _query(content: str) -> tuple[dict[str, str], list[tuple[str, str]]]:
    params = {"ci-process": "qrcode-generate", "qrcode-content": content, "mode": "0"}
    return params, [(cos_quote(key), cos_quote(value)) for key, value in params.items()]


@given(
    content=st.text(st.characters(codec="utf-8"), min_size=1),
    token=st.one_of(st.none(), st.text(st.characters(codec="utf-8"), min_size=1, max_size=40)),
    start=st.integers(0, 2**40),
)
@example(content="a\x00b", token=None, start=0)
def test_the_request_signer_signs_as_authorization_does(
    content: str, token: str | None, start: int
) -> None:
    params, encoded = _query(content)
    headers = {"host": "127.0.0.1:9000"}
    if token is not None:
        headers["x-cos-security-token"] = token
    expected = authorization(
        secret_id=SDK_ID,
        secret_key=SDK_KEY,
        method="GET",
        path="/",
        params=params,
        headers=headers,
        start=start,
        end=start + EXPIRE,
    )
    signer = _signer("127.0.0.1:9000", token)
    assert signer.sign(encoded, start=start, end=start + EXPIRE) == expected


def test_the_request_signer_derives_a_new_sign_key_for_a_new_window() -> None:
    params, encoded = _query("window")
    signer = _signer()
    for start, end in ((NOW, NOW + EXPIRE), (NOW, NOW + EXPIRE), (NOW + 1, NOW + EXPIRE + 1)):
        value = signer.sign(encoded, start=start, end=end)
        assert parse_authorization(value).key_time == f"{start};{end}"
        assert value == authorization(
            secret_id=SDK_ID,
            secret_key=SDK_KEY,
            method="GET",
            path="/",
            params=params,
            headers={"host": SDK_HOST},
            start=start,
            end=end,
        )
    with pytest.raises(ValueError, match="before it starts"):
        signer.sign(encoded, start=NOW, end=NOW - 1)


def test_the_request_signer_holds_no_secret_in_sight() -> None:
    import pickle

    signer = _signer(token="TopSecretToken")
    signer.sign(_query("x")[1], start=NOW, end=NOW + 1)
    for secret in (SDK_ID, SDK_KEY, "TopSecretToken"):
        assert secret not in repr(signer)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(signer)


@given(
    text=st.one_of(
        st.text(st.characters(max_codepoint=127)),
        st.text(st.characters(codec="utf-8")),
    )
)
def test_cos_quote_is_urllib_quote_with_the_cos_safe_set(text: str) -> None:
    from urllib.parse import quote

    assert cos_quote(text) == quote(text.encode("utf-8"), safe="-_.~")
