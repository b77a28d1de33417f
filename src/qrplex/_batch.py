"""Batch generation from a file: input parsing, safe output names, and the run itself.

Input formats, chosen by extension (``.csv``, ``.jsonl`` / ``.ndjson``, anything else is text):

- text: one content per line (blank lines skipped);
- CSV with a header row: ``content`` and optional ``symbology``, ``format``, ``width``,
  ``file``, ``error``, ``height`` columns;
- JSONL: one object per line with the same keys.

Lines end at ``\n`` or ``\r\n`` only (U+2028, U+0085, form feed ... stay in the content).
The input is read lazily, a line of at most :data:`MAX_LINE_BYTES` at a time, and at most
``concurrency *`` :data:`ROWS_IN_FLIGHT_PER_WORKER` rows are submitted and not yet done, so
memory and the time Ctrl-C takes do not grow with the input.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ._engine import ROWS_IN_FLIGHT_PER_WORKER, run_batch
from ._failures import Failures
from ._files import write_file
from .errors import InvalidOptionError, InvalidRequestError

__all__ = [
    "MAX_LINE_BYTES",
    "REPORT_HEADER",
    "ROWS_IN_FLIGHT_PER_WORKER",
    "BatchRow",
    "BatchSummary",
    "Rows",
    "check_report_path",
    "is_report",
    "read_rows",
    "report_bytes",
    "run_batch",
    "safe_file_name",
    "write_report",
]

MAX_LINE_BYTES = 1 << 20
"""A longer input line fails alone (no code holds a fraction of it), unread into memory."""
REPORT_HEADER = ("row", "content", "error")

_KEYS = {"content", "symbology", "format", "width", "file", "error", "height"}
_NUMBER_KEYS = {"width", "height"}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# Cells a spreadsheet would read as a formula (OWASP "CSV injection"), full-width forms too.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


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
    """Rows read (all of the input, unless interrupted)."""
    written: int = 0
    skipped: int = 0
    failures: Failures = field(default_factory=Failures)
    """Failed rows and reasons, in row order (held on disk past a few thousand)."""
    served_by: Counter[str] = field(default_factory=Counter)
    interrupted: bool = False
    expected: int | None = None
    """About how many rows the input has (its line count), for an ETA; ``None``: unknown."""

    @property
    def failed(self) -> int:
        """Rows that produced no image."""
        return len(self.failures)

    @property
    def done(self) -> int:
        """Rows with an outcome: written, skipped or failed."""
        return self.written + self.skipped + self.failed


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _row(number: int, values: Mapping[str, Any]) -> BatchRow:
    content = values.get("content")

    def bad(problem: str) -> BatchRow:
        return BatchRow(
            number, {"content": content if isinstance(content, str) else ""}, None, problem
        )

    unknown = sorted(str(key) for key in set(values) - _KEYS)
    if unknown:
        return bad(f"unknown column {unknown[0]!r}; allowed: {', '.join(sorted(_KEYS))}")
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        if value is None or value == "":
            continue
        if key in _NUMBER_KEYS:
            if isinstance(value, str):
                text = value.strip()
                try:
                    if not (text.isascii() and text.isdigit()):
                        raise ValueError(text)
                    value = int(text)
                except ValueError:  # also a number of more digits than int() takes
                    return bad(f"{key} {value[:40]!r} is not a whole number")
            elif isinstance(value, bool) or not isinstance(value, int):
                return bad(f"{key} must be a whole number, not {_kind(value)}")
        elif not isinstance(value, str):
            return bad(f"{key} must be a string, not {_kind(value)}")
        if key != "file":
            kwargs[key] = value
    if "content" not in kwargs:
        return bad("no content")
    file = values.get("file")
    return BatchRow(number, kwargs, file or None)


class _BadLineError(Exception):
    """An input line over :data:`MAX_LINE_BYTES` (skipped, not kept in memory)."""


def _check_utf8(path: Path, handle: IO[bytes]) -> int:
    """Fail once, before any row, for an input that is not UTF-8 (when it can be re-read);
    the number of lines it has."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    lines = 0
    last = b""
    while chunk := handle.read(1 << 20):
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            line = lines + error.object[: error.start].count(b"\n") + 1
            raise InvalidRequestError(
                f"{path}: line {line} is not UTF-8 "
                f"(byte 0x{error.object[error.start]:02X}); save the file as UTF-8"
            ) from None
        lines += chunk.count(b"\n")
        last = chunk
    handle.seek(0)
    return lines + (1 if last and not last.endswith(b"\n") else 0)


