"""An optional on-disk, content-addressed cache of generated codes.

The key is a SHA-256 of the normalized request (content after normalization, symbology,
format, width, options), so the same code is never generated, or paid for, twice. Each
entry stores the image with a SHA-256 of its bytes; an entry that fails that check, or cannot
be parsed, is deleted and treated as a miss, never returned. The directory is kept under a
size bound by evicting the least recently used entries.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import tempfile
import threading
from pathlib import Path

from ._model import CodeImage, CodeRequest

__all__ = ["FileCache"]

logger = logging.getLogger("qrplex")

_SUFFIX = ".qrplex"
_VERSION = 1


def request_key(request: CodeRequest, backend: str | None = None) -> str:
    """The cache key of a request: hex SHA-256 of its normalized JSON form (and of the
    backend, when the caller pinned one)."""
    normalized = json.dumps(
        {
            "v": _VERSION,
            "backend": backend,
            "content": request.content,
            "symbology": request.symbology,
            "format": request.format,
            "width": request.width,
            "options": dict(sorted(request.options.items())),
        },
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


class FileCache:
    """A directory of cached images, at most ``max_bytes`` in total.

    Safe to share between threads and processes: entries are written to a temporary file and
    renamed into place, so a reader sees a whole entry or none.
    """

    def __init__(self, directory: str | os.PathLike[str], max_bytes: int) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._total: int | None = None  # bytes on disk, scanned once, then kept up to date

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}{_SUFFIX}"

    def get(self, request: CodeRequest, backend: str | None = None) -> CodeImage | None:
        """The cached image for ``request`` (made by ``backend`` if given), or ``None``
        (also for a corrupt entry)."""
        path = self._path(request_key(request, backend))
        try:
            blob = path.read_bytes()
        except OSError:
            return None
        image = self._parse(blob, request)
        if image is None:
            path.unlink(missing_ok=True)
            return None
        with contextlib.suppress(OSError):  # evicted meanwhile: the image is still good
            os.utime(path)  # mark as recently used
        return image

    @staticmethod
    def _parse(blob: bytes, request: CodeRequest) -> CodeImage | None:
        header, newline, data = blob.partition(b"\n")
        if not newline:
            return None
        try:
            meta = json.loads(header)
            if meta["sha256"] != hashlib.sha256(data).hexdigest():
                return None
            if meta["content"] != request.content:
                return None
            return CodeImage(
                data=data,
                media_type=str(meta["media_type"]),
                symbology=request.symbology,
                width=int(meta["width"]),
                height=int(meta["height"]),
                backend=str(meta["backend"]),
                content=request.content,
                cached=True,
            )
        except (ValueError, KeyError, TypeError):
            return None

    def put(self, request: CodeRequest, image: CodeImage, backend: str | None = None) -> None:
        """Store ``image`` for ``request`` (under ``backend`` if the caller pinned one), then
        evict old entries over the size bound. Best effort: a cache that cannot be written
        (full disk, bad directory) is logged and skipped, never fails the generation."""
        if len(image.data) > self.max_bytes:
            return
        try:
            size = self._write(self._path(request_key(request, backend)), image)
        except OSError as error:
            logger.warning("qrplex cache %s cannot be written: %s", self.directory, error)
            return
        with self._lock:
            if self._total is None:
                self._total = self._scan()[1]
            else:
                self._total += size
            if self._total > self.max_bytes:
                self._evict()

    @staticmethod
    def _write(path: Path, image: CodeImage) -> int:
        path.parent.mkdir(parents=True, exist_ok=True)
        meta = {
            "sha256": hashlib.sha256(image.data).hexdigest(),
            "content": image.content,
            "media_type": image.media_type,
            "width": image.width,
            "height": image.height,
            "backend": image.backend,
        }
        blob = json.dumps(meta, ensure_ascii=True).encode("ascii") + b"\n" + image.data
        fd, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
            os.replace(temporary, path)
        finally:
            if os.path.exists(temporary):
                os.unlink(temporary)
        return len(blob)

    def _scan(self) -> tuple[list[tuple[float, int, Path]], int]:
        entries = []
        for path in self.directory.glob(f"*/*{_SUFFIX}"):
            with contextlib.suppress(OSError):
                stat = path.stat()
                entries.append((stat.st_mtime, stat.st_size, path))
        return entries, sum(size for _, size, _ in entries)

    def _evict(self) -> None:
        # Called with the lock held, only when the running total crosses the bound: one scan,
        # then the least recently used entries go until the cache is at 90 % of its bound.
        entries, total = self._scan()
        target = int(self.max_bytes * 0.9)
        for _, size, path in sorted(entries):
            if total <= target:
                break
            with contextlib.suppress(OSError):
                path.unlink()
            total -= size
        self._total = total
