"""Section 2: the cloudinfinite backend against Tencent's SDK, both against the emulator.

The emulator runs in a child process (see :mod:`benchmarks._emulator`) on 127.0.0.1, so its
CPU never competes for this process's GIL (it does compete for the machine's 2 cores). Every
client makes the same request (a QR code of a URL, 300 px) and gets the same PNG bytes
(checked before timing); the clients are described in :mod:`benchmarks._cloud_rig`.

Besides wall-clock requests per second, each series records this process's CPU time per
request (the client's cost) and the emulator process's CPU time per request. Three emulators:
the goals are measured against one that answers at once; a second one waits
:data:`LATENCY` before each answer (a stand-in for a real network and service); a third is
``qrplex emulator`` exactly as shipped.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from ._cloud_rig import CONTENT, IN_FLIGHT, WIDTH, CloudRig
from ._emulator import ACCOUNT, EmulatorProcess
from ._profile import Profile
from ._raw_http import RawClient, signed_request
from ._report import Goal, Row, Section, fmt_ms, fmt_rate
from ._timing import Case, Plan, Series, interleave, ratio

__all__ = ["run"]

# Goals 2.1 (sequential ≥ 1.5×) and 2.4 (16 in flight ≥ 5×) were retired (issue 13): against
# the emulator the server is the bottleneck, so these rows say little about the client. What
# the client itself costs is measured against a canned server (benchmarks/client_cost.py).
LATENCY = 0.02
"""Seconds the second emulator waits before each answer."""

Results = dict[str, dict[str, Series]]


def _rate_row(
    key: str, title: str, ours: Series, theirs: Series, name: str, goal: Goal | None = None
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
            "emulator_cpu_us": _us(ours.external_cpu_median),
            "baseline_emulator_cpu_us": _us(theirs.external_cpu_median),
            "ratios": [round(v, 4) for v in r.values],
            "requests_per_round": [ours.ops, theirs.ops],
        },
    )


def _us(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds * 1e6, 1)


def _cpu_row(key: str, title: str, ours: Series, theirs: Series) -> Row:
    values = tuple(a / b for a, b in zip(ours.cpu, theirs.cpu, strict=True))
    return Row(
        key=key,
        title=title,
        subject=fmt_ms(ours.cpu_median),
        baseline=f"{fmt_ms(theirs.cpu_median)} (SDK)",
        value=sorted(values)[len(values) // 2],
        low=min(values),
        high=max(values),
        data={"client_cpu_us": _us(ours.cpu_median), "sdk_cpu_us": _us(theirs.cpu_median)},
    )


def _measure(profile: Profile) -> Results:
    loop = asyncio.new_event_loop()
    pool = ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix="bench")
    results: Results = {}
    try:
        with EmulatorProcess("nodelay") as emulator:
            rig = CloudRig(emulator, loop, pool)
            try:
                rig.check()
                cpu = emulator.cpu_seconds
                results["sequential"] = interleave(
                    rig.sequential(raw=True), profile.cloud, external_cpu=cpu
                )
                results["concurrent"] = interleave(
                    rig.concurrent(extra=True), profile.cloud, external_cpu=cpu
                )
                with EmulatorProcess("shipped") as shipped:
                    slow = RawClient(
                        shipped.port, signed_request(ACCOUNT, shipped.port, CONTENT, WIDTH)
                    )
                    try:
                        n = profile.shipped_requests
                        results["shipped"] = interleave(
                            [
                                Case("shipped", slow.run, fixed_ops=n),
                                Case("nodelay", rig.raw.run, fixed_ops=n),
                            ],
                            Plan(rounds=3, target=0.0, warmup=0.0),
                        )
                    finally:
                        slow.close()
            finally:
                rig.close()
        with EmulatorProcess("nodelay", latency=LATENCY) as distant:
            rig = CloudRig(distant, loop, pool)
            try:
                rig.check()
                cpu = distant.cpu_seconds
                results["latency-sequential"] = interleave(
                    rig.sequential(raw=False), profile.cloud, external_cpu=cpu
                )
                results["latency-concurrent"] = interleave(
                    rig.concurrent(extra=False), profile.cloud, external_cpu=cpu
                )
            finally:
                rig.close()
    finally:
        loop.close()
        pool.shutdown(wait=True)
    return results


def run(profile: Profile, number: int) -> Section:
    """Measure section 2."""
    section = Section(number, "cloud", "Cloud backend vs Tencent's SDK, against the emulator")
    results = _measure(profile)
    section.rows.extend(_rows(results))
    section.notes.extend(_notes(number, section, results))
    return section


def _rows(results: Results) -> list[Row]:
    seq, con, far_seq, far_con = (
        results["sequential"],
        results["concurrent"],
        results["latency-sequential"],
        results["latency-concurrent"],
    )
    ms = f"{LATENCY * 1e3:g} ms"
    return [
        _rate_row(
            "cloud.sequential",
            "Sequential requests/s: `Client.generate` vs SDK `ci_qrcode_generate`",
            seq["qrplex"],
            seq["sdk"],
            "SDK",
        ),
        _cpu_row(
            "cloud.sequential.cpu",
            "Sequential: client CPU per request (qrplex ÷ SDK)",
            seq["qrplex"],
            seq["sdk"],
        ),
        _rate_row(
            "cloud.sequential.ceiling",
            "Sequential: emulator alone (raw client, precomputed request) vs SDK",
            seq["raw"],
            seq["sdk"],
            "SDK",
        ),
        _rate_row(
            "cloud.concurrent",
            f"{IN_FLIGHT} in flight: `agenerate` × {IN_FLIGHT} gathered vs SDK in "
            f"{IN_FLIGHT} threads",
            con["qrplex-async"],
            con["sdk-threads"],
            "SDK",
        ),
        _cpu_row(
            "cloud.concurrent.cpu",
            f"{IN_FLIGHT} in flight: client CPU per request (qrplex async ÷ SDK)",
            con["qrplex-async"],
            con["sdk-threads"],
        ),
        _rate_row(
            "cloud.concurrent.threads",
            f"{IN_FLIGHT} in flight: `Client.generate` in {IN_FLIGHT} threads vs SDK in "
            f"{IN_FLIGHT} threads",
            con["qrplex-threads"],
            con["sdk-threads"],
            "SDK",
        ),
        _rate_row(
            "cloud.concurrent.ceiling",
            f"{IN_FLIGHT} in flight: emulator alone ({IN_FLIGHT} raw connections) vs SDK",
            con["raw"],
            con["sdk-threads"],
            "SDK",
        ),
        _rate_row(
            "cloud.latency.sequential",
            f"Emulator answering after {ms}: sequential, `Client.generate` vs SDK",
            far_seq["qrplex"],
            far_seq["sdk"],
            "SDK",
        ),
        _rate_row(
            "cloud.latency.concurrent",
            f"Emulator answering after {ms}: {IN_FLIGHT} in flight, `agenerate` vs SDK threads",
            far_con["qrplex-async"],
            far_con["sdk-threads"],
            "SDK",
        ),
        _rate_row(
            "cloud.emulator.shipped",
            "Emulator as shipped (`qrplex emulator`) vs the benchmark's TCP_NODELAY server, "
            "raw sequential requests/s",
            results["shipped"]["shipped"],
            results["shipped"]["nodelay"],
            "with TCP_NODELAY",
        ),
    ]


def _verdicts(rows: dict[str, Row], ids: dict[str, str], seq: dict[str, Series]) -> list[str]:
    """What the retired goals of this section would say now, and where the client is
    measured instead."""
    sequential, concurrent = rows["cloud.sequential"], rows["cloud.concurrent"]
    return [
        f"Rows {ids['cloud.sequential']} and {ids['cloud.concurrent']} (sequential "
        f"{sequential.value_text}, {IN_FLIGHT} in flight {concurrent.value_text}) had goals "
        "(≥ 1.5× and ≥ 5×) that issue 13 retired: against the emulator the server is the "
        f"bottleneck (a client that costs nothing reaches "
        f"{rows['cloud.sequential.ceiling'].value_text} sequentially), so they say little "
        "about the client. Its own cost is measured against a canned server in the section "
        '"The cloud client\'s own cost".'
    ]


def _notes(number: int, section: Section, results: Results) -> list[str]:
    seq, con = results["sequential"], results["concurrent"]
    seq_q, seq_s, seq_r = seq["qrplex"], seq["sdk"], seq["raw"]
    con_q, con_s, con_r = con["qrplex-async"], con["sdk-threads"], con["raw"]
    con_t = con["qrplex-threads"]
    server_cpu = seq_r.external_cpu_median or 0.0
    rows = {r.key: r for r in section.rows}
    row = {r.key: f"{number}.{index}" for index, r in enumerate(section.rows, start=1)}
    notes = [
        "Values are ratios of requests per second, qrplex ÷ SDK (above 1: qrplex is faster), "
        "per round; CPU rows are client CPU time per request, qrplex ÷ SDK (below 1: qrplex "
        "uses less). The emulator answers every request by checking its signature, rendering "
        "the QR code with libzint and Pillow and base64-encoding it in XML, as the real "
        "service does.",
        f"The emulator is the bottleneck: it spent {fmt_ms(server_cpu)} of CPU per request in "
        f"its own process. A raw client that costs almost nothing got {fmt_rate(seq_r.rate)} "
        f"sequentially and {fmt_rate(con_r.rate)} with {IN_FLIGHT} connections, so against "
        f"this emulator no client can be more than "
        f"{rows['cloud.sequential.ceiling'].value_text} the SDK sequentially (row "
        f"{row['cloud.sequential.ceiling']}) or {rows['cloud.concurrent.ceiling'].value_text} "
        f"with {IN_FLIGHT} in flight (row {row['cloud.concurrent.ceiling']}).",
        f"What the client itself costs: qrplex {fmt_ms(seq_q.cpu_median)} of CPU per "
        f"sequential request against the SDK's {fmt_ms(seq_s.cpu_median)}; with {IN_FLIGHT} "
        f"in flight, qrplex's async path {fmt_ms(con_q.cpu_median)}, its sync client in "
        f"threads {fmt_ms(con_t.cpu_median)}, the SDK {fmt_ms(con_s.cpu_median)}. Client and "
        f"emulator share the 2 cores, so with {IN_FLIGHT} in flight every microsecond the "
        "client spends is taken from the emulator.",
        *_verdicts(rows, row, seq),
    ]
    if con_q.rate < con_t.rate:
        notes.append(
            f"qrplex's async path ({fmt_rate(con_q.rate)}) is slower than its own sync client "
            f"in {IN_FLIGHT} threads ({fmt_rate(con_t.rate)}) here: with client and emulator "
            "sharing 2 cores, whichever path leaves the emulator more CPU wins; the client's "
            'own costs are compared in the section "The cloud client\'s own cost".'
        )
    far_seq, far_con = results["latency-sequential"], results["latency-concurrent"]
    notes.append(
        f"With the emulator waiting {LATENCY * 1e3:g} ms before each answer (rows "
        f"{row['cloud.latency.sequential']} and {row['cloud.latency.concurrent']}), the wait "
        f"dominates and the clients converge: sequentially qrplex "
        f"{fmt_rate(far_seq['qrplex'].rate)}, the SDK {fmt_rate(far_seq['sdk'].rate)}; with "
        f"{IN_FLIGHT} in flight {fmt_rate(far_con['qrplex-async'].rate)} and "
        f"{fmt_rate(far_con['sdk-threads'].rate)}. Against the real service (tens of ms per "
        "request) the client's own overhead matters for CPU use, not for throughput."
    )
    shipped, nodelay = results["shipped"]["shipped"], results["shipped"]["nodelay"]
    shipped_row = rows["cloud.emulator.shipped"]
    intro = (
        f"Row {row['cloud.emulator.shipped']}: the emulator as shipped (`qrplex emulator`, "
        f"`EmulatorServer`) answered {fmt_rate(shipped.rate)} sequentially "
        f"({fmt_ms(shipped.median)} a request), the benchmark's server "
        f"{fmt_rate(nodelay.rate)}. The comparisons above run the emulator's app with "
        "`EmulatorServer`'s uvicorn settings on a socket created with `IPPROTO_TCP` "
        "(`benchmarks/_emulator_serve.py`), so that asyncio sets TCP_NODELAY on every "
        "connection whatever the installed `EmulatorServer` does."
    )
    if (shipped_row.value or 0.0) < 0.5:
        notes.append(
            intro + " The shipped server is far slower: its connections lack TCP_NODELAY "
            "(its socket is created with protocol 0, and asyncio only sets TCP_NODELAY for "
            "sockets that say they are TCP), uvicorn writes each response's head and body "
            "separately, and Nagle's algorithm holds the body until the client's delayed ACK, "
            "~40 ms on Linux. Against it both clients would measure that stall, not themselves."
        )
    else:
        notes.append(
            intro + " Both answer at the same rate: the shipped server sets TCP_NODELAY too "
            "(without it, each response would wait ~40 ms for the client's delayed ACK)."
        )
    return notes