class _Lines:
    """The input's lines as text, split at ``\n`` only (``\r\n`` kept for the caller)."""

    def __init__(self, handle: IO[bytes]) -> None:
        self.handle = handle
        self.number = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = self.handle.readline(MAX_LINE_BYTES + 1)
        if not raw:
            raise StopIteration
        self.number += 1
        if len(raw) > MAX_LINE_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest, a bounded read at a time
                raw = self.handle.readline(MAX_LINE_BYTES)
            raise _BadLineError(f"line {self.number} is longer than {MAX_LINE_BYTES} bytes")
        if self.number == 1:
            raw = raw.removeprefix(codecs.BOM_UTF8)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as error:  # only for an input that could not be checked
            raise _BadLineError(
                f"line {self.number} is not UTF-8 (byte 0x{raw[error.start]:02X})"
            ) from None


def _strip_newline(line: str) -> str:
    return line.removesuffix("\n").removesuffix("\r")


class Rows(Iterator[BatchRow]):
    """The rows of an input, read lazily; ``lines`` is its line count (``None``: unknown)."""

    def __init__(self, rows: Iterator[BatchRow], lines: int | None) -> None:
        self._rows = rows
        self.lines = lines

    def __next__(self) -> BatchRow:
        return next(self._rows)


def read_rows(path: Path) -> Rows:
    """The rows of a batch input file, read lazily (see the module docstring for the formats).

    The file is opened and checked before this returns; the rows are read as they are asked
    for.

    Raises:
        InvalidRequestError: the file is not UTF-8, or a CSV has no ``content`` column.
            A malformed row does not raise: it comes back with ``problem`` set.
        OSError: the file cannot be opened.
    """
    handle = path.open("rb")
    count = None
    try:
        if handle.seekable():
            count = _check_utf8(path, handle)
        lines = _Lines(handle)
        suffix = path.suffix.lower()
        if suffix == ".csv":
            rows = _csv_rows(path, lines)
        elif suffix in {".jsonl", ".ndjson"}:
            rows = _jsonl_rows(lines)
        else:
            rows = _text_rows(lines)
    except BaseException:
        handle.close()
        raise
    return Rows(_closing(rows, handle), count)


def _closing(rows: Iterator[BatchRow], handle: IO[bytes]) -> Iterator[BatchRow]:
    with handle:
        yield from rows


def _text_rows(lines: _Lines) -> Iterator[BatchRow]:
    while True:
        try:
            line = _strip_newline(next(lines))
        except StopIteration:
            return
        except _BadLineError as problem:
            yield BatchRow(lines.number, {"content": ""}, problem=str(problem))
            continue
        if line.strip():
            yield BatchRow(lines.number, {"content": line})


def _jsonl_rows(lines: _Lines) -> Iterator[BatchRow]:
    while True:
        try:
            line = next(lines)
        except StopIteration:
            return
        except _BadLineError as problem:
            yield BatchRow(lines.number, {"content": ""}, problem=str(problem))
            continue
        if not line.strip():
            continue
        try:
            values = json.loads(line)
        except json.JSONDecodeError as error:
            yield BatchRow(lines.number, {"content": ""}, problem=f"not JSON: {error.msg}")
            continue
        except (ValueError, RecursionError) as error:  # a 5000-digit number, [[[[...]]]]
            reason = "nested too deeply" if isinstance(error, RecursionError) else str(error)
            yield BatchRow(lines.number, {"content": ""}, problem=f"not usable JSON: {reason}")
            continue
        if not isinstance(values, dict):
            yield BatchRow(lines.number, {"content": ""}, problem="expected a JSON object")
            continue
        yield _row(lines.number, values)


