"""A control for parallel measurements: how much parallelism the machine offers right now.

On a shared 2-core machine another process can hold a core for minutes. The probe runs the
same pure-Python arithmetic once per worker, first one after the other in this process, then
at the same time in a pool of worker processes; the speed-up is what *any* CPU-bound work could
gain from processes at that moment (ideally the number of cores).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor

__all__ = ["ParallelProbe", "burn"]

WORK = 400_000
"""Loop iterations of one unit of probe work (a few tens of milliseconds)."""


def burn(iterations: int) -> int:
    """Pure-Python CPU work: no I/O, no allocation worth mentioning."""
    total = 0
    for index in range(iterations):
        total += index * index % 7
    return total


class ParallelProbe:
    """Serial and parallel runs of :func:`burn`, for interleaving with other cases.

    Use as a context manager: the pool of ``workers`` processes lives until exit.
    """

    def __init__(self, workers: int, units: int = 4) -> None:
        self.workers = workers
        self.units = units
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> ParallelProbe:
        self._pool = ProcessPoolExecutor(self.workers)
        list(self._pool.map(burn, [1] * self.workers))  # start every worker
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def serial(self, n: int) -> None:
        """``n`` times: the work of every worker, one after the other, here."""
        for _ in range(n):
            for _ in range(self.workers * self.units):
                burn(WORK)

    def parallel(self, n: int) -> None:
        """``n`` times: the same work spread over the pool."""
        assert self._pool is not None
        for _ in range(n):
            list(self._pool.map(burn, [WORK] * (self.workers * self.units)))

    def speedup(self, rounds: int = 3) -> float:
        """The median serial ÷ parallel time over ``rounds`` (a quick one-off reading)."""
        ratios = []
        for _ in range(rounds):
            serial, parallel = _timed(self.serial), _timed(self.parallel)
            ratios.append(serial / parallel)
        return sorted(ratios)[len(ratios) // 2]


def _timed(run: Callable[[int], None]) -> float:
    started = time.perf_counter()
    run(1)
    return time.perf_counter() - started
