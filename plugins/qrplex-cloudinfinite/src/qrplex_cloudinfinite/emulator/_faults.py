"""Faults the emulator can inject, switched on and off while it runs (thread-safe)."""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

__all__ = ["FaultPlan", "Faults"]

_DEFAULTS: dict[str, Any] = {
    "latency": 0.0,
    "status_500": False,
    "slow_down_503": False,
    "qps_limit": None,
    "reset_connection": False,
    "close_mid_response": False,
    "malformed_xml": False,
    "truncated_base64": False,
    "non_image": False,
    "no_request_id": False,
    "remaining": None,
}


@dataclass(frozen=True)
class FaultPlan:
    """The faults one request gets (a snapshot taken when it arrives)."""

    latency: float = 0.0
    status_500: bool = False
    slow_down_503: bool = False
    throttled: bool = False
    reset_connection: bool = False
    close_mid_response: bool = False
    malformed_xml: bool = False
    truncated_base64: bool = False
    non_image: bool = False
    no_request_id: bool = False


class Faults:
    """The faults switched on; set attributes, or call :meth:`set` / :meth:`clear`.

    Attributes:
        latency: seconds added before answering.
        status_500: answer ``500 InternalError``.
        slow_down_503: answer ``503 SlowDown`` (with ``Retry-After: 1``).
        qps_limit: requests per second accepted (sliding one-second window); more are
            answered ``503 SlowDown``. ``None``: no limit.
        reset_connection: abort the connection (TCP RST) without answering.
        close_mid_response: send the headers and part of the body, then close.
        malformed_xml: answer 200 with a body that is not well-formed XML.
        truncated_base64: answer 200 with ``ResultImage`` cut in half (not valid base64).
        non_image: answer 200 with ``ResultImage`` valid base64 of something not an image.
        no_request_id: leave out ``x-cos-request-id`` / ``x-ci-request-id``.
        remaining: if set, only the next N requests get the faults, then every fault is
            cleared; ``None``: until cleared.

    Infrastructure faults (latency, reset, 500, 503, throttling) strike before the request
    is authenticated; response faults (close, malformed XML, truncated base64, non-image,
    no request id) corrupt what the service would have answered.
    """

    latency: float
    status_500: bool
    slow_down_503: bool
    qps_limit: float | None
    reset_connection: bool
    close_mid_response: bool
    malformed_xml: bool
    truncated_base64: bool
    non_image: bool
    no_request_id: bool
    remaining: int | None
    _lock: threading.RLock
    _accepted: deque[float]

    def __init__(self, **faults: Any) -> None:
        object.__setattr__(self, "_lock", threading.RLock())
        object.__setattr__(self, "_accepted", deque())
        for name, value in _DEFAULTS.items():
            object.__setattr__(self, name, value)
        self.set(**faults)

    def __setattr__(self, name: str, value: Any) -> None:
        if name not in _DEFAULTS:
            raise AttributeError(f"Faults has no fault {name!r}; known: {', '.join(_DEFAULTS)}")
        with self._lock:
            object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        with self._lock:
            active = {
                name: getattr(self, name)
                for name, default in _DEFAULTS.items()
                if getattr(self, name) != default
            }
        inner = ", ".join(f"{name}={value!r}" for name, value in active.items())
        return f"Faults({inner})"

    def set(self, **faults: Any) -> Faults:
        """Switch several faults at once (``faults.set(status_500=True, remaining=2)``)."""
        unknown = sorted(set(faults) - set(_DEFAULTS))
        if unknown:
            raise AttributeError(f"unknown fault(s): {', '.join(unknown)}")
        with self._lock:
            for name, value in faults.items():
                object.__setattr__(self, name, value)
        return self

    def clear(self) -> Faults:
        """Switch every fault off (and forget the throttle's history)."""
        with self._lock:
            for name, value in _DEFAULTS.items():
                object.__setattr__(self, name, value)
            self._accepted.clear()
        return self

    def take(self) -> FaultPlan:
        """Snapshot the faults for one arriving request, counting down ``remaining``."""
        with self._lock:
            if self.remaining is not None and self.remaining <= 0:
                self.clear()
                return FaultPlan()
            throttled = self._throttle()
            plan = FaultPlan(
                latency=float(self.latency or 0.0),
                status_500=bool(self.status_500),
                slow_down_503=bool(self.slow_down_503),
                throttled=throttled,
                reset_connection=bool(self.reset_connection),
                close_mid_response=bool(self.close_mid_response),
                malformed_xml=bool(self.malformed_xml),
                truncated_base64=bool(self.truncated_base64),
                non_image=bool(self.non_image),
                no_request_id=bool(self.no_request_id),
            )
            if self.remaining is not None:
                left = int(self.remaining) - 1
                if left <= 0:
                    self.clear()
                else:
                    object.__setattr__(self, "remaining", left)
            return plan

    def _throttle(self) -> bool:
        limit = self.qps_limit
        accepted = self._accepted
        now = time.monotonic()
        while accepted and now - accepted[0] >= 1.0:
            accepted.popleft()
        if limit is not None and len(accepted) >= limit:
            return True
        accepted.append(now)
        return False