def _csv_rows(path: Path, lines: _Lines) -> Iterator[BatchRow]:
    reader = csv.reader(lines)
    try:
        header = next(reader, None)
    except (csv.Error, _BadLineError) as error:
        raise InvalidRequestError(f"{path}: the CSV header cannot be read: {error}") from None
    if header is None or "content" not in header:
        raise InvalidRequestError(f"{path}: a CSV input needs a 'content' column")
    return _csv_records(header, reader)


def _csv_records(header: list[str], reader: Iterator[list[str]]) -> Iterator[BatchRow]:
    number = 1  # rows count from the header, as a spreadsheet shows them
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except (csv.Error, _BadLineError) as error:
            number += 1
            yield BatchRow(number, {"content": ""}, problem=f"not valid CSV: {error}")
            continue
        if not cells:
            continue  # a blank line
        number += 1
        if len(cells) > len(header):
            content = cells[header.index("content")]
            yield BatchRow(
                number,
                {"content": content},
                problem=f"{len(cells)} fields, but the header names {len(header)}",
            )
            continue
        yield _row(number, dict(zip(header, cells, strict=False)))


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


def _neutral(cell: str) -> str:
    """``cell``, made inert for spreadsheets when it would start a formula (``'=1+1``)."""
    return f"'{cell}" if cell.startswith(_FORMULA_STARTS) else cell


def is_report(path: Path) -> bool:
    """Whether ``path`` is a file a qrplex batch wrote as its report (or is empty)."""
    expected = ",".join(REPORT_HEADER).encode()
    with path.open("rb") as handle:
        start = handle.read(len(expected) + 2)
    return start == b"" or start.startswith((expected + b"\r\n", expected + b"\n"))


def check_report_path(report: Path, inputs: Iterable[Path]) -> None:
    """Refuse a report path qrplex must not write: an input, a directory, someone's file.

    qrplex never deletes a report, and replaces an existing file only when it is a report a
    batch wrote (or empty); a FIFO or device (``/dev/stderr``) is written directly.

    Raises:
        InvalidOptionError: ``report`` is an input (also through a link), a directory, or a
            regular file that is not a qrplex report.
    """
    if not report.exists():
        return
    for source in inputs:
        try:
            same = report.samefile(source)
        except OSError:
            same = False
        if same:
            raise InvalidOptionError(
                f"report {report} is the input file {source}: name another file for the report"
            )
    if report.is_dir():
        raise InvalidOptionError(f"report {report} is a directory: name a file for the report")
    if report.is_file() and not is_report(report):
        header = ",".join(REPORT_HEADER)
        raise InvalidOptionError(
            f"report {report} exists and is not a qrplex report (its first line is not "
            f"{header!r}); qrplex only replaces its own reports: move the file, or pass "
            "--report with another path"
        )


def write_report(summary: BatchSummary, path: Path) -> None:
    """Write the failed rows, with reasons, as CSV (whole or not at all).

    A cell that a spreadsheet would take for a formula (starting with ``=``, ``+``, ``-``,
    ``@``, a tab or a carriage return) is written with a ``'`` in front.
    """
    write_file(path, report_bytes(summary))


def report_bytes(summary: BatchSummary) -> bytes:
    """The report of :func:`write_report`, as bytes (for outputs in an object store)."""
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(REPORT_HEADER)
    for row, reason in summary.failures:
        content = str(row.kwargs.get("content", ""))
        writer.writerow([row.number, _neutral(content), _neutral(reason)])
    return text.getvalue().encode("utf-8")
