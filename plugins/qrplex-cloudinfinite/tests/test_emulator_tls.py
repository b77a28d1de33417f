"""The emulator over HTTPS (``EmulatorServer(tls=True)``, ``qrplex emulator --tls``): the
backend generates through it when told to trust its CA, and refuses it otherwise."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

import qrplex
from qrplex.testing import decode
from qrplex_cloudinfinite.emulator import Emulator, EmulatorServer, create_app


@pytest.fixture
def tls_server(emulator_app: Emulator) -> Iterator[EmulatorServer]:
    server = EmulatorServer(emulator_app, tls=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _client(server: EmulatorServer, creds: Any) -> qrplex.Client:
    settings = {
        "endpoint": server.base_url,
        "bucket": creds.bucket,
        "secret_id": creds.secret_id,
        "secret_key": creds.secret_key,
    }
    return qrplex.Client(
        backend="cloudinfinite",
        fallback=[],
        config={"retries": 0, "backends": {"cloudinfinite": settings}},
        user_config=False,
    )


def test_generates_over_https_with_verification(
    tls_server: EmulatorServer, emulator_credentials: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert tls_server.base_url.startswith("https://127.0.0.1:")
    assert tls_server.ca_path is not None
    assert tls_server.ca_path.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    monkeypatch.setenv("SSL_CERT_FILE", str(tls_server.ca_path))
    with _client(tls_server, emulator_credentials) as client:
        images = [client.generate(f"over https {i}", width=300) for i in range(3)]
    assert [image.backend for image in images] == ["cloudinfinite"] * 3
    assert decode(images[2].data) == "over https 2"
    assert tls_server.app.requests_seen() == 3


@pytest.mark.parametrize("trust", ["default", "another CA"])
def test_an_untrusted_certificate_is_refused(
    tls_server: EmulatorServer,
    emulator_credentials: Any,
    emulator_config: Any,
    monkeypatch: pytest.MonkeyPatch,
    trust: str,
) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    if trust == "another CA":
        other = EmulatorServer(create_app(emulator_config), tls=True)
        assert other.ca_path is not None
        monkeypatch.setenv("SSL_CERT_FILE", str(other.ca_path))
    with (
        _client(tls_server, emulator_credentials) as client,
        pytest.raises(qrplex.BackendAuthError, match=r"(?i)certificate verify failed"),
    ):
        client.generate("never sent")
    assert tls_server.app.requests_seen() == 0  # refused before any request was sent


def test_without_tls_there_is_no_ca(emulator_app: Emulator) -> None:
    server = EmulatorServer(emulator_app)
    assert server.ca_path is None
    assert server.base_url.startswith("http://")
    with pytest.raises(ValueError, match="tls must be True or False"):
        EmulatorServer(emulator_app, tls="yes")  # type: ignore[arg-type]


RUN_COMMAND = """
import argparse, sys
from qrplex_cloudinfinite.emulator._cli import COMMAND
parser = argparse.ArgumentParser()
COMMAND.add_arguments(parser)
sys.exit(COMMAND.run(parser.parse_args(sys.argv[1:])))
"""


@pytest.mark.skipif(os.name != "posix", reason="sends signals")
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_command_serves_https(
    emulator_credentials: Any, monkeypatch: pytest.MonkeyPatch, stop: signal.Signals
) -> None:
    creds = emulator_credentials
    process = subprocess.Popen(
        [
            sys.executable, "-c", RUN_COMMAND, "--port", "0", "--tls",
            "--secret-id", creds.secret_id, "--secret-key", creds.secret_key,
            "--bucket", creds.bucket, "--region", creds.region,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        listening = process.stdout.readline()
        assert "listening on https://127.0.0.1:" in listening
        authority = process.stdout.readline()
        assert authority.startswith("certificate authority to trust: ")
        ca_path = authority.split(": ", 1)[1].strip()
        base_url = listening.split("listening on ", 1)[1].split()[0]
        monkeypatch.setenv("SSL_CERT_FILE", ca_path)
        settings = {
            "endpoint": base_url,
            "bucket": creds.bucket,
            "secret_id": creds.secret_id,
            "secret_key": creds.secret_key,
        }
        with qrplex.Client(
            backend="cloudinfinite", fallback=[], config={"backends": {"cloudinfinite": settings}}
        ) as client:
            assert decode(client.generate("from the command").data) == "from the command"
        process.send_signal(stop)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert creds.secret_key not in out + err
    assert not os.path.exists(ca_path)  # the throwaway key pair went with the process
