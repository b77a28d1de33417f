"""Batch progress: rows done / failed / per second / ETA, as a bar on a terminal and as
periodic lines otherwise (a log file, CI, a Dask job's output)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from ._batch import BatchSummary

__all__ = ["Progress"]

_BAR = 24


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}"


class Progress:
    """Called with the summary as the batch goes (see ``run_batch(progress=...)``).

    Args:
        stream: where to write (standard error).
        bar: redraw one line in place (a terminal) rather than print lines.
        every: seconds between lines (when not a bar).
    """

    def __init__(self, stream: TextIO, *, bar: bool, every: float = 10.0) -> None:
        self.stream = stream
        self.bar = bar
        self.every = every
        self.started = time.monotonic()
        self._last_line = self.started
        self._drawn = False

    def text(self, summary: BatchSummary) -> str:
        """One line: counts, rate and ETA."""
        elapsed = max(time.monotonic() - self.started, 1e-9)
        done = summary.done
        rate = done / elapsed
        parts = [f"{done:,} rows done", f"ok {summary.written:,}"]
        if summary.skipped:
            parts.append(f"skipped {summary.skipped:,}")
        parts += [f"failed {summary.failed:,}", f"{rate:,.0f}/s"]
        expected = summary.expected
        if expected:
            left = max(expected - done, 0)
            eta = _duration(left / rate) if rate > 0 else "?"
            share = min(done / expected, 1.0)
            filled = round(share * _BAR)
            head = f"[{'#' * filled}{'.' * (_BAR - filled)}] {share:4.0%}"
            parts.append(f"ETA {eta}")
            return f"{head}  " + "  ".join(parts)
        return "  ".join(parts)

    def __call__(self, summary: BatchSummary) -> None:
        if self.bar:
            self.stream.write("\r" + self.text(summary) + "\x1b[K")
            self.stream.flush()
            self._drawn = True
            return
        now = time.monotonic()
        if now - self._last_line >= self.every:
            self._last_line = now
            self.stream.write("qrplex: progress: " + self.text(summary) + "\n")
            self.stream.flush()

    def finish(self, summary: BatchSummary) -> None:
        """End the bar's line, or print a last progress line."""
        if self.bar:
            if self._drawn:
                self.stream.write("\n")
        else:
            self.stream.write("qrplex: progress: " + self.text(summary) + "\n")
        self.stream.flush()
