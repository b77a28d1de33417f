"""The signing clock: local time plus a learned offset to the service's clock.

A request signature is valid only inside its ``q-sign-time`` window, so a local clock that is
wrong by more than a minute or so makes every request fail with ``Request has expired`` or
``RequestTimeTooSkewed``. When that happens the backend reads the service's time from the
error (``<ServerTime>`` or the ``Date`` header) and stores the difference here.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

__all__ = ["SkewedClock", "parse_server_time"]

MIN_CORRECTION = 1.0
"""Seconds: a smaller change of the offset is not worth a new signature."""

MAX_OFFSET = 366 * 24 * 3600.0
"""Seconds: a claimed server time further off than this is not believed."""


def parse_server_time(server_time: str | None, date_header: str | None) -> float | None:
    """The service's time as Unix seconds, from ``<ServerTime>`` (ISO 8601, preferred) or an
    HTTP ``Date`` header; ``None`` when neither is present and well-formed."""
    if server_time:
        text = server_time.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment.timestamp()
    if date_header:
        try:
            moment = parsedate_to_datetime(date_header.strip())
        except (TypeError, ValueError, IndexError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    return None


class SkewedClock:
    """Local time corrected by the offset learned from the service. Thread-safe.

    Args:
        now: the local clock (``time.time``); injectable for tests.
    """

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self._now = now
        self._offset = 0.0
        self._lock = threading.Lock()

    @property
    def offset(self) -> float:
        """Seconds to add to local time to get the service's time."""
        with self._lock:
            return self._offset

    def local(self) -> float:
        """Uncorrected local time (Unix seconds)."""
        return self._now()

    def now(self) -> float:
        """Corrected time (Unix seconds)."""
        return self._now() + self.offset

    def correct(self, server_time: float, local_time: float) -> bool:
        """Learn the offset from the service's time ``server_time`` observed at local time
        ``local_time``.

        Returns whether the offset changed enough (at least a second) to make a new signature
        worthwhile; an implausible server time (more than a year away) is ignored.
        """
        offset = server_time - local_time
        if not math.isfinite(offset) or abs(offset) > MAX_OFFSET:
            return False
        with self._lock:
            if abs(offset - self._offset) < MIN_CORRECTION:
                return False
            self._offset = offset
            return True
