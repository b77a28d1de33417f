"""The emulator over real HTTP: host ports, network faults, lifecycle, the CLI command."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import httpx
import pytest

from qrplex_cloudinfinite.emulator import COMMAND, Emulator, EmulatorServer

QR = {"ci-process": "qrcode-generate", "qrcode-content": "over the wire", "width": "150"}


def signed_get(
    server: EmulatorServer, signer: Any, *, signed_host: str, **kwargs: Any
) -> httpx.Response:
    auth = signer.authorization(QR, {"host": signed_host})
    with httpx.Client(base_url=server.base_url, timeout=5) as client:
        return client.get("/?" + signer.query(QR), headers={"authorization": auth}, **kwargs)


def test_host_signed_with_or_without_the_port(emulator_server: EmulatorServer, signer: Any) -> None:
    port_host = f"127.0.0.1:{emulator_server.port}"
    assert signed_get(emulator_server, signer, signed_host=port_host).status_code == 200  # Go SDK
    assert signed_get(emulator_server, signer, signed_host="127.0.0.1").status_code == 200  # Python
    wrong = signed_get(emulator_server, signer, signed_host="127.0.0.1:1")
    assert wrong.status_code == 403
    assert "<Code>SignatureDoesNotMatch</Code>" in wrong.text
    assert f"host=127.0.0.1%3A{emulator_server.port}" in wrong.text


def test_bucket_host_over_the_wire(
    emulator_server: EmulatorServer, emulator_app: Emulator, signer: Any, emulator_credentials: Any
) -> None:
    target, headers = signer.request(QR)  # Host: examplebucket-1250000000.cos.ap-guangzhou...
    response = httpx.get(emulator_server.base_url + target, headers=headers, timeout=5)
    assert response.status_code == 200, response.text
    assert emulator_app.billable_calls(emulator_credentials.bucket) == 1


def test_reset_connection(
    emulator_server: EmulatorServer, emulator_app: Emulator, signer: Any
) -> None:
    emulator_app.faults.set(reset_connection=True, remaining=1)
    with pytest.raises(httpx.TransportError):
        signed_get(emulator_server, signer, signed_host="127.0.0.1")
    assert signed_get(emulator_server, signer, signed_host="127.0.0.1").status_code == 200
    assert emulator_app.requests_seen() == 2


def test_close_mid_response(
    emulator_server: EmulatorServer, emulator_app: Emulator, signer: Any
) -> None:
    emulator_app.faults.set(close_mid_response=True, remaining=1)
    with pytest.raises(httpx.RemoteProtocolError):
        signed_get(emulator_server, signer, signed_host="127.0.0.1")
    assert signed_get(emulator_server, signer, signed_host="127.0.0.1").status_code == 200


def test_stop_really_stops_and_start_reuses_the_port(emulator_app: Emulator, signer: Any) -> None:
    server = EmulatorServer(emulator_app)
    with server:
        port = server.port
        assert port > 0
        assert server.base_url == f"http://127.0.0.1:{port}"
        assert signed_get(server, signer, signed_host="127.0.0.1").status_code == 200
        began = time.monotonic()
        server.stop()
        assert time.monotonic() - began < 1.5
        assert not server.running
        with pytest.raises(httpx.ConnectError):
            signed_get(server, signer, signed_host="127.0.0.1")
        server.start()
        assert server.port == port
        assert signed_get(server, signer, signed_host="127.0.0.1").status_code == 200
    with pytest.raises(httpx.ConnectError):
        signed_get(server, signer, signed_host="127.0.0.1")
    # a new server on the port the old one had
    with EmulatorServer(emulator_app, port=port) as again:
        assert signed_get(again, signer, signed_host="127.0.0.1").status_code == 200


def test_stop_drops_requests_in_flight(
    emulator_server: EmulatorServer, emulator_app: Emulator, signer: Any
) -> None:
    emulator_app.faults.latency = 10
    outcome: list[object] = []

    def call() -> None:
        try:
            outcome.append(signed_get(emulator_server, signer, signed_host="127.0.0.1"))
        except httpx.TransportError as exc:
            outcome.append(exc)

    caller = threading.Thread(target=call)
    caller.start()
    time.sleep(0.2)
    began = time.monotonic()
    emulator_server.stop()
    caller.join(timeout=5)
    assert time.monotonic() - began < 2
    assert len(outcome) == 1
    assert isinstance(outcome[0], httpx.TransportError)


def test_start_twice_is_an_error(emulator_server: EmulatorServer) -> None:
    with pytest.raises(RuntimeError, match="already running"):
        emulator_server.start()


def test_port_in_use(emulator_server: EmulatorServer, emulator_app: Emulator) -> None:
    with pytest.raises(OSError):  # noqa: PT011
        EmulatorServer(emulator_app, port=emulator_server.port).start()


def test_concurrent_requests(
    emulator_server: EmulatorServer, emulator_app: Emulator, signer: Any
) -> None:
    emulator_app.faults.latency = 0.2
    results: list[int] = []

    def call() -> None:
        results.append(signed_get(emulator_server, signer, signed_host="127.0.0.1").status_code)

    threads = [threading.Thread(target=call) for _ in range(8)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [200] * 8
    assert time.monotonic() - began < 1.5  # served concurrently, not one after another
    assert emulator_app.billable_calls("examplebucket-1250000000") == 8


# --- the command ---------------------------------------------------------------------------


def test_command_arguments() -> None:
    parser = argparse.ArgumentParser(prog="qrplex emulator")
    COMMAND.add_arguments(parser)
    args = parser.parse_args(
        [
            "--secret-id", "ID", "--secret-key", "KEY", "--bucket", "a-1", "--bucket", "b-2",
            "--fault", "500", "--fault", "no-request-id", "--qps", "5", "--latency", "0.5",
            "--token", "T1", "--token", "T2",
        ]
    )  # fmt: skip
    assert COMMAND.name == "emulator"
    assert args.host == "127.0.0.1"
    assert args.bucket == ["a-1", "b-2"]
    assert args.fault == ["500", "no-request-id"]
    assert args.token == ["T1", "T2"]
    with pytest.raises(SystemExit):
        parser.parse_args(
            ["--secret-id", "x", "--secret-key", "y", "--bucket", "a-1", "--fault", "x"]
        )


def test_importing_the_command_is_light() -> None:
    code = textwrap.dedent(
        """
        import sys
        import qrplex_cloudinfinite.emulator
        from qrplex_cloudinfinite.emulator._cli import COMMAND
        heavy = [m for m in ("uvicorn", "starlette", "zint", "PIL", "httpx") if m in sys.modules]
        assert not heavy, heavy
        """
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=30)


RUN_COMMAND = """
import argparse, sys
from qrplex_cloudinfinite.emulator._cli import COMMAND
parser = argparse.ArgumentParser()
COMMAND.add_arguments(parser)
sys.exit(COMMAND.run(parser.parse_args(sys.argv[1:])))
"""


@pytest.mark.skipif(os.name != "posix", reason="sends SIGINT")
def test_command_serves_until_ctrl_c(signer: Any, emulator_credentials: Any) -> None:
    creds = emulator_credentials
    process = subprocess.Popen(
        [
            sys.executable, "-c", RUN_COMMAND, "--port", "0",
            "--secret-id", creds.secret_id, "--secret-key", creds.secret_key,
            "--bucket", creds.bucket, "--region", creds.region,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert "listening on http://127.0.0.1:" in line
        assert creds.secret_key not in line
        base_url = line.split("listening on ", 1)[1].split()[0]
        target, headers = signer.request(QR)
        assert httpx.get(base_url + target, headers=headers, timeout=5).status_code == 200
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert creds.secret_key not in out + err
