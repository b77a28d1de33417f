"""Section 6: the cloud client's own cost, against a canned server.

Against the emulator the server is the bottleneck (section 2), so this section aims every
client at a canned server (:mod:`benchmarks._canned`): its own process, pinned to the second
core while this process keeps the first, answering every request with the exact bytes the
emulator answered to one ``qrcode-generate`` request. What is left is the client:

* goal 1: client CPU per request: qrplex sync ÷ the SDK one request at a time, and qrplex
  async (``agenerate`` × :data:`IN_FLIGHT` gathered) ÷ the SDK in :data:`IN_FLIGHT` threads,
  the server answering at once (and a raw :mod:`http.client` client sending a precomputed
  request, the floor);
* goal 2: :data:`IN_FLIGHT` requests in flight, the server answering after :data:`DELAY`:
  ``agenerate`` gathered ÷ the SDK in threads, and ÷ qrplex's own sync client in threads;
* goal 3: the same over HTTPS (a throwaway certificate), and the connections the server
  accepted (one TLS handshake each) for many requests from qrplex's sync and async paths.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

from ._canned import CannedServer, fetch_answer
from ._canned_rig import CannedRig, trusting
from ._cloud_rig import CONTENT, WIDTH
from ._emulator import ACCOUNT, EmulatorProcess
from ._profile import Profile
from ._raw_http import signed_request
from ._report import Goal, Row, Section, fmt_ms, fmt_rate
from ._timing import Series, interleave, ratio

__all__ = ["run"]

IN_FLIGHT = 64
DELAY = 0.02
"""Seconds the canned server waits before each answer in the goal-2 comparisons."""

CPU_GOAL = Goal("<=", 0.5)
VS_SDK_GOAL = Goal(">=", 2.0)
VS_SYNC_GOAL = Goal(">=", 1.0)
REUSE_GOAL = Goal("<=", 0.1)
WAVES = 8
"""Concurrent batches are multiples of ``IN_FLIGHT × WAVES`` requests: with fewer, the first
wave's burst (every coroutine or thread starting at once) is most of what is measured."""
REUSE_WAVES = 20
"""Requests per coroutine or thread in the reuse check (``IN_FLIGHT`` of each)."""

Results = dict[str, Any]


@contextmanager
def _pinned(cpu: int) -> Iterator[bool]:
    """Run this process on ``cpu`` alone within the block (when the machine has more than
    one core); yields whether it did."""
    if not hasattr(os, "sched_setaffinity") or (os.cpu_count() or 1) < 2:
        yield False
        return
    before = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        yield True
    finally:
        os.sched_setaffinity(0, before)


def _answer() -> bytes:
    """The emulator's exact answer to the benchmark's request."""
    with EmulatorProcess("nodelay") as emulator:
        return fetch_answer(emulator.port, signed_request(ACCOUNT, emulator.port, CONTENT, WIDTH))


def _measure_server(server: CannedServer, profile: Profile, delayed: CannedServer) -> Results:
    loop = asyncio.new_event_loop()
    pool = ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix="bench")
    results: Results = {}
    try:
        with trusting(server):
            rig = CannedRig(server, loop, pool, IN_FLIGHT)
            try:
                rig.check()
                results["sequential"] = interleave(
                    rig.sequential(), profile.cloud, external_cpu=server.cpu_seconds
                )
                results["loaded"] = interleave(
                    rig.concurrent(WAVES), profile.cloud, external_cpu=server.cpu_seconds
                )
            finally:
                rig.close()
        with trusting(delayed):
            rig = CannedRig(delayed, loop, pool, IN_FLIGHT)
            try:
                rig.check()
                results["concurrent"] = interleave(
                    rig.concurrent(WAVES), profile.cloud, external_cpu=delayed.cpu_seconds
                )
                results["reuse"] = rig.reuse(IN_FLIGHT * REUSE_WAVES)
            finally:
                rig.close()
    finally:
        loop.close()
        pool.shutdown(wait=True)
    return results


def _measure(profile: Profile) -> tuple[dict[str, Results], bool]:
    answer = _answer()
    measured: dict[str, Results] = {}
    with _pinned(0) as pinned:
        server_cpu = 1 if pinned else None
        for scheme, tls in (("http", False), ("https", True)):
            with (
                CannedServer(answer, tls=tls, cpu=server_cpu) as server,
                CannedServer(answer, tls=tls, delay=DELAY, cpu=server_cpu) as delayed,
            ):
                measured[scheme] = _measure_server(server, profile, delayed)
    return measured, pinned


