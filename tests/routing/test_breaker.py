"""The circuit breaker's state machine, and its safety under threads and tasks."""

from __future__ import annotations

import asyncio
import threading

from qrplex._breaker import Admission, BreakerState, CircuitBreaker


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_threshold_consecutive_failures_and_probes_once() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=3, cooldown=10, clock=clock)
    for _ in range(2):
        assert breaker.allow()
        breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED
    breaker.record_failure()
    assert breaker.state is BreakerState.OPEN
    assert not breaker.allow()
    clock.now += 10
    assert breaker.state is BreakerState.HALF_OPEN
    assert breaker.admit() is Admission.PROBE
    assert breaker.admit() is None  # everyone else keeps skipping while it is in flight
    breaker.record_failure()  # a call that was already in flight: no verdict on the probe
    assert breaker.state is BreakerState.OPEN
    breaker.record_failure(probe=True)  # probe failed: open again for a whole cool-down
    assert breaker.state is BreakerState.OPEN
    clock.now += 9.9
    assert not breaker.allow()
    clock.now += 0.1
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state is BreakerState.CLOSED
    assert breaker.allow()


def test_success_resets_the_count() -> None:
    breaker = CircuitBreaker(threshold=2, cooldown=10, clock=FakeClock())
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED


def test_failures_in_flight_do_not_extend_the_cool_down() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=2, cooldown=10, clock=clock)
    breaker.record_failure()
    breaker.record_failure()
    clock.now += 9
    breaker.record_failure()  # a slow call that started before it opened
    clock.now += 1
    assert breaker.admit() is Admission.PROBE


def test_release_probe_lets_another_probe_through() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=1, cooldown=1, clock=clock)
    breaker.record_failure()
    clock.now += 1
    assert breaker.allow()
    breaker.release_probe()
    assert breaker.allow()


def test_exactly_one_probe_among_many_threads() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=1, cooldown=1, clock=clock)
    breaker.record_failure()
    clock.now += 1
    start = threading.Barrier(16)
    allowed: list[bool] = []
    lock = threading.Lock()

    def contend() -> None:
        start.wait()
        verdict = breaker.allow()
        with lock:
            allowed.append(verdict)

    threads = [threading.Thread(target=contend) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 1


def test_failure_counting_is_exact_under_threads() -> None:
    breaker = CircuitBreaker(threshold=10_000, cooldown=1)

    def fail() -> None:
        for _ in range(1000):
            breaker.record_failure()

    threads = [threading.Thread(target=fail) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert breaker._failures == 8000


def test_exactly_one_probe_among_many_tasks() -> None:
    clock = FakeClock()
    breaker = CircuitBreaker(threshold=1, cooldown=1, clock=clock)
    breaker.record_failure()
    clock.now += 1

    async def contend() -> bool:
        await asyncio.sleep(0)
        return breaker.allow()

    async def main() -> list[bool]:
        return list(await asyncio.gather(*(contend() for _ in range(50))))

    assert asyncio.run(main()).count(True) == 1
