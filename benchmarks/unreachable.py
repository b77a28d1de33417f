"""Section 3: the cloud is unreachable; what a call costs before and after the breaker opens.

A service configuration like ``tests/routing/test_resilience.py``'s: cloudinfinite primary,
local fallback, ``retries=1``, ``retry_backoff=0.01``, ``breaker_threshold=3``, and a short
``timeout`` of 0.1 s to connect and 0.1 s to read; the breaker's cool-down is an hour so that
it stays open (no half-open probe) while it is measured. Two ways to be down on 127.0.0.1:

* refused: nothing listens on the port, connecting fails at once;
* silent: a socket accepts connections and never answers (the read times out).

Three clients per way, interleaved round by round:

* before the breaker opens: the same configuration with a threshold it never reaches, so every
  call pays its attempts (two: one retry), the back-off and then the local fallback;
* after it opens: the breaker is opened first, then every call skips the cloud;
* the local backend alone (``Client(backend="local")``), the same request.
"""

from __future__ import annotations

from typing import Any

from ._dead_ports import SilentServer, refused_port
from ._emulator import ACCOUNT
from ._profile import Profile
from ._report import Goal, Row, Section, fmt_ms
from ._timing import Case, Series, interleave, ratio, repeat

__all__ = ["run"]

CONTENT = "https://example.com/qrplex/benchmarks?id=42"
WIDTH = 300
GOAL = Goal("<=", 1.1)
TIMEOUT = "0.1,0.1"
NEVER = 1_000_000
MAX_OPENING_CALLS = 20


def service_config(port: int, *, threshold: int) -> dict[str, Any]:
    """Cloud primary, local fallback, short timeouts; the breaker opens after ``threshold``."""
    return {
        "backend": "cloudinfinite",
        "fallback": ["local"],
        "retries": 1,
        "retry_backoff": 0.01,
        "breaker_threshold": threshold,
        "breaker_cooldown": 3600,
        "backends": {
            "cloudinfinite": {
                "endpoint": f"http://127.0.0.1:{port}",
                "secret_id": ACCOUNT.secret_id,
                "secret_key": ACCOUNT.secret_key,
                "bucket": ACCOUNT.bucket,
                "region": ACCOUNT.region,
                "timeout": TIMEOUT,
            }
        },
    }


def _measure(port: int, profile: Profile) -> tuple[dict[str, Series], list[str]]:
    """Time the three clients against a dead ``port``; also describe their first answers."""
    import qrplex

    with (
        qrplex.Client(config=service_config(port, threshold=NEVER)) as closed,
        qrplex.Client(config=service_config(port, threshold=3)) as opened,
        qrplex.Client(backend="local") as local,
    ):
        for _ in range(MAX_OPENING_CALLS):
            if opened.circuit_states().get("cloudinfinite") == "open":
                break
            opened.generate(CONTENT, width=WIDTH)
        if opened.circuit_states().get("cloudinfinite") != "open":
            raise AssertionError("the breaker did not open")
        seen = []
        for name, client in (("before", closed), ("after", opened), ("local", local)):
            image = client.generate(CONTENT, width=WIDTH)
            if image.backend != "local":
                raise AssertionError(f"{name}: served by {image.backend}, not the fallback")
            kinds = [attempt.error_type for attempt in image.attempts]
            seen.append(f"{name}: {', '.join(kinds) or 'no failed attempt'}")
        cases = [
            Case(
                "before",
                repeat(lambda: closed.generate(CONTENT, width=WIDTH)),
                fixed_ops=profile.before_open_calls,
            ),
            Case("after", repeat(lambda: opened.generate(CONTENT, width=WIDTH))),
            Case("local", repeat(lambda: local.generate(CONTENT, width=WIDTH))),
        ]
        series = interleave(cases, profile.unreachable)
        if opened.circuit_states().get("cloudinfinite") != "open":
            raise AssertionError("the breaker closed during the measurement")
    return series, seen


def _rows(way: str, title: str, series: dict[str, Series], seen: list[str]) -> list[Row]:
    after, before, local = series["after"], series["before"], series["local"]
    r_after, r_before = ratio(after, local), ratio(before, local)
    return [
        Row(
            key=f"unreachable.{way}.open",
            title=f"{title}, breaker open: per call vs local alone",
            subject=fmt_ms(after.median),
            baseline=f"{fmt_ms(local.median)} (local)",
            value=r_after.median,
            low=r_after.low,
            high=r_after.high,
            goal=GOAL,
            data={
                "after_ms": round(after.median * 1e3, 4),
                "local_ms": round(local.median * 1e3, 4),
                "ratios": [round(v, 4) for v in r_after.values],
                "attempts": seen,
            },
        ),
        Row(
            key=f"unreachable.{way}.closed",
            title=f"{title}, before it opens: per call vs local alone",
            subject=fmt_ms(before.median),
            baseline=f"{fmt_ms(local.median)} (local)",
            value=r_before.median,
            low=r_before.low,
            high=r_before.high,
            data={
                "before_ms": round(before.median * 1e3, 4),
                "local_ms": round(local.median * 1e3, 4),
                "ratios": [round(v, 4) for v in r_before.values],
            },
        ),
    ]


def run(profile: Profile, number: int) -> Section:
    """Measure section 3."""
    section = Section(
        number, "unreachable", "Cloud unreachable: before and after the breaker opens"
    )
    refused, refused_seen = _measure(refused_port(), profile)
    with SilentServer() as silent:
        hung, hung_seen = _measure(silent.port, profile)
    section.rows.extend(_rows("refused", "Connection refused", refused, refused_seen))
    section.rows.extend(_rows("silent", "Accepts, never answers", hung, hung_seen))
    missed = [row for row in section.rows if row.verdict == "missed"]
    section.notes.append(
        "Configuration: cloudinfinite primary, local fallback, retries=1, retry_backoff=0.01 s, "
        f"breaker_threshold=3 (cool-down 1 h), timeout {TIMEOUT} s (connect, read); a QR code "
        f"of a URL, {WIDTH} px PNG. Values are time per call ÷ the local backend alone's, per "
        "round. Failed attempts seen on a first call — refused: "
        + "; ".join(refused_seen)
        + ". Silent: "
        + "; ".join(hung_seen)
        + "."
    )
    extra_refused = refused["before"].median - refused["local"].median
    extra_hung = hung["before"].median - hung["local"].median
    section.notes.append(
        "Before the breaker opens, every call pays two cloud attempts (the first try and one "
        "retry) and the 10 ms back-off before the fallback: "
        f"{fmt_ms(extra_refused)} more than local when the port refuses, "
        f"{fmt_ms(extra_hung)} more when it never answers (two 0.1 s read timeouts). Once "
        "open, the cloud is skipped without any I/O; what remains is the routing bookkeeping "
        "(the breaker check and a `CircuitOpen` attempt recorded in `image.attempts`)."
    )
    ids = {row.key: f"{number}.{index}" for index, row in enumerate(section.rows, start=1)}
    goals = [row for row in section.rows if row.goal is not None]
    if missed:
        section.notes.append(
            "Missed: "
            + ", ".join(f"{ids[row.key]} at {row.value_text}" for row in missed)
            + ". The skip itself does no I/O, so the gap is per-call bookkeeping in `route()` "
            "and the client, or noise: compare the range with the goal."
        )
    else:
        section.notes.append(
            f"Goals {' and '.join(ids[row.key] for row in goals)} (≤ {GOAL.threshold:g}× "
            "local once the breaker is open) were met."
        )
    return section