def run(profile: Profile, number: int) -> Section:
    """Measure the client-cost section."""
    section = Section(number, "client", "The cloud client's own cost, against a canned server")
    measured, pinned = _measure(profile)
    for scheme in ("http", "https"):
        section.rows.extend(_rows(scheme, measured[scheme]))
    section.notes.extend(_notes(number, section, measured, pinned))
    return section


# -- rows ------------------------------------------------------------------------------------


def _us(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1e6, 1)


def _cpu_row(key: str, title: str, ours: Series, theirs: Series, goal: Goal | None) -> Row:
    values = tuple(a / b for a, b in zip(ours.cpu, theirs.cpu, strict=True))
    return Row(
        key=key,
        title=title,
        subject=fmt_ms(ours.cpu_median),
        baseline=f"{fmt_ms(theirs.cpu_median)} (SDK)",
        value=sorted(values)[len(values) // 2],
        low=min(values),
        high=max(values),
        goal=goal,
        data={
            "client_cpu_us": _us(ours.cpu_median),
            "sdk_cpu_us": _us(theirs.cpu_median),
            "server_cpu_us": _us(ours.external_cpu_median),
            "ratios": [round(v, 4) for v in values],
        },
    )


def _rate_row(
    key: str, title: str, ours: Series, theirs: Series, name: str, goal: Goal | None
) -> Row:
    r = ratio(ours, theirs, rates=True)
    return Row(
        key=key,
        title=title,
        subject=fmt_rate(ours.rate),
        baseline=f"{fmt_rate(theirs.rate)} ({name})",
        value=r.median,
        low=r.low,
        high=r.high,
        goal=goal,
        data={
            "rate": round(ours.rate, 1),
            "baseline_rate": round(theirs.rate, 1),
            "client_cpu_us": _us(ours.cpu_median),
            "baseline_client_cpu_us": _us(theirs.cpu_median),
            "ratios": [round(v, 4) for v in r.values],
            "requests_per_round": [ours.ops, theirs.ops],
        },
    )


def _reuse_row(key: str, title: str, found: dict[str, int]) -> Row:
    connections, requests = found["connections"], found["requests"]
    value = connections / requests if requests else float("inf")
    return Row(
        key=key,
        title=title,
        subject=f"{connections} handshakes",
        baseline=f"{requests} requests",
        value=value,
        low=value,
        high=value,
        goal=REUSE_GOAL,
        data=dict(found),
    )


def _rows(scheme: str, results: Results) -> list[Row]:
    seq, con, reuse = results["sequential"], results["concurrent"], results["reuse"]
    loaded = results["loaded"]
    upper = scheme.upper()
    ms = f"{DELAY * 1e3:g} ms"
    rows = [
        _cpu_row(
            f"client.{scheme}.cpu.sync",
            f"{upper}: client CPU per request, `Client.generate` ÷ SDK `ci_qrcode_generate`",
            seq["qrplex"],
            seq["sdk"],
            CPU_GOAL,
        ),
        _cpu_row(
            f"client.{scheme}.cpu.async",
            f"{upper}, {IN_FLIGHT} in flight: client CPU per request, `agenerate` × "
            f"{IN_FLIGHT} gathered ÷ SDK in {IN_FLIGHT} threads",
            loaded["qrplex-async"],
            loaded["sdk-threads"],
            CPU_GOAL,
        ),
        _cpu_row(
            f"client.{scheme}.cpu.async-sequential",
            f"{upper}: client CPU per request, `agenerate` one at a time ÷ SDK sequential",
            seq["qrplex-async"],
            seq["sdk"],
            None,
        ),
        _cpu_row(
            f"client.{scheme}.cpu.raw",
            f"{upper}: client CPU per request, raw `http.client` (precomputed request) ÷ SDK",
            seq["raw"],
            seq["sdk"],
            None,
        ),
        _rate_row(
            f"client.{scheme}.inflight.sdk",
            f"{upper}, {IN_FLIGHT} in flight, server answering after {ms}: `agenerate` × "
            f"{IN_FLIGHT} gathered vs SDK in {IN_FLIGHT} threads",
            con["qrplex-async"],
            con["sdk-threads"],
            "SDK",
            VS_SDK_GOAL,
        ),
        _rate_row(
            f"client.{scheme}.inflight.sync",
            f"{upper}, {IN_FLIGHT} in flight, server answering after {ms}: `agenerate` × "
            f"{IN_FLIGHT} gathered vs `Client.generate` in {IN_FLIGHT} threads",
            con["qrplex-async"],
            con["qrplex-threads"],
            "qrplex sync",
            VS_SYNC_GOAL,
        ),
    ]
    if scheme == "https":
        n = IN_FLIGHT * REUSE_WAVES
        rows += [
            _reuse_row(
                "client.https.reuse.sync",
                f"HTTPS: TLS handshakes per request, `Client.generate` in {IN_FLIGHT} threads "
                f"({n} requests)",
                reuse["sync"],
            ),
            _reuse_row(
                "client.https.reuse.async",
                f"HTTPS: TLS handshakes per request, `agenerate` × {IN_FLIGHT} gathered "
                f"({n} requests)",
                reuse["async"],
            ),
        ]
    return rows


# -- notes -----------------------------------------------------------------------------------


def _notes(number: int, section: Section, measured: dict[str, Results], pinned: bool) -> list[str]:
    rows = {r.key: r for r in section.rows}
    ids = {r.key: f"{number}.{index}" for index, r in enumerate(section.rows, start=1)}
    seq = measured["http"]["sequential"]
    raw, sdk = seq["raw"], seq["sdk"]
    placement = (
        "this process on the first core, the server on the second"
        if pinned
        else "client and server where the OS put them (one core, or no affinity support)"
    )
    notes = [
        "The server is canned: a keep-alive HTTP/1.1 server (`benchmarks/_canned.py`) in its "
        "own process answering every request with the exact bytes the emulator answered to "
        f"the benchmark's request ({placement}). CPU rows are client CPU time per request, "
        "qrplex ÷ SDK (below 1: qrplex uses less); the others are ratios of requests per "
        "second (above 1: qrplex is faster).",
        f"The floor: a raw `http.client` client sending a request signed once costs "
        f"{fmt_ms(raw.cpu_median)} per request against the SDK's {fmt_ms(sdk.cpu_median)} "
        f"(row {ids['client.http.cpu.raw']}: {rows['client.http.cpu.raw'].value_text}), "
        f"qrplex sync {fmt_ms(seq['qrplex'].cpu_median)} and async "
        f"{fmt_ms(seq['qrplex-async'].cpu_median)}: what qrplex spends above the floor is "
        "validation, routing, signing, httpx's request and response objects and the checks "
        "of the answer (docs/transport.md has the profile).",
    ]
    for scheme in ("http", "https"):
        con = measured[scheme]["concurrent"]
        notes.append(
            f"{scheme.upper()}, {IN_FLIGHT} in flight, server answering after "
            f"{DELAY * 1e3:g} ms: `agenerate` {fmt_rate(con['qrplex-async'].rate)} at "
            f"{fmt_ms(con['qrplex-async'].cpu_median)} of CPU per request, qrplex sync in "
            f"threads {fmt_rate(con['qrplex-threads'].rate)} at "
            f"{fmt_ms(con['qrplex-threads'].cpu_median)}, the SDK in threads "
            f"{fmt_rate(con['sdk-threads'].rate)} at {fmt_ms(con['sdk-threads'].cpu_median)}. "
            f"No client can pass {IN_FLIGHT / DELAY:,.0f}/s ({IN_FLIGHT} every "
            f"{DELAY * 1e3:g} ms); below that, what a client spends per request on one core "
            "is what limits it."
        )
    reuse = measured["https"]["reuse"]
    notes.append(
        f"Connection reuse over HTTPS (rows {ids['client.https.reuse.sync']} and "
        f"{ids['client.https.reuse.async']}): for {reuse['sync']['requests']} requests "
        f"{IN_FLIGHT} at a time, the server accepted {reuse['sync']['connections']} "
        f"connections (one TLS handshake each) from the sync client in threads and "
        f"{reuse['async']['connections']} from the async one: at most one per request in "
        "flight, none per request."
    )
    missed = [key for key, row in rows.items() if row.goal is not None and row.verdict != "met"]
    for key in missed:
        notes.append(
            f"Row {ids[key]} ({rows[key].title}) missed its goal at {rows[key].value_text}; "
            "docs/transport.md has the profile of where the time goes and what would "
            "close the gap."
        )
    return notes
