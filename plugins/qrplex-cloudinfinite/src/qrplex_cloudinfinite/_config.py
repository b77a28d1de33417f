"""The ``cloudinfinite`` backend's settings: declared, parsed and validated in one place.

The core resolves every key of :data:`SETTINGS` from ``[backends.cloudinfinite]`` in
``qrplex.toml``, from ``QRPLEX_CLOUDINFINITE_<KEY>`` and from the extra variables each setting
names, then hands the values to the backend, which calls :func:`parse_config`. Values may be
strings (from the environment) or TOML types.

Secret values live in :class:`Secret` wrappers, whose ``repr``/``str`` never show them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from qrplex import Setting
from qrplex.errors import ConfigError

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_READ_TIMEOUT",
    "DEFAULT_SIGN_EXPIRE",
    "SETTINGS",
    "CloudInfiniteConfig",
    "Secret",
    "parse_config",
]

BACKEND: Final = "cloudinfinite"
DEFAULT_CONNECT_TIMEOUT: Final = 3.0
DEFAULT_READ_TIMEOUT: Final = 10.0
MAX_SETTING_LENGTH: Final = 1024
"""Characters: the longest setting value accepted (and ever quoted in a message)."""
MAX_TIMEOUT: Final = 3600.0
"""Seconds: the longest connect or read timeout accepted."""
DEFAULT_SIGN_EXPIRE: Final = 900
MAX_SIGN_EXPIRE: Final = 7 * 24 * 3600

SETTINGS: Final[tuple[Setting, ...]] = (
    Setting("bucket", "the bucket bound to Cloud Infinite, as BucketName-APPID"),
    Setting(
        "region",
        "the bucket's region, e.g. ap-guangzhou (not needed when endpoint is set)",
        env=("TENCENTCLOUD_REGION",),
    ),
    Setting("secret_id", "Tencent Cloud SecretId", secret=True, env=("TENCENTCLOUD_SECRET_ID",)),
    Setting("secret_key", "Tencent Cloud SecretKey", secret=True, env=("TENCENTCLOUD_SECRET_KEY",)),
    Setting(
        "token",
        "session token of temporary credentials (sent as x-cos-security-token)",
        secret=True,
        env=("TENCENTCLOUD_SESSION_TOKEN",),
    ),
    Setting("scheme", "https or http, for the default bucket host", default="https"),
    Setting(
        "endpoint",
        "base URL replacing https://<bucket>.cos.<region>.myqcloud.com, "
        "e.g. http://127.0.0.1:9000 for the emulator",
    ),
    Setting(
        "timeout",
        'seconds: one number for every phase, or "connect,read"',
        default=f"{DEFAULT_CONNECT_TIMEOUT:g},{DEFAULT_READ_TIMEOUT:g}",
    ),
    Setting(
        "sign_expire",
        "seconds a request signature stays valid",
        default=DEFAULT_SIGN_EXPIRE,
    ),
)

_SETTING: Final = {setting.name: setting for setting in SETTINGS}
_BUCKET = re.compile(r"\A[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?-[0-9]{1,20}\Z")
_REGION = re.compile(r"\A[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")
_PRINTABLE = re.compile(r"\A[\x21-\x7e]+\Z")


class Secret:
    """A secret string that does not show itself in ``repr``, ``str`` or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret value, for the one place that needs it (the signature)."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __reduce__(self) -> Any:
        raise TypeError("a Secret cannot be pickled")


@dataclass(frozen=True, slots=True)
class CloudInfiniteConfig:
    """The validated settings of one backend instance.

    Attributes:
        bucket: ``BucketName-APPID``.
        region: the region, or ``None`` when ``endpoint`` replaces the bucket host.
        secret_id: the SecretId.
        secret_key: the SecretKey.
        token: the session token of temporary credentials, if any.
        base_url: the scheme and host (``https://b-1250000000.cos.ap-guangzhou.myqcloud.com``).
        connect_timeout: seconds to establish a connection.
        read_timeout: seconds for each of read, write and pool waits.
        sign_expire: seconds a signature stays valid after it is made.
    """

    bucket: str
    region: str | None
    secret_id: Secret
    secret_key: Secret
    token: Secret | None
    base_url: str
    connect_timeout: float
    read_timeout: float
    sign_expire: int

    def secrets(self) -> tuple[str, ...]:
        """The secret values, for redacting text that might echo them."""
        found = (self.secret_id, self.secret_key, self.token)
        return tuple(secret.reveal() for secret in found if secret is not None)


def _where(name: str) -> str:
    setting = _SETTING[name]
    variables = " / ".join((f"QRPLEX_CLOUDINFINITE_{name.upper()}", *setting.env))
    return f"[backends.{BACKEND}] {name} in qrplex.toml, or {variables}"


def _problem(name: str, problem: str) -> ConfigError:
    return ConfigError(f"{BACKEND}: setting {name!r} {problem}; set it as {_where(name)}")


def _text(config: Mapping[str, Any], name: str) -> str | None:
    value = config.get(name)
    if value is None:
        value = _SETTING[name].default
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _problem(name, f"must be a string, not {type(value).__name__}")
    if isinstance(value, int) and value.bit_length() > 64:  # str() refuses 4300+ digits
        raise _problem(name, f"is out of range (a {value.bit_length()}-bit integer)")
    text = str(value).strip()
    if len(text) > MAX_SETTING_LENGTH:
        raise _problem(name, f"is {len(text)} characters long; at most {MAX_SETTING_LENGTH}")
    return text or None


