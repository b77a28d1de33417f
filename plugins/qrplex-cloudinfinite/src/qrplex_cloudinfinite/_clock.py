"""The signing clock: local time plus a learned offset to the service's clock.

A request signature is valid only inside its ``q-sign-time`` window, so a local clock that is
wrong by more than a minute or so makes every request fail with ``Request has expired`` or
``RequestTimeTooSkewed``. When that happens the backend reads the service's time from the
error (``<ServerTime>`` or the ``Date`` header) and stores the difference here.

The service's word moves the signing clock by at most :data:`MAX_OFFSET` (one day): a claim
further off is either a badly wrong local clock, which must be fixed on the machine, or a
forged answer trying to make signatures valid in the future (replayable then). Either way it
is reported, never followed.
"""

from __future__ import annotations

import enum
import math
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Final

__all__ = ["MAX_OFFSET", "Correction", "SkewedClock", "http_date", "parse_server_time"]

MIN_CORRECTION: Final = 1.0
"""Seconds: a smaller change of the offset is not worth a new signature."""

MAX_OFFSET: Final = 24 * 3600.0
"""Seconds: the largest offset adopted; a server time further off is reported, not followed."""


def parse_server_time(server_time: str | None, date_header: str | None) -> float | None:
    """The service's time as Unix seconds, from ``<ServerTime>`` (ISO 8601, preferred) or,
    when there is none, an HTTP ``Date`` header; ``None`` when the one that counts is
    missing or malformed (a malformed ``<ServerTime>`` is not replaced by the header)."""
    if server_time is not None:
        text = server_time.strip()
        if not text.isascii():
            return None
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
            return moment.timestamp()
        except (ValueError, OverflowError):
            return None
    if date_header:
        return http_date(date_header.strip())
    return None


def http_date(value: str) -> float | None:
    """An HTTP date (``Date``, ``Retry-After``) as Unix seconds; ``None`` unless it is ASCII
    and well-formed."""
    if not value.isascii():
        return None
    try:
        moment = parsedate_to_datetime(value)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment.timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


class Correction(enum.Enum):
    """What :meth:`SkewedClock.correct` made of a server time."""

    UNCHANGED = "unchanged"
    """The offset already matches (within :data:`MIN_CORRECTION`), or the time is unusable."""

    CORRECTED = "corrected"
    """The offset changed: sign again."""

    TOO_FAR = "too far"
    """The server time is more than :data:`MAX_OFFSET` away: the offset is left alone."""


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

    def correct(self, server_time: float, local_time: float) -> Correction:
        """Learn the offset from the service's time ``server_time`` observed at local time
        ``local_time``.

        Returns :attr:`Correction.CORRECTED` when the offset changed enough (at least a
        second) to make a new signature worthwhile, :attr:`Correction.TOO_FAR` (offset left
        alone) when the server time is more than :data:`MAX_OFFSET` away.
        """
        offset = server_time - local_time
        if not math.isfinite(offset):
            return Correction.UNCHANGED
        if abs(offset) > MAX_OFFSET:
            return Correction.TOO_FAR
        with self._lock:
            if abs(offset - self._offset) < MIN_CORRECTION:
                return Correction.UNCHANGED
            self._offset = offset
            return Correction.CORRECTED

    def revert(self, learned: float, previous: float) -> None:
        """Put back the ``previous`` offset after ``learned`` proved wrong (the request
        signed with it was refused too), unless another thread has changed it since."""
        with self._lock:
            if self._offset == learned:
                self._offset = previous
