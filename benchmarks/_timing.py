"""Interleaved timing: warm-up, calibrated batches, rounds, medians and per-round ratios.

Every comparison is measured in the same run and *pair by pair*: in each round every case of
a group runs one timed batch, in the group's order in even rounds and in reverse order in odd
ones (A B B A ...: neighbours stay next to each other, and no case is always first or last),
so that a burst of noise on this (shared, 2-core) machine slows the cases of a round alike.
Ratios are taken per round (``a[i] / b[i]``) and summarised by their median and range, never
as a ratio of two medians from different moments.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

__all__ = ["Case", "Plan", "Ratio", "Series", "interleave", "ratio", "repeat"]

MAX_OPS = 1_000_000
"""Upper bound on operations in one timed batch (keeps every loop bounded)."""


@dataclass(frozen=True)
class Plan:
    """How long to measure.

    Attributes:
        rounds: timed rounds per case (each case runs one batch per round).
        target: seconds one timed batch should last (batch sizes are calibrated to it).
        warmup: seconds of untimed calls per case before calibration.
    """

    rounds: int
    target: float
    warmup: float


def repeat(call: Callable[[], object]) -> Callable[[int], None]:
    """A ``Case.run`` that makes ``call`` ``n`` times, one after another."""

    def run(n: int) -> None:
        for _ in range(n):
            call()

    return run


@dataclass(frozen=True)
class Case:
    """One thing to time.

    Attributes:
        name: a short identifier, unique within its group.
        run: performs ``n`` operations (``n`` is a multiple of ``granularity``).
        granularity: batch sizes are rounded up to a multiple of this (e.g. 16 in flight).
        fixed_ops: if set, every batch has exactly this many operations (no calibration).
    """

    name: str
    run: Callable[[int], object]
    granularity: int = 1
    fixed_ops: int | None = None


@dataclass(frozen=True)
class Series:
    """The timed rounds of one case.

    Attributes:
        name: the case's name.
        ops: operations per timed batch.
        seconds: wall-clock seconds per operation, one value per round.
        cpu: this process's CPU seconds (all threads) per operation, one value per round.
        external_cpu: CPU seconds per operation of an observed process (e.g. the emulator
            server), one value per round; empty when nothing was observed.
    """

    name: str
    ops: int
    seconds: tuple[float, ...]
    cpu: tuple[float, ...]
    external_cpu: tuple[float, ...] = field(default=())

    @property
    def median(self) -> float:
        """Median seconds per operation."""
        return statistics.median(self.seconds)

    @property
    def rate(self) -> float:
        """Operations per second at the median."""
        return 1.0 / self.median

    @property
    def cpu_median(self) -> float:
        """Median CPU seconds per operation, this process."""
        return statistics.median(self.cpu)

    @property
    def external_cpu_median(self) -> float | None:
        """Median CPU seconds per operation of the observed process, if any."""
        return statistics.median(self.external_cpu) if self.external_cpu else None


@dataclass(frozen=True)
class Ratio:
    """Per-round ratios of two series: their median and range."""

    values: tuple[float, ...]

    @property
    def median(self) -> float:
        """The median per-round ratio."""
        return statistics.median(self.values)

    @property
    def low(self) -> float:
        """The smallest per-round ratio."""
        return min(self.values)

    @property
    def high(self) -> float:
        """The largest per-round ratio."""
        return max(self.values)


def ratio(numerator: Series, denominator: Series, *, rates: bool = False) -> Ratio:
    """``numerator / denominator`` round by round, on seconds per operation.

    With ``rates=True`` the ratio is of operations per second instead (that is,
    ``denominator`` seconds over ``numerator`` seconds): "how many times faster".
    """
    pairs = zip(numerator.seconds, denominator.seconds, strict=True)
    if rates:
        return Ratio(tuple(b / a for a, b in pairs))
    return Ratio(tuple(a / b for a, b in pairs))


def _round_up(n: int, granularity: int) -> int:
    return max(granularity, math.ceil(n / granularity) * granularity)


def _calibrate(case: Case, plan: Plan) -> int:
    """Warm ``case`` up and return the batch size that lasts about ``plan.target``."""
    if case.fixed_ops is not None:
        case.run(case.fixed_ops)  # one untimed batch: imports, caches, pools
        return case.fixed_ops
    unit = case.granularity
    calls = 0
    started = time.perf_counter()
    elapsed = 0.0
    while calls < 2 or elapsed < plan.warmup:
        case.run(unit)
        calls += 1
        elapsed = time.perf_counter() - started
        if calls >= MAX_OPS:
            break
    per_op = elapsed / (calls * unit)
    wanted = math.ceil(plan.target / per_op) if per_op > 0 else MAX_OPS
    return _round_up(min(max(wanted, 1), MAX_OPS), unit)


def interleave(
    cases: Sequence[Case],
    plan: Plan,
    *,
    external_cpu: Callable[[], float] | None = None,
) -> dict[str, Series]:
    """Time ``cases`` in ``plan.rounds`` interleaved rounds; return a series per case.

    Args:
        cases: the group, compared with each other round by round.
        plan: rounds, batch duration and warm-up.
        external_cpu: returns the cumulative CPU seconds of a process to observe (the
            server the cases talk to); its share per operation is recorded too.
    """
    sizes = {case.name: _calibrate(case, plan) for case in cases}
    seconds: dict[str, list[float]] = {case.name: [] for case in cases}
    cpu: dict[str, list[float]] = {case.name: [] for case in cases}
    external: dict[str, list[float]] = {case.name: [] for case in cases}
    for index in range(plan.rounds):
        for case in cases if index % 2 == 0 else cases[::-1]:
            ops = sizes[case.name]
            gc.collect()
            ext_before = external_cpu() if external_cpu else 0.0
            cpu_before = time.process_time()
            started = time.perf_counter()
            case.run(ops)
            elapsed = time.perf_counter() - started
            cpu_used = time.process_time() - cpu_before
            seconds[case.name].append(elapsed / ops)
            cpu[case.name].append(cpu_used / ops)
            if external_cpu is not None:
                external[case.name].append((external_cpu() - ext_before) / ops)
    return {
        case.name: Series(
            name=case.name,
            ops=sizes[case.name],
            seconds=tuple(seconds[case.name]),
            cpu=tuple(cpu[case.name]),
            external_cpu=tuple(external[case.name]),
        )
        for case in cases
    }
