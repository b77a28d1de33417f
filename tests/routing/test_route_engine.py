"""The routing generator driven directly: fake backends, a fake clock, no sleeps.

Each test scripts what the backends do (answer, fail, take so long) and drives
:func:`qrplex._routing.route` the way ``run_sync`` does, except that a ``Sleep`` or a slow
attempt only moves the fake clock. Deadlines, ``Retry-After``, retries, breakers and their
probes are checked against exact times.
"""

from __future__ import annotations

import random
import struct
import zlib
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import ClassVar

import pytest

import qrplex
from qrplex._breaker import BreakerState, CircuitBreaker
from qrplex._model import CodeImage, CodeRequest, Rendering
from qrplex._retry import RetryPolicy
from qrplex._routing import Render, RoutePlan, Sleep, route
from qrplex.errors import (
    AllBackendsFailedError,
    BackendAuthError,
    BackendError,
    BackendRejectedError,
    BackendUnavailableError,
    BadResponseError,
    InvalidContentError,
)


def _square_png(side: int = 21) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    pixels = zlib.compress((b"\x00" + b"\xff" * side) * side)
    signature = b"\x89PNG\r\n\x1a\n"
    return signature + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


GOOD = Rendering(_square_png(), "image/png", 21, 21)
REQUEST = CodeRequest("hello")


class FakeClock:
    def __init__(self) -> None:
        self.now = 5000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Takes:
    """A scripted attempt that lasts ``seconds`` before it ends with ``outcome``."""

    seconds: float
    outcome: Rendering | Exception


Step = Rendering | Exception | Takes


class Cloud(qrplex.Backend):
    name = "cloud"
    capabilities = qrplex.Capabilities(frozenset({"qr"}), frozenset({"png"}), network=True)

    def render(self, request: CodeRequest) -> Rendering:  # pragma: no cover - scripted
        raise AssertionError("driven by the script")


class Mirror(Cloud):
    name = "mirror"


class Local(Cloud):
    name = "local"
    capabilities = qrplex.Capabilities(frozenset({"qr"}), frozenset({"png"}), network=False)


BACKENDS: dict[str, type[qrplex.Backend]] = {"cloud": Cloud, "mirror": Mirror, "local": Local}


@dataclass
class Rig:
    """Backends with scripts, breakers on the fake clock, and a record of what happened."""

    clock: FakeClock = field(default_factory=FakeClock)
    scripts: dict[str, deque[Step]] = field(default_factory=dict)
    renders: list[tuple[str, float | None]] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    fallbacks: list[str] = field(default_factory=list)
    breakers: dict[str, CircuitBreaker] = field(default_factory=dict)
    threshold: ClassVar[int] = 3
    cooldown: ClassVar[float] = 30.0

    def script(self, name: str, *steps: Step) -> None:
        self.scripts.setdefault(name, deque()).extend(steps)

    def breaker(self, name: str) -> CircuitBreaker:
        if name not in self.breakers:
            self.breakers[name] = CircuitBreaker(self.threshold, self.cooldown, clock=self.clock)
        return self.breakers[name]

    def plan(
        self,
        chain: Iterable[str] = ("cloud", "local"),
        *,
        retries: int = 2,
        deadline: float | None = 30.0,
        fallback_on_auth_error: bool = False,
    ) -> RoutePlan:
        return RoutePlan(
            chain=tuple(chain),
            user_options=frozenset(),
            policy=RetryPolicy(retries=retries, backoff=0.1, max_backoff=2.0),
            deadline=deadline,
            fallback_on_auth_error=fallback_on_auth_error,
            breaker=self.breaker,
            backend_class=BACKENDS.__getitem__,
            backend=lambda name: BACKENDS[name]({}),
            on_fallback=lambda name, error: self.fallbacks.append(name),
            clock=self.clock,
        )

    def run(self, plan: RoutePlan) -> CodeImage:
        """Drive the route to its end, as ``run_sync`` does, on the fake clock."""
        steps = route(REQUEST, plan)
        outcome: Rendering | None = None
        failure: Exception | None = None
        while True:
            try:
                action = steps.throw(failure) if failure is not None else steps.send(outcome)
            except StopIteration as done:
                image: CodeImage = done.value
                return image
            outcome, failure = None, None
            if isinstance(action, Sleep):
                self.sleeps.append(action.seconds)
                self.clock.now += action.seconds
                continue
            name = action.backend.name
            self.renders.append((name, action.expires))
            step = self.scripts[name].popleft()
            if isinstance(step, Takes):
                self.clock.now += step.seconds
                step = step.outcome
            if isinstance(step, Exception):
                failure = step
            else:
                outcome = step


def unavailable(retry_after: float | None = None) -> BackendUnavailableError:
    return BackendUnavailableError("503 Slow Down", backend="cloud", retry_after=retry_after)


# -- retries and Retry-After ------------------------------------------------------------------


