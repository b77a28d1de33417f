"""The Cloud Infinite emulator in a child process, so its CPU never shares our GIL.

Two ways to run it:

* ``"nodelay"``: :mod:`benchmarks._emulator_serve`, the emulator's app under uvicorn with
  ``TCP_NODELAY`` on every connection (used for the client comparisons);
* ``"shipped"``: ``qrplex emulator --port 0``, exactly as shipped (measured against the first,
  as a check that it sets ``TCP_NODELAY`` too).

Both listen on 127.0.0.1 only and are stopped (then killed if need be) on exit. Neither
outlives the benchmark by more than 20 minutes even if it is killed: the first stops at the
end of its standard input or after 20 minutes, the second runs under ``timeout 1200``.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Literal

from ._machine import REPO

__all__ = ["ACCOUNT", "Account", "EmulatorProcess"]

_URL = re.compile(r"http://127\.0\.0\.1:(\d+)")
_START_TIMEOUT = 30.0
_STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class Account:
    """The emulated account both clients sign with."""

    secret_id: str = "AKIDqrplexBENCH0000000000000000000001"
    secret_key: str = field(default="qrplexBenchSecretKey0000000000001", repr=False)
    bucket: str = "examplebucket-1250000000"
    region: str = "ap-guangzhou"


ACCOUNT = Account()


def _read_lines(stream: IO[str], lines: queue.Queue[str]) -> None:
    for line in stream:
        lines.put(line)


class EmulatorProcess:
    """Run the emulator in a child process (a context manager).

    Attributes:
        kind: ``"nodelay"`` or ``"shipped"`` (see the module docstring).
        latency: seconds the emulator waits before answering each request (a stand-in for
            the network and the real service's processing time).
        port: the port it listens on, once started.
    """

    def __init__(
        self,
        kind: Literal["nodelay", "shipped"],
        account: Account = ACCOUNT,
        *,
        latency: float = 0.0,
    ) -> None:
        self.kind = kind
        self.account = account
        self.latency = latency
        self.port = 0
        self._process: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self._ticks = os.sysconf("SC_CLK_TCK")

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        """The child's process id."""
        assert self._process is not None
        return self._process.pid

    def _command(self) -> list[str]:
        a = self.account
        if self.kind == "nodelay":
            return [
                sys.executable,
                "-m",
                "benchmarks._emulator_serve",
                a.secret_id,
                a.secret_key,
                a.bucket,
                str(self.latency),
            ]
        qrplex = Path(sys.executable).with_name("qrplex")
        # `qrplex emulator` runs until Ctrl-C: bound its life with coreutils' timeout, which
        # passes our SIGINT on to it (and kills it if we die without stopping it).
        timeout = shutil.which("timeout")
        bound = [] if timeout is None else [timeout, "--signal=INT", "--kill-after=5", "1200"]
        return [
            *bound,
            str(qrplex),
            "emulator",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--secret-id",
            a.secret_id,
            "--secret-key",
            a.secret_key,
            "--bucket",
            a.bucket,
            "--region",
            a.region,
            "--latency",
            str(self.latency),
        ]

    def start(self) -> EmulatorProcess:
        """Start the child and wait until it listens.

        Raises:
            RuntimeError: it did not start within 30 s (its stderr is quoted).
        """
        self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed in stop()
        self._process = subprocess.Popen(
            self._command(),
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        assert self._process.stdout is not None
        threading.Thread(
            target=_read_lines, args=(self._process.stdout, lines), daemon=True
        ).start()
        try:
            line = lines.get(timeout=_START_TIMEOUT)
        except queue.Empty:
            line = ""
        match = _URL.search(line)
        if match is None:
            errors = self._errors()
            self.stop()
            raise RuntimeError(f"the {self.kind} emulator did not start: {errors}")
        self.port = int(match.group(1))
        return self

    def _errors(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return self._stderr.read()[-2000:].strip() or "(no output)"

    def cpu_seconds(self) -> float:
        """CPU seconds (user + system, all threads) the child has used so far (for the
        ``"shipped"`` kind that child may be coreutils' ``timeout``, not the emulator)."""
        with open(f"/proc/{self.pid}/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / self._ticks

    def stop(self) -> None:
        """Ask the child to stop, kill it if it does not within 5 s, and reap it."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            if process.stdin is not None:
                process.stdin.close()  # the nodelay server stops at end of input
            process.send_signal(signal.SIGINT)  # `qrplex emulator` stops on Ctrl-C
            try:
                process.wait(timeout=_STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=_STOP_TIMEOUT)
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
