"""Batch generation from a file: input parsing, safe output names, and the run itself.

Input formats, chosen by extension (``.csv``, ``.jsonl`` / ``.ndjson``, anything else is text):

- text: one content per line (blank lines skipped);
- CSV with a header row: ``content`` and optional ``symbology``, ``format``, ``width``,
  ``file``, ``error``, ``height`` columns;
- JSONL: one object per line with the same keys.
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InvalidRequestError, QrplexError

if TYPE_CHECKING:
    from ._client import Client

__all__ = [
    "BatchRow",
    "BatchSummary",
    "read_rows",
    "run_batch",
    "safe_file_name",
    "write_report",
]

_KEYS = {"content", "symbology", "format", "width", "file", "error", "height"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class BatchRow:
    """One row of input: where it came from and the arguments for ``generate``."""

    number: int
    kwargs: dict[str, Any]
    file: str | None = None
    problem: str | None = None
    """Why the row cannot be generated (a malformed row fails alone, not the batch)."""


@dataclass(slots=True)
class BatchSummary:
    """What a batch run did."""

    total: int = 0
    written: int = 0
    skipped: int = 0
    failures: list[tuple[BatchRow, str]] = field(default_factory=list)
    served_by: Counter[str] = field(default_factory=Counter)
    interrupted: bool = False

    @property
    def failed(self) -> int:
        """Rows that produced no image."""
        return len(self.failures)


def _row(number: int, values: Mapping[str, Any]) -> BatchRow:
    def bad(problem: str) -> BatchRow:
        return BatchRow(number, {"content": str(values.get("content", ""))}, problem=problem)

    unknown = sorted(set(values) - _KEYS)
    if unknown:
        return bad(f"unknown column {unknown[0]!r}; allowed: {', '.join(sorted(_KEYS))}")
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or value == "" or key == "file":
            continue
        if key in {"width", "height"} and isinstance(value, str):
            try:
                value = int(value)
            except ValueError:
                return bad(f"{key} {value!r} is not a whole number")
        kwargs[key] = value
    if "content" not in kwargs:
        return bad("no content")
    file = values.get("file")
    return BatchRow(number, kwargs, str(file) if file else None)


def _text(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise InvalidRequestError(
            f"{path}: line {line} is not UTF-8 (byte 0x{data[error.start]:02X}); "
            "save the file as UTF-8"
        ) from None


def read_rows(path: Path) -> Iterator[BatchRow]:
    """The rows of a batch input file (see the module docstring for the formats).

    Raises:
        InvalidRequestError: the file is not UTF-8, or a CSV has no ``content`` column.
            A malformed row does not raise: it comes back with ``problem`` set.
    """
    suffix = path.suffix.lower()
    text = _text(path)
    if suffix == ".csv":
        reader = csv.DictReader(io.StringIO(text, newline=""))
        if reader.fieldnames is None or "content" not in reader.fieldnames:
            raise InvalidRequestError(f"{path}: a CSV input needs a 'content' column")
        for number, values in enumerate(reader, start=2):
            yield _row(number, values)
    elif suffix in {".jsonl", ".ndjson"}:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                values = json.loads(line)
            except json.JSONDecodeError as error:
                yield BatchRow(number, {"content": ""}, problem=f"not JSON: {error.msg}")
                continue
            if not isinstance(values, dict):
                yield BatchRow(number, {"content": ""}, problem="expected a JSON object")
                continue
            yield _row(number, values)
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                yield BatchRow(number, {"content": line})


def safe_file_name(row: BatchRow, extension: str) -> str:
    """A file name for the row's output that cannot leave the output directory.

    A name given in the input keeps only its last path component and safe characters;
    otherwise the name is the row number and a slug of the content.
    """
    if row.file:
        stem = Path(row.file.replace("\\", "/")).name
    else:
        content = str(row.kwargs["content"])
        ascii_text = unicodedata.normalize("NFKD", content).encode("ascii", "ignore").decode()
        slug = _UNSAFE.sub("_", ascii_text[:40]).strip("._")
        stem = f"{row.number:06d}-{slug}" if slug else f"{row.number:06d}"
    stem = _UNSAFE.sub("_", stem).strip("._")[:120] or f"{row.number:06d}"
    if not stem.lower().endswith(f".{extension}"):
        stem = f"{stem}.{extension}"
    return stem


def _extension(row: BatchRow, default_format: str | None) -> str:
    return str(row.kwargs.get("format") or default_format or "png").lower()


def run_batch(
    client: Client,
    rows: list[BatchRow],
    out_dir: Path,
    *,
    defaults: Mapping[str, Any],
    concurrency: int = 8,
    progress: Callable[[BatchSummary], None] | None = None,
) -> BatchSummary:
    """Generate every row into ``out_dir``, skipping outputs that already exist.

    ``defaults`` are keyword arguments for rows that do not set them (``symbology``,
    ``format``, ``width``, ``backend``). Failures are collected, never raised.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    root = out_dir.resolve()
    summary = BatchSummary(total=len(rows))
    todo: list[tuple[BatchRow, Path]] = []
    claimed: dict[Path, int] = {}
    for row in rows:
        target = (root / safe_file_name(row, _extension(row, defaults.get("format")))).resolve()
        if row.problem:
            summary.failures.append((row, f"InvalidRequestError: {row.problem}"))
        elif target.parent != root:  # e.g. a symlink planted in the output directory
            summary.failures.append((row, "output name escapes the output directory"))
        elif target in claimed:
            summary.failures.append(
                (
                    row,
                    f"InvalidRequestError: output {target.name} is already used by row "
                    f"{claimed[target]}",
                )
            )
        elif target.exists():
            claimed[target] = row.number
            summary.skipped += 1
        else:
            claimed[target] = row.number
            todo.append((row, target))

    def one(row: BatchRow, target: Path) -> str:
        image = client.generate(**{**defaults, **row.kwargs})
        image.save(target)
        return image.backend

    if progress:
        progress(summary)

    def record(future: Future[str], row: BatchRow) -> None:
        try:
            summary.served_by[future.result()] += 1
            summary.written += 1
        except (QrplexError, OSError) as error:
            summary.failures.append((row, f"{type(error).__name__}: {error}"))

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        futures = {pool.submit(one, row, target): row for row, target in todo}
        recorded: set[Future[str]] = set()
        try:
            for future in as_completed(futures):
                record(future, futures[future])
                recorded.add(future)
                if progress:
                    progress(summary)
        except KeyboardInterrupt:
            # Stop at once: rows not started are dropped (a re-run resumes them), the ones
            # in flight finish and are counted, and the caller still gets the summary.
            pool.shutdown(wait=True, cancel_futures=True)
            summary.interrupted = True
            for future, row in futures.items():
                if future not in recorded and future.done() and not future.cancelled():
                    record(future, row)
    summary.failures.sort(key=lambda failure: failure[0].number)
    return summary


def write_report(summary: BatchSummary, path: Path) -> None:
    """Write the failed rows, with reasons, as CSV."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "content", "error"])
        for row, reason in summary.failures:
            writer.writerow([row.number, row.kwargs.get("content", ""), reason])
