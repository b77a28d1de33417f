"""Fixtures for the Cloud Infinite backend and its emulator, for every test directory
(loaded by ``pytest_plugins`` in the repository's root ``conftest.py``).

Use them through fixtures (``emulator_credentials``, ``emulator_config``, ``emulator_app``,
``emulator_server``, ``signer``), never by importing this module.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest

from qrplex_cloudinfinite._signing import authorization
from qrplex_cloudinfinite.emulator import (
    Emulator,
    EmulatorConfig,
    EmulatorServer,
    TemporaryCredential,
    create_app,
)


@dataclass(frozen=True)
class EmulatorCredentials:
    """The test account the emulator knows (permanent and temporary keys, one bucket)."""

    secret_id: str = "AKIDqrplexTESTKEY0000000000000000001"
    secret_key: str = field(default="qrplexTestSecretKey00000000000001", repr=False)
    temp_secret_id: str = "AKIDqrplexTEMPKEY0000000000000000002"
    temp_secret_key: str = field(default="qrplexTempSecretKey00000000000002", repr=False)
    token: str = field(default="qrplex-test-session-token-0000000000000002", repr=False)
    expired_token: str = field(default="qrplex-test-expired-token-000000000000003", repr=False)
    bucket: str = "examplebucket-1250000000"
    region: str = "ap-guangzhou"

    @property
    def host(self) -> str:
        """The bucket's default COS host name."""
        return f"{self.bucket}.cos.{self.region}.myqcloud.com"


@pytest.fixture
def emulator_credentials() -> EmulatorCredentials:
    """The keys, token, bucket and region of the test account."""
    return EmulatorCredentials()


@pytest.fixture
def emulator_config(emulator_credentials: EmulatorCredentials) -> EmulatorConfig:
    """A fresh config for the test account (tests may change it, e.g. shift ``clock``)."""
    creds = emulator_credentials
    return EmulatorConfig(
        credentials={creds.secret_id: creds.secret_key},
        temporary={
            creds.token: TemporaryCredential(creds.temp_secret_id, creds.temp_secret_key, math.inf),
            creds.expired_token: TemporaryCredential(
                creds.temp_secret_id, creds.temp_secret_key, time.time() - 60
            ),
        },
        buckets=(creds.bucket,),
        region=creds.region,
    )


@pytest.fixture
def emulator_app(emulator_config: EmulatorConfig) -> Emulator:
    """A fresh emulator (no faults, counters at zero)."""
    return create_app(emulator_config)


@pytest.fixture
def emulator_server(emulator_app: Emulator) -> Iterator[EmulatorServer]:
    """``emulator_app`` served over HTTP on 127.0.0.1 (a free port) for one test."""
    server = EmulatorServer(emulator_app)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@dataclass(frozen=True)
class Signer:
    """Builds signed qrcode-generate requests for the test account."""

    credentials: EmulatorCredentials

    def authorization(
        self,
        params: Mapping[str, str],
        headers: Mapping[str, str],
        *,
        method: str = "GET",
        path: str = "/",
        secret_id: str | None = None,
        secret_key: str | None = None,
        start: int | None = None,
        end: int | None = None,
    ) -> str:
        """The ``Authorization`` value for exactly these params and headers."""
        now = int(time.time())
        return authorization(
            secret_id=secret_id or self.credentials.secret_id,
            secret_key=secret_key or self.credentials.secret_key,
            method=method,
            path=path,
            params=params,
            headers=headers,
            start=now - 60 if start is None else start,
            end=now + 600 if end is None else end,
        )

    def request(
        self,
        params: Mapping[str, str],
        *,
        host: str | None = None,
        extra_headers: Mapping[str, str] | None = None,
        **kwargs: object,
    ) -> tuple[str, dict[str, str]]:
        """``(path_and_query, headers)`` of a GET signed over ``host`` and every param.

        ``kwargs`` go to :meth:`authorization` (``secret_key=``, ``start=``, ...).
        """
        host = host or self.credentials.host
        headers = {"host": host, **(extra_headers or {})}
        auth = self.authorization(params, headers, **kwargs)  # type: ignore[arg-type]
        return "/?" + query(params), {**headers, "authorization": auth}

    @staticmethod
    def query(params: Mapping[str, str]) -> str:
        """Percent-encode ``params`` the COS way (space as ``%20``)."""
        return query(params)


def query(params: Mapping[str, str]) -> str:
    """Percent-encode ``params`` the COS way (space as ``%20``)."""
    return "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in params.items())


@pytest.fixture
def signer(emulator_credentials: EmulatorCredentials) -> Signer:
    """Signs requests with the test account's permanent key (or any key given)."""
    return Signer(emulator_credentials)