def _required(config: Mapping[str, Any], name: str, why: str = "is missing") -> str:
    value = _text(config, name)
    if value is None:
        raise _problem(name, why)
    return value


def _secret(config: Mapping[str, Any], name: str) -> Secret | None:
    value = _text(config, name)
    if value is None:
        return None
    if not _PRINTABLE.match(value):
        # Never echo the value: say only what is wrong with it.
        raise _problem(name, "contains spaces or non-printable characters")
    return Secret(value)


def _required_secret(config: Mapping[str, Any], name: str) -> Secret:
    secret = _secret(config, name)
    if secret is None:
        raise _problem(name, "is missing")
    return secret


def _positive(name: str, text: str) -> float:
    try:
        number = float(text)
    except ValueError:
        raise _problem(name, f"must be a number of seconds, not {text!r}") from None
    if not math.isfinite(number) or not 0 < number <= MAX_TIMEOUT:
        raise _problem(
            name, f"must be a number of seconds above 0 and at most {MAX_TIMEOUT:g}, not {text!r}"
        )
    return number


def _timeouts(config: Mapping[str, Any]) -> tuple[float, float]:
    value = config.get("timeout")
    if value is None:
        return DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT
    if isinstance(value, list | tuple) and len(value) <= 2:
        parts = [_text({"timeout": part}, "timeout") or "" for part in value]
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        parts = [part.strip() for part in (_text(config, "timeout") or "").split(",")]
    else:
        shown = (
            f"a {type(value).__name__} of {len(value)}"
            if isinstance(value, list | tuple)
            else (type(value).__name__)
        )
        raise _problem("timeout", f"must be a number or 'connect,read', not {shown}")
    if len(parts) == 1:
        seconds = _positive("timeout", parts[0])
        return seconds, seconds
    if len(parts) == 2:
        return _positive("timeout", parts[0]), _positive("timeout", parts[1])
    raise _problem("timeout", f"must be one number or 'connect,read', not {len(parts)} numbers")


def _sign_expire(config: Mapping[str, Any]) -> int:
    text = _required(config, "sign_expire")
    try:
        seconds = int(text)
    except ValueError:
        raise _problem("sign_expire", f"must be a whole number of seconds, not {text!r}") from None
    if not 1 <= seconds <= MAX_SIGN_EXPIRE:
        raise _problem("sign_expire", f"must be between 1 and {MAX_SIGN_EXPIRE} seconds")
    return seconds


def without_userinfo(url: str) -> str:
    """``url`` for messages: anything up to its last ``@`` (a user name and password, even
    a malformed one) replaced by ``***``."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        scheme, rest = "", url
    at = rest.rfind("@")
    if at < 0:
        return url
    return f"{scheme}{separator}***@{rest[at + 1 :]}"


def _endpoint(text: str) -> str:
    shown = without_userinfo(text)  # never echo a password typed into the URL
    if shown != text:
        raise _problem("endpoint", f"must not contain a user name or password: {shown!r}")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        raise _problem("endpoint", f"is not a valid URL: {shown!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise _problem("endpoint", f"must be an http:// or https:// URL with a host, not {shown!r}")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        # Not echoed whole: a query may carry a token.
        bare = without_userinfo(f"{parts.scheme}://{parts.netloc}")
        raise _problem(
            "endpoint",
            f"must be scheme://host[:port] only, with no path, query or fragment "
            f"(it starts {bare!r})",
        )
    netloc = parts.netloc.lower()
    if port is not None and port == {"http": 80, "https": 443}[parts.scheme]:
        netloc = netloc.rsplit(":", 1)[0]
    return f"{parts.scheme}://{netloc}"


def parse_config(config: Mapping[str, Any]) -> CloudInfiniteConfig:
    """Validate the resolved settings; raise :class:`~qrplex.errors.ConfigError` naming the
    key, what is wrong and where to set it. No message ever contains a secret value."""
    bucket = _required(config, "bucket").lower()
    if not _BUCKET.match(bucket):
        raise _problem(
            "bucket", f"must look like BucketName-APPID (examplebucket-1250000000), not {bucket!r}"
        )
    secret_id = _required_secret(config, "secret_id")
    secret_key = _required_secret(config, "secret_key")
    token = _secret(config, "token")
    endpoint = _text(config, "endpoint")
    region = _text(config, "region")
    if region is not None:
        region = region.lower()
        if not _REGION.match(region):
            raise _problem("region", f"must look like ap-guangzhou, not {region!r}")
    if endpoint is not None:
        base_url = _endpoint(endpoint)
    else:
        if region is None:
            raise _problem("region", "is missing (it is needed unless endpoint is set)")
        scheme = _required(config, "scheme").lower()
        if scheme not in ("http", "https"):
            raise _problem("scheme", f"must be 'https' or 'http', not {scheme!r}")
        base_url = f"{scheme}://{bucket}.cos.{region}.myqcloud.com"
    connect_timeout, read_timeout = _timeouts(config)
    return CloudInfiniteConfig(
        bucket=bucket,
        region=region,
        secret_id=secret_id,
        secret_key=secret_key,
        token=token,
        base_url=base_url,
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        sign_expire=_sign_expire(config),
    )
