"""The batch manifest: JSONL beside the outputs, the source of truth for what is done.

One line per row outcome::

    {"row": 12, "name": "000012-hello.png", "size": 401, "sha256": "9f...", "backend": "local",
     "attempts": 1, "error": null, "request": "5be0..."}

``error`` is ``null`` for a written output, and the reason otherwise (then ``size``,
``sha256`` and ``backend`` are ``null``). ``request`` is a digest of what the row asked for
(content, symbology, format, size: every argument but the backend), so that a manifest
written for another input is not taken for this one's. An output is written first and recorded after
("write, then record"), so a recorded output is whole; one written but not yet recorded (the
process was killed in between) is written again by the next run, under the same name: never
lost, never duplicated.

The manifest is a folder of parts (``manifest/<run>-<n>.jsonl``), each written whole once,
because an object store cannot append: a part every few thousand rows or seconds. A re-run
reads the parts (a listing of the manifest folder only, never of the outputs) and skips the
rows recorded as written with the same output name and the same request: a row whose
content or options changed since (another input in the same folder) is generated again.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from itertools import islice
from typing import Any

from ._names import RowNames
from ._outputs import Outputs

__all__ = [
    "ManifestWriter",
    "Problem",
    "Record",
    "VerifyResult",
    "done_key",
    "load_done",
    "request_digest",
    "verify",
]

PART_ROWS = 5000
"""Records per manifest part, at most."""
PART_SECONDS = 2.0
"""A part is written at least this often while records come in."""


@dataclass(frozen=True, slots=True)
class Record:
    """One row's outcome, as a manifest line."""

    row: int
    name: str
    size: int | None = None
    sha256: str | None = None
    backend: str | None = None
    attempts: int = 0
    error: str | None = None
    request: str | None = None
    """:func:`request_digest` of the row's arguments (``None``: a failure, or unknown)."""

    @property
    def ok(self) -> bool:
        return self.error is None and self.sha256 is not None

    @classmethod
    def written(
        cls, row: int, name: str, data: bytes, backend: str, attempts: int, request: str
    ) -> Record:
        digest = hashlib.sha256(data).hexdigest()
        return cls(row, name, len(data), digest, backend, attempts, request=request)

    def line(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, separators=(",", ":"))


def _records(data: bytes) -> Iterator[Record]:
    for raw in data.splitlines():
        try:
            values = json.loads(raw)
            record = Record(
                row=int(values["row"]),
                name=str(values["name"]),
                size=values.get("size"),
                sha256=values.get("sha256"),
                backend=values.get("backend"),
                attempts=int(values.get("attempts") or 0),
                error=values.get("error"),
                request=values.get("request"),
            )
        except (ValueError, KeyError, TypeError):
            continue  # not a record this module wrote: the row is simply not done
        yield record


def read_records(outputs: Outputs) -> Iterator[Record]:
    """Every record of the manifest, part by part, oldest first."""
    for part in outputs.manifest_parts():
        yield from _records(outputs.read_part(part))


def request_digest(kwargs: Mapping[str, Any]) -> str:
    """A digest of what a row asks ``generate()`` for: every argument but the backend
    (the same code drawn by another backend is the same output)."""
    asked = {key: value for key, value in kwargs.items() if key != "backend"}
    text = json.dumps(asked, sort_keys=True, ensure_ascii=False, default=repr)
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def done_key(name: str, request: str | None) -> str:
    """What a resumed row must match to be skipped: its output name and its request."""
    return f"{name}\0{request or ''}"


def load_done(outputs: Outputs) -> RowNames:
    """The rows the manifest records as written, keyed by :func:`done_key` (a record
    without a request digest matches no row: the row is done again)."""
    done = RowNames()
    for record in read_records(outputs):
        if record.ok and record.request:
            done.set(record.row, done_key(record.name, record.request))
        else:  # a later failure (or a problem --verify-manifest found) undoes a success
            done.set(record.row, _UNDONE)
    return done


_UNDONE = "\0undone"
"""The key of a row whose latest record is not a success: matches no row."""


def _run_name() -> str:
    """A new run's name: parts sort in the order runs started (to the nanosecond: a later
    run's record of a row overrides an earlier one's), then a random tag."""
    now = time.time_ns()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 10**9))
    return f"{stamp}-{now % 10**9:09d}-{secrets.token_hex(3)}"


