"""A batch's failed rows, for the report, in bounded memory: the latest few thousand in a list,
the rest in sorted runs in temporary files, read back merged in row order."""

from __future__ import annotations

import heapq
import json
import tempfile
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from ._batch import BatchRow

__all__ = ["Failures"]

SPILL_AT = 10_000
"""Failures held in memory before they are written to a temporary file."""

Failure = tuple["BatchRow", str]


def _number(failure: Failure) -> int:
    return failure[0].number


class Failures:
    """Failed rows and their reasons; iterates in row order (like a sorted list)."""

    def __init__(self) -> None:
        self._recent: list[Failure] = []
        self._runs: list[IO[str]] = []
        self._count = 0

    def append(self, failure: Failure) -> None:
        """Add one failed row and its reason."""
        self._recent.append(failure)
        self._count += 1
        if len(self._recent) >= SPILL_AT:
            self._spill()

    def __len__(self) -> int:
        return self._count

    def __bool__(self) -> bool:
        return self._count > 0

    def __iter__(self) -> Iterator[Failure]:
        runs = [self._read(run) for run in self._runs]
        return heapq.merge(*runs, sorted(self._recent, key=_number), key=_number)

    def _spill(self) -> None:
        # Kept open for the merge; deleted when closed or collected with this object.
        run = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115
        for row, reason in sorted(self._recent, key=_number):
            content = row.kwargs.get("content", "")
            run.write(json.dumps([row.number, content, reason]) + "\n")
        run.flush()
        self._runs.append(run)
        self._recent = []

    @staticmethod
    def _read(run: IO[str]) -> Iterator[Failure]:
        from ._batch import BatchRow

        run.seek(0)
        for line in run:
            number, content, reason = json.loads(line)
            yield BatchRow(number, {"content": content}), reason
