"""The routing engine: capability routing, retries, circuit breakers and fallback.

The decisions are written once, as a generator that yields what it wants done (render on a
backend, or sleep) and receives the outcome; :func:`run_sync` and :func:`run_async` carry
those actions out with blocking or awaiting calls. So the sync and async APIs cannot drift
apart, and this is the only retry loop in qrplex (backends and their HTTP clients retry
nothing themselves).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Mapping
from contextlib import closing
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ._breaker import Admission, CircuitBreaker
from ._checks import check_rendering
from ._deadline import call_deadline
from ._model import Attempt, CodeImage, CodeRequest, Rendering
from ._retry import Deadline, RetryPolicy
from ._verify import verify_rendering
from .errors import (
    AllBackendsFailedError,
    BackendAuthError,
    BackendError,
    BackendUnavailableError,
    BadResponseError,
    InvalidRequestError,
    QrplexError,
    UnsupportedError,
)

if TYPE_CHECKING:
    from ._backend import Backend
    from ._symbologies import Symbology

__all__ = ["Render", "RoutePlan", "Sleep", "route", "run_async", "run_sync"]


@dataclass(frozen=True, slots=True)
class Render:
    """Action: render the request on this backend instance, before ``expires`` (a
    :func:`time.monotonic` instant, or ``None`` for no deadline)."""

    backend: Backend
    request: CodeRequest
    expires: float | None = None


@dataclass(frozen=True, slots=True)
class Sleep:
    """Action: wait this many seconds before the next attempt."""

    seconds: float


Action = Render | Sleep
Route = Generator[Action, Rendering | None, CodeImage]


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """Everything one call's routing needs to know, gathered by the client."""

    chain: tuple[str, ...]
    user_options: frozenset[str]
    policy: RetryPolicy
    deadline: float | None
    fallback_on_auth_error: bool
    breaker: Callable[[str], CircuitBreaker]
    backend_class: Callable[[str], type[Backend]]
    backend: Callable[[str], Backend]
    on_fallback: Callable[[str, BackendError], None]
    verify: bool = False
    symbologies: Callable[[], Mapping[str, Symbology]] | None = None
    """The symbologies in effect (the client's registry's), for the checks on an image;
    ``None``: the installed plugins'."""
    spares: Callable[[], tuple[str, ...]] | None = None
    """Capability routing: the installed backends, outside ``chain``, to try when no backend
    of the chain declares the request (a ``datamatrix`` code with the default ``local``);
    ``None`` when the caller chose the backends (``backend=``, or a configured fallback)."""
    clock: Callable[[], float] = time.monotonic
    """The monotonic clock deadlines and attempt times are measured on. The drivers hand
    ``Render.expires`` to backends as a :func:`time.monotonic` instant, so anything but
    ``time.monotonic`` is for tests that drive :func:`route` themselves."""


def _crash(error: Exception, name: str) -> BadResponseError:
    return BadResponseError(f"crashed with {type(error).__name__}: {error}", backend=name)


def _attempt(name: str, error: BackendError | str, elapsed: float, kind: str = "") -> Attempt:
    if isinstance(error, str):
        return Attempt(name, kind, f"{name}: {error}", elapsed, True)
    return Attempt(
        backend=name,
        error_type=type(error).__name__,
        message=str(error),
        elapsed=elapsed,
        transient=error.transient,
    )