@dataclass(slots=True)
class ManifestWriter:
    """Collects records and writes them as manifest parts (whole, one object each)."""

    outputs: Outputs
    run: str = field(default_factory=_run_name)
    _lines: list[str] = field(default_factory=list)
    _parts: int = 0
    _last: float = field(default_factory=time.monotonic)

    def add(self, record: Record) -> None:
        self._lines.append(record.line())
        if len(self._lines) >= PART_ROWS or time.monotonic() - self._last >= PART_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write the records collected so far as a new part."""
        self._last = time.monotonic()
        if not self._lines:
            return
        self._parts += 1
        data = ("\n".join(self._lines) + "\n").encode("utf-8")
        self.outputs.write_part(f"{self.run}-{self._parts:06d}.jsonl", data)
        self._lines.clear()


@dataclass(frozen=True, slots=True)
class Problem:
    """An output that does not match its manifest record."""

    row: int
    name: str
    reason: str


@dataclass(slots=True)
class VerifyResult:
    """What ``--verify-manifest`` found."""

    checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    """The first problems found (at most :data:`MAX_PROBLEMS` kept)."""
    bad: int = 0


MAX_PROBLEMS = 1000
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,130}")
"""Output names as qrplex makes them: a damaged manifest cannot make verify read elsewhere."""


def _check(record: Record, data: bytes | None) -> Problem | None:
    if data is None:
        return Problem(record.row, record.name, "missing")
    if len(data) != record.size:
        return Problem(record.row, record.name, f"size {len(data)}, recorded {record.size}")
    if hashlib.sha256(data).hexdigest() != record.sha256:
        return Problem(record.row, record.name, "SHA-256 differs from the recorded one")
    return None


def verify(outputs: Outputs, *, concurrency: int = 8, record: bool = True) -> VerifyResult:
    """Re-read every output the manifest records as written, and compare size and SHA-256.

    Streams the manifest (memory does not grow with it); reads outputs a chunk at a time,
    ``concurrency`` chunks at once (object stores answer each read slowly, many at once
    quickly; an async filesystem fetches a chunk's objects concurrently too).

    With ``record``, each problem is added to the manifest as the row's latest outcome (an
    error starting ``verify:``), so that the next run of the batch makes those rows again.
    """
    result = VerifyResult()
    records = (record for record in _latest(outputs) if record.ok)
    writer = ManifestWriter(outputs) if record else None

    def check(chunk: list[Record]) -> list[Problem | None]:
        safe = [record for record in chunk if _SAFE_NAME.fullmatch(record.name)]
        found = dict(zip(map(id, safe), outputs.read_many([r.name for r in safe]), strict=True))
        return [
            _check(record, found[id(record)])
            if id(record) in found
            else Problem(record.row, record.name[:120], "not a name qrplex writes: not read")
            for record in chunk
        ]

    with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
        while chunks := [c for c in (list(islice(records, 64)) for _ in range(concurrency)) if c]:
            for problems in pool.map(check, chunks):
                for problem in problems:
                    if problem is None:
                        continue
                    result.bad += 1
                    if len(result.problems) < MAX_PROBLEMS:
                        result.problems.append(problem)
                    if writer is not None:
                        writer.add(
                            Record(problem.row, problem.name, error=f"verify: {problem.reason}")
                        )
            result.checked += sum(len(chunk) for chunk in chunks)
    if writer is not None:
        writer.flush()
    return result


def _identity(record: Record) -> str:
    if record.ok:
        return f"{done_key(record.name, record.request)}\0{record.sha256}"
    return _UNDONE


def _latest(outputs: Outputs) -> Iterator[Record]:
    """The manifest's records but those a later record of the same row replaces (two
    passes over the manifest, the first keeping a fingerprint per row: flat memory)."""
    latest = RowNames()
    try:
        for record in read_records(outputs):
            latest.set(record.row, _identity(record))
        for record in read_records(outputs):
            if latest.has(record.row, _identity(record)):
                latest.set(record.row, _UNDONE)  # the same record again is not checked twice
                yield record
    finally:
        latest.close()
