"""Section 6: the emulator's own CPU per request (issue 13, goal 6: halved).

The emulator runs as shipped (``python -m qrplex.cli emulator --port 0``, a direct child
process, so ``/proc/<pid>/stat`` is its own CPU time) and answers signed ``qrcode-generate``
requests sent back to back over one kept-alive connection by a raw socket client, which costs
almost nothing. Two workloads:

* the same request again and again (what the raw-client rows of section 2 send): the goal;
* a different content on every request, each one rendered (informational).

The value is the emulator's CPU per request over 1.09 ms, what it spent before this work
(docs/benchmarks.md, section 2's note, commit 32d3ef5).
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
from collections.abc import Sequence

from ._emulator import ACCOUNT
from ._profile import Profile
from ._raw_http import _content_length, signed_request
from ._report import Goal, Row, Section, fmt_ms

__all__ = ["run"]

BEFORE = 1.09e-3
"""Seconds of emulator CPU per request before issue 13 (the same workload, h11, Pillow)."""
GOAL = Goal("<=", 0.5)
_URL = re.compile(rb"listening on https?://127\.0\.0\.1:(\d+)")


def _cpu(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _exchange(sock: socket.socket, request: bytes) -> None:
    sock.sendall(request)
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("the emulator closed the connection")
        buffer += chunk
    head, _, body = buffer.partition(b"\r\n\r\n")
    length = _content_length(head)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("the emulator closed the connection mid-answer")
        body += chunk


def _per_request(pid: int, port: int, requests: Sequence[bytes]) -> float:
    """Seconds of the emulator's CPU per request, over ``requests`` on one connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        _exchange(sock, requests[0])
        before = _cpu(pid)
        for request in requests:
            _exchange(sock, request)
        return (_cpu(pid) - before) / len(requests)


def run(profile: Profile, number: int) -> Section:
    """Measure the emulator-cost section."""
    section = Section(number, "emulator", "The emulator's own cost per request")
    quick = profile.name == "quick"
    rounds, size = (3, 300) if quick else (7, 2000)
    process = subprocess.Popen(
        [
            sys.executable, "-m", "qrplex.cli", "emulator", "--port", "0",
            "--secret-id", ACCOUNT.secret_id, "--bucket", ACCOUNT.bucket,
            "--region", ACCOUNT.region,
        ],
        env={**os.environ, "QRPLEX_EMULATOR_SECRET_KEY": ACCOUNT.secret_key},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        found = _URL.search(process.stdout.readline())
        if found is None:
            raise RuntimeError("the emulator did not say where it listens")
        port = int(found[1])
        same = [signed_request(ACCOUNT, port, "https://example.com/qrplex/benchmarks?id=42", 300)]
        results: dict[str, list[float]] = {"same": [], "distinct": []}
        for index in range(rounds):
            distinct = [
                signed_request(ACCOUNT, port, f"https://example.com/r{index}/{i}", 300)
                for i in range(size)
            ]
            results["same"].append(_per_request(process.pid, port, same * size))
            results["distinct"].append(_per_request(process.pid, port, distinct))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    titles = {
        "same": "Emulator CPU per request, the same request repeated, vs before issue 13",
        "distinct": "Emulator CPU per request, a new content each time (rendered), vs before",
    }
    for key, values in results.items():
        ratios = [value / BEFORE for value in values]
        section.rows.append(
            Row(
                key=f"emulator.cpu.{key}",
                title=titles[key],
                subject=fmt_ms(statistics.median(values)),
                baseline=f"{fmt_ms(BEFORE)} (before)",
                value=statistics.median(ratios),
                low=min(ratios),
                high=max(ratios),
                goal=GOAL if key == "same" else None,
                data={"cpu_us": [round(v * 1e6, 1) for v in values]},
            )
        )
    section.notes.append(
        f"{rounds} rounds of {size} requests per workload over one kept-alive connection "
        "(TCP_NODELAY) from a raw socket client, the emulator as shipped (`qrplex emulator`, "
        "uvicorn with httptools) in its own process; the value is its CPU time (user + "
        "system, from /proc) per request over 1.09 ms, what it spent before (h11, Pillow, "
        "every image rendered in a worker thread). Where the time went, and what changed: "
        "rendering (libzint, then Pillow's resize, paste and PNG writer: about half) is now "
        "text-built scanlines packed with `int(..., 2)` and `zlib` level 1, on the event loop "
        "for images up to 1000 px (the hand-off to a worker thread cost as much as the "
        "rendering), and skipped for a request seen before (8 MiB of recent PNGs are kept: "
        "the same content, mode and width always give the same bytes); HTTP parsing moved "
        "from h11 to httptools. What remains is uvicorn's per-request machinery (ASGI "
        "messages, the event loop), the signature check (HMAC-SHA1 and key-time checks) and "
        "the XML and base64 of the answer."
    )
    return section