def test_retry_after_is_waited_exactly() -> None:
    rig = Rig()
    rig.script("cloud", unavailable(retry_after=1.5), GOOD)
    image = rig.run(rig.plan())
    assert image.backend == "cloud"
    assert rig.sleeps == [1.5]  # not the 0-0.1 s jitter of an ordinary backoff
    assert [a.error_type for a in image.attempts] == ["BackendUnavailableError"]


def test_a_retry_after_longer_than_a_retry_should_take_falls_back_at_once() -> None:
    rig = Rig()
    rig.script("cloud", unavailable(retry_after=3600))
    rig.script("local", GOOD)
    image = rig.run(rig.plan())
    assert image.backend == "local"
    assert rig.sleeps == []
    assert rig.fallbacks == ["cloud"]


@pytest.mark.parametrize(("jitter", "waits"), [(1.0, [0.1, 0.2]), (0.5, [0.05, 0.1])])
def test_backoff_without_retry_after_is_full_jitter_and_doubles(
    jitter: float, waits: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Full jitter: uniform(0, ceiling); pin the draw to a fraction of the ceiling.
    monkeypatch.setattr(random, "uniform", lambda low, high: low + jitter * (high - low))
    rig = Rig()
    rig.script("cloud", unavailable(), unavailable(), unavailable())
    rig.script("local", GOOD)
    image = rig.run(rig.plan(retries=2))
    assert [name for name, _ in rig.renders] == ["cloud"] * 3 + ["local"]
    assert rig.sleeps == pytest.approx(waits)
    assert image.backend == "local"
    assert len(image.attempts) == 3


def test_a_permanent_rejection_is_raised_without_retry_or_fallback() -> None:
    rig = Rig()
    rig.script("cloud", BackendRejectedError("400 bad width", backend="cloud"))
    with pytest.raises(BackendRejectedError) as caught:
        rig.run(rig.plan())
    assert [name for name, _ in rig.renders] == ["cloud"]
    assert [a.error_type for a in caught.value.attempts] == ["BackendRejectedError"]


@pytest.mark.parametrize("fallback_on_auth_error", [False, True])
def test_auth_errors_fall_back_only_when_configured(fallback_on_auth_error: bool) -> None:
    rig = Rig()
    # One counted failure would open this breaker: an auth error must not count.
    rig.breakers["cloud"] = CircuitBreaker(1, Rig.cooldown, clock=rig.clock)
    rig.script("cloud", BackendAuthError("403 AccessDenied", backend="cloud"))
    rig.script("local", GOOD)
    plan = rig.plan(fallback_on_auth_error=fallback_on_auth_error)
    if fallback_on_auth_error:
        assert rig.run(plan).backend == "local"
    else:
        with pytest.raises(BackendAuthError):
            rig.run(plan)
    assert rig.breaker("cloud").state is BreakerState.CLOSED  # no verdict on availability


def test_a_backend_bug_or_a_bad_image_is_a_bad_response_and_falls_back() -> None:
    rig = Rig()
    rig.script("cloud", ZeroDivisionError("oops"))
    rig.script("local", GOOD)
    image = rig.run(rig.plan())
    assert image.backend == "local"
    assert "crashed with ZeroDivisionError" in image.attempts[0].message
    rig.script("cloud", Rendering(_square_png()[:-20], "image/png", 21, 21))
    rig.script("local", GOOD)
    assert rig.run(rig.plan()).attempts[0].error_type == "BadResponseError"


def test_every_backend_failing_reports_each() -> None:
    rig = Rig()
    rig.script("cloud", BadResponseError("garbage", backend="cloud"))
    rig.script("local", BadResponseError("also garbage", backend="local"))
    with pytest.raises(AllBackendsFailedError) as caught:
        rig.run(rig.plan())
    assert [a.backend for a in caught.value.attempts] == ["cloud", "local"]


# -- the deadline -----------------------------------------------------------------------------


def test_every_network_attempt_carries_the_calls_deadline() -> None:
    rig = Rig()
    started = rig.clock.now
    rig.script("cloud", Takes(4, unavailable()), unavailable(), unavailable())
    rig.script("local", GOOD)
    rig.run(rig.plan(deadline=10))
    # Network attempts are bounded by the deadline; the local fallback is not (it must still
    # answer when the deadline has passed).
    assert rig.renders == [("cloud", started + 10)] * 3 + [("local", None)]
    rig = Rig()
    rig.script("cloud", GOOD)
    rig.run(rig.plan(deadline=None))
    assert rig.renders == [("cloud", None)]


def test_no_retry_that_cannot_fit_in_the_deadline() -> None:
    rig = Rig()
    # The first attempt takes 6 s of a 10 s budget: another one as long would not fit.
    rig.script("cloud", Takes(6, unavailable()))
    rig.script("local", GOOD)
    image = rig.run(rig.plan(deadline=10))
    assert [name for name, _ in rig.renders] == ["cloud", "local"]
    assert image.backend == "local"


def test_an_attempt_cut_by_the_deadline_falls_back_to_local() -> None:
    rig = Rig()
    # What a backend bounded by time_left() raises when the time runs out mid-request.
    cut = BackendUnavailableError("the call's deadline passed while waiting", backend="cloud")
    rig.script("cloud", Takes(5, cut))
    rig.script("local", GOOD)
    image = rig.run(rig.plan(chain=("cloud", "mirror", "local"), deadline=5))
    assert image.backend == "local"
    # The deadline has passed: the second network backend is skipped, not tried; local
    # (no network) still serves.
    assert [name for name, _ in rig.renders] == ["cloud", "local"]
    assert [a.error_type for a in image.attempts] == ["BackendUnavailableError", "DeadlineExceeded"]


# -- the breaker and its probe ----------------------------------------------------------------


def open_the_breaker(rig: Rig) -> None:
    for _ in range(Rig.threshold):
        rig.script("cloud", unavailable())
        rig.script("local", GOOD)
        rig.run(rig.plan(retries=0))
    assert rig.breaker("cloud").state is BreakerState.OPEN


def test_an_open_breaker_skips_the_backend_without_calling_it() -> None:
    rig = Rig()
    open_the_breaker(rig)
    rig.renders.clear()
    rig.script("local", GOOD)
    image = rig.run(rig.plan())
    assert rig.renders == [("local", None)]  # local: not bounded by the deadline
    assert [a.error_type for a in image.attempts] == ["CircuitOpen"]


def test_a_failed_probe_reopens_for_a_whole_cool_down_and_a_good_one_closes() -> None:
    rig = Rig()
    open_the_breaker(rig)
    rig.clock.now += Rig.cooldown
    assert rig.breaker("cloud").state is BreakerState.HALF_OPEN
    rig.script("cloud", unavailable())
    rig.script("local", GOOD)
    assert rig.run(rig.plan(retries=2)).backend == "local"
    assert [name for name, _ in rig.renders][-2:] == ["cloud", "local"]  # no retry: it reopened
    assert rig.breaker("cloud").state is BreakerState.OPEN
    rig.clock.now += Rig.cooldown
    rig.script("cloud", GOOD)
    assert rig.run(rig.plan()).backend == "cloud"
    assert rig.breaker("cloud").state is BreakerState.CLOSED


def test_a_probe_cancelled_while_rendering_is_released() -> None:
    rig = Rig()
    open_the_breaker(rig)
    rig.clock.now += Rig.cooldown
    steps = route(REQUEST, rig.plan())
    assert isinstance(next(steps), Render)
    assert rig.breaker("cloud").admit() is None  # the probe is in flight: others skip
    steps.close()  # Ctrl-C or task cancellation while the probe was out
    assert rig.breaker("cloud").state is BreakerState.HALF_OPEN  # another probe may go


def test_a_probe_cancelled_while_backing_off_is_released() -> None:
    rig = Rig()
    # Threshold 1, no cool-down: the failure opens the breaker and the retry goes out as
    # the probe, after its backoff.
    rig.breakers["cloud"] = breaker = CircuitBreaker(1, 0.0, clock=rig.clock)
    steps = route(REQUEST, rig.plan())
    assert isinstance(next(steps), Render)
    assert steps.throw(unavailable(retry_after=1.0)) == Sleep(1.0)
    assert breaker.admit() is None  # the retry holds the probe
    steps.close()
    assert breaker.admit() is not None


def test_a_probe_that_meets_invalid_input_gives_no_verdict() -> None:
    rig = Rig()
    open_the_breaker(rig)
    rig.clock.now += Rig.cooldown
    rig.script("cloud", InvalidContentError("not encodable"))
    with pytest.raises(InvalidContentError):
        rig.run(rig.plan())
    assert rig.breaker("cloud").state is BreakerState.HALF_OPEN


def test_a_probe_cut_by_the_deadline_reopens_instead_of_sticking() -> None:
    rig = Rig()
    open_the_breaker(rig)
    rig.clock.now += Rig.cooldown
    cut = BackendUnavailableError("the call's deadline passed while waiting", backend="cloud")
    rig.script("cloud", Takes(5, cut))
    rig.script("local", GOOD)
    assert rig.run(rig.plan(deadline=5)).backend == "local"
    assert rig.breaker("cloud").state is BreakerState.OPEN  # a verdict: failed, cool down
    rig.clock.now += Rig.cooldown
    assert rig.breaker("cloud").state is BreakerState.HALF_OPEN


def test_errors_carry_every_attempt() -> None:
    rig = Rig()
    rig.script("cloud", unavailable(), unavailable(), unavailable())
    with pytest.raises(BackendError) as caught:
        rig.run(rig.plan(chain=("cloud",), retries=2))
    assert len(caught.value.attempts) == 3
