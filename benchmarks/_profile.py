"""How much to measure: the full run (minutes) and the quick CI smoke run (seconds)."""

from __future__ import annotations

from dataclasses import dataclass

from ._timing import Plan

__all__ = ["FULL", "QUICK", "Profile"]


@dataclass(frozen=True)
class Profile:
    """Measurement sizes for one kind of run.

    Attributes:
        name: ``"full"`` or ``"quick"``.
        local: rounds and batch duration of the in-process local comparisons.
        cloud: the same for requests to the emulator.
        shipped_requests: requests per round against the emulator as shipped (slow: each
            can take ~40 ms, see the cloud section).
        unreachable: the same for the unreachable-cloud comparisons.
        before_open_calls: calls per round while the breaker is still closed (each waits
            for timeouts, so few).
        startup_rounds: hyperfine invocations (rounds) per command group.
        startup_runs: runs of each command per round.
        batch_size: codes per ``generate_many`` batch.
        batch_rounds: rounds of the batch comparison (one batch per case per round).
        quiet_wait: at most this many seconds to wait, before a section that uses both
            cores, for other processes to leave the cores free (see
            :func:`benchmarks._machine.wait_for_quiet`).
    """

    name: str
    local: Plan
    cloud: Plan
    shipped_requests: int
    unreachable: Plan
    before_open_calls: int
    startup_rounds: int
    startup_runs: int
    batch_size: int
    batch_rounds: int
    quiet_wait: float


FULL = Profile(
    name="full",
    local=Plan(rounds=9, target=0.25, warmup=0.2),
    cloud=Plan(rounds=7, target=1.0, warmup=0.5),
    shipped_requests=25,
    unreachable=Plan(rounds=9, target=0.25, warmup=0.2),
    before_open_calls=3,
    startup_rounds=6,
    startup_runs=10,
    batch_size=400,
    batch_rounds=10,
    quiet_wait=60.0,
)

QUICK = Profile(
    name="quick",
    local=Plan(rounds=3, target=0.03, warmup=0.02),
    cloud=Plan(rounds=3, target=0.15, warmup=0.05),
    shipped_requests=3,
    unreachable=Plan(rounds=3, target=0.03, warmup=0.02),
    before_open_calls=1,
    startup_rounds=2,
    startup_runs=3,
    batch_size=150,
    batch_rounds=2,
    quiet_wait=0.0,
)