def route(request: CodeRequest, plan: RoutePlan) -> Route:
    """Serve ``request`` along ``plan.chain``; a generator driven by :func:`run_sync` or
    :func:`run_async`. Returns the image or raises the error the caller should see."""
    clock = plan.clock
    deadline = Deadline(plan.deadline, clock)
    attempts: list[Attempt] = []
    last_error: BackendError | None = None
    refusals: dict[str, str] = {}
    chain = plan.chain
    if plan.spares is not None and all(
        plan.backend_class(name).capabilities.refusal(request, plan.user_options) is not None
        for name in chain
    ):
        chain = (*chain, *plan.spares())
    for name in chain:
        cls = plan.backend_class(name)
        refusal = cls.capabilities.refusal(request, plan.user_options)
        if refusal is not None:
            refusals[name] = refusal
            continue
        if cls.capabilities.network and not deadline.allows(0.0):
            skipped = "skipped: the call's deadline has passed"
            attempts.append(_attempt(name, skipped, 0.0, "DeadlineExceeded"))
            continue
        breaker = plan.breaker(name)
        admission = breaker.admit()
        if admission is None:
            skipped = "skipped: circuit open after repeated failures"
            attempts.append(_attempt(name, skipped, 0.0, "CircuitOpen"))
            continue
        probing = admission is Admission.PROBE
        instance = plan.backend(name)
        # The deadline bounds network backends; a local one still answers after it passed.
        expires = deadline.expires if cls.capabilities.network else None
        table = plan.symbologies() if plan.symbologies is not None else None
        retry = 0
        while True:
            started = clock()
            try:
                try:
                    rendering = yield Render(instance, request, expires)
                    assert rendering is not None
                    check_rendering(rendering, request, name, table)
                    if plan.verify:
                        verify_rendering(rendering, request, name)
                except QrplexError:
                    raise
                except Exception as error:  # a backend bug is a bad response: fall back
                    raise _crash(error, name) from error
            except (InvalidRequestError, UnsupportedError, GeneratorExit):
                # No verdict on the backend (bad input, or the caller was cancelled while it
                # worked): a probe in flight must not keep the breaker open for ever.
                if probing:
                    breaker.release_probe()
                raise
            except BackendAuthError as error:
                if probing:
                    breaker.release_probe()
                if not plan.fallback_on_auth_error:
                    error.attempts = (*attempts, _attempt(name, error, clock() - started))
                    raise
                attempts.append(_attempt(name, error, clock() - started))
                last_error = error
                if name != chain[-1]:
                    plan.on_fallback(name, error)
                break
            except BackendError as error:
                attempts.append(_attempt(name, error, clock() - started))
                if not (error.transient or isinstance(error, BadResponseError)):
                    if probing:
                        breaker.release_probe()
                    error.attempts = tuple(attempts)
                    raise
                breaker.record_failure(probe=probing)
                probing = False
                retry += 1
                if error.transient and retry <= plan.policy.retries:
                    wait = plan.policy.delay(retry, error)
                    # Retry only if the wait and another attempt as long as this one fit in
                    # the deadline, and the breaker (which this failure may have opened)
                    # still lets calls through.
                    took = clock() - started
                    fits = wait is not None and deadline.allows(wait + took)
                    again = breaker.admit() if fits and wait is not None else None
                    if wait is not None and again is not None:
                        probing = again is Admission.PROBE
                        try:
                            if wait > 0:
                                yield Sleep(wait)
                        except GeneratorExit:
                            if probing:
                                breaker.release_probe()
                            raise
                        continue
                last_error = error
                if name != chain[-1]:
                    plan.on_fallback(name, error)
                break
            else:
                breaker.record_success()
                return CodeImage(
                    data=rendering.data,
                    media_type=rendering.media_type,
                    symbology=request.symbology,
                    width=rendering.width,
                    height=rendering.height,
                    backend=name,
                    content=request.content,
                    attempts=tuple(attempts),
                )
    if last_error is None and len({a.backend for a in attempts}) == 1:
        only = attempts[-1]  # only skips (circuit open, deadline): say so as unavailable
        last_error = BackendUnavailableError(
            only.message.removeprefix(f"{only.backend}: "), backend=only.backend
        )
    if last_error is not None and {a.backend for a in attempts} == {last_error.backend}:
        # One backend was tried: its own error (with every attempt) says it best.
        last_error.attempts = tuple(attempts)
        raise last_error
    if attempts:
        raise AllBackendsFailedError(tuple(attempts)) from last_error
    reasons = "; ".join(f"{name} does not support {why}" for name, why in refusals.items())
    raise UnsupportedError(f"no backend can make this {request.symbology} code: {reasons}")


def run_sync(request: CodeRequest, plan: RoutePlan) -> CodeImage:
    """Drive :func:`route` with blocking calls."""
    outcome: Rendering | None = None
    failure: BaseException | None = None
    # closing(): on Ctrl-C the route is closed, so it releases a circuit probe in flight.
    with closing(route(request, plan)) as steps:
        while True:
            try:
                action = steps.throw(failure) if failure is not None else steps.send(outcome)
            except StopIteration as done:
                image: CodeImage = done.value
                return image
            outcome, failure = None, None
            try:
                if isinstance(action, Sleep):
                    time.sleep(action.seconds)
                else:
                    with call_deadline(action.expires):
                        outcome = action.backend.render(action.request)
            except Exception as error:
                failure = error


async def _arender_within(action: Render) -> Rendering:
    """Await one attempt, cancelled when the call's deadline passes: an attempt that
    overruns is a :class:`BackendUnavailableError`, so the call falls back as for any
    unavailable backend."""
    import asyncio

    with call_deadline(action.expires):
        if action.expires is None:
            return await action.backend.arender(action.request)
        budget = asyncio.timeout_at(_loop_time(action.expires))
        try:
            async with budget:
                return await action.backend.arender(action.request)
        except TimeoutError:
            if not budget.expired():
                raise  # the backend's own TimeoutError: judged like any other exception
            raise BackendUnavailableError(
                "the call's deadline passed while it was rendering", backend=action.backend.name
            ) from None


def _loop_time(expires: float) -> float:
    """The running loop's clock reading at the :func:`time.monotonic` instant ``expires``."""
    import asyncio

    return asyncio.get_running_loop().time() + (expires - time.monotonic())


async def run_async(request: CodeRequest, plan: RoutePlan) -> CodeImage:
    """Drive :func:`route` with awaited calls."""
    import asyncio

    outcome: Rendering | None = None
    failure: BaseException | None = None
    # closing(): on cancellation the route is closed, so it releases a circuit probe.
    with closing(route(request, plan)) as steps:
        while True:
            try:
                action = steps.throw(failure) if failure is not None else steps.send(outcome)
            except StopIteration as done:
                image: CodeImage = done.value
                return image
            outcome, failure = None, None
            try:
                if isinstance(action, Sleep):
                    await asyncio.sleep(action.seconds)
                else:
                    outcome = await _arender_within(action)
            except Exception as error:
                failure = error
