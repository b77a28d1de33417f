"""An optional on-disk, content-addressed cache of generated codes.

The key is a SHA-256 of the normalized request (content after normalization, symbology,
format, width, options, and the backend when the caller pinned one), so the same code is
never generated, or paid for, twice.

An entry is one file: a first line ``qrplex-cache 2 <sha256>``, a line of JSON metadata (the
request's key, content, symbology, and the image's media type, size and backend), then the
image bytes. The SHA-256 covers the metadata line *and* the image, so neither can change
alone. An entry answers a request only if it is whole and was made for that request: its
recorded key is the request's key, its content and symbology are the request's, a pinned
backend made it, and its image passes the same checks as a fresh one (media type of the
requested format, the real PNG size, the requested width). Anything else (a damaged, edited,
swapped or foreign entry, a directory, a FIFO, a symlink) is a miss, never an error; a bad
entry is removed when it is a file, and overwritten by the fresh image.

The directory is kept under a size bound by evicting the least recently used entries.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
import stat
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ._checks import check_rendering
from ._model import CodeImage, CodeRequest, Rendering
from ._symbologies import Symbology
from .errors import BadResponseError

__all__ = ["FileCache", "request_key"]

logger = logging.getLogger("qrplex")

_SUFFIX = ".qrplex"
_VERSION = 1  # of the key: requests map to the same paths as before
_MAGIC = b"qrplex-cache 2 "  # of the entry format; an entry in any other format is a miss
_MAX_METADATA = 256 * 1024  # bytes: the longest content, JSON-escaped, fits many times over
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO planted as an entry must not block the call
    | getattr(os, "O_NOFOLLOW", 0)  # qrplex never makes symlinks: one is not an entry
    | getattr(os, "O_BINARY", 0)
)


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


def _digest(metadata: bytes, data: bytes) -> str:
    return hashlib.sha256(metadata + b"\n" + data).hexdigest()


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

    def get(
        self,
        request: CodeRequest,
        backend: str | None = None,
        symbologies: Mapping[str, Symbology] | None = None,
    ) -> CodeImage | None:
        """The cached image for ``request`` (made by ``backend`` if given), or ``None`` when
        there is none or the entry is not a whole entry made for this request."""
        key = request_key(request, backend)
        path = self._path(key)
        read = self._read(path)
        if read is None:
            return None
        blob, identity = read
        image = None if blob is None else _parse(blob, key, request, backend, symbologies)
        if image is None:
            self._discard(path, identity)
            return None
        with contextlib.suppress(OSError):  # evicted meanwhile: the image is still good
            os.utime(path)  # mark as recently used
        return image

    def _read(self, path: Path) -> tuple[bytes | None, tuple[int, int]] | None:
        """``None`` when there is no entry; else the entry's bytes (``None`` when it is not a
        regular file of a plausible size) and its identity (device, inode)."""
        try:
            fd = os.open(path, _READ_FLAGS)
        except FileNotFoundError:
            return None
        except OSError:  # a symlink (ELOOP), a directory on some systems, no permission
            try:
                info = os.lstat(path)
            except OSError:
                return None
            return None, (info.st_dev, info.st_ino)
        identity = (0, 0)
        try:
            info = os.fstat(fd)
            identity = (info.st_dev, info.st_ino)
            limit = self.max_bytes + _MAX_METADATA + len(_MAGIC) + 66
            if not stat.S_ISREG(info.st_mode) or info.st_size > limit:
                return None, identity
            chunks, size = [], 0
            while size <= limit:  # the file may grow while it is read: stop past the bound
                chunk = os.read(fd, min(1 << 20, limit + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except OSError:
            return None, identity
        finally:
            os.close(fd)
        return (b"".join(chunks) if size <= limit else None), identity

    def _discard(self, path: Path, identity: tuple[int, int]) -> None:
        """Remove the bad entry at ``path`` unless it is a directory, or a writer has
        replaced it since it was read."""
        with contextlib.suppress(OSError):
            info = os.lstat(path)
            if (info.st_dev, info.st_ino) == identity and not stat.S_ISDIR(info.st_mode):
                path.unlink()

    def put(self, request: CodeRequest, image: CodeImage, backend: str | None = None) -> None:
        """Store ``image`` for ``request`` (under ``backend`` if the caller pinned one), then
        evict old entries over the size bound. Best effort: a cache that cannot be written
        (full disk, bad directory) is logged and skipped, never fails the generation."""
        if len(image.data) > self.max_bytes:
            return
        key = request_key(request, backend)
        try:
            size = self._write(self._path(key), key, image)
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
    def _write(path: Path, key: str, image: CodeImage) -> int:
        path.parent.mkdir(parents=True, exist_ok=True)
        metadata = json.dumps(
            {
                "key": key,
                "content": image.content,
                "symbology": image.symbology,
                "media_type": image.media_type,
                "width": image.width,
                "height": image.height,
                "backend": image.backend,
            },
            ensure_ascii=True,
        ).encode("ascii")
        digest = _digest(metadata, image.data).encode("ascii")
        blob = _MAGIC + digest + b"\n" + metadata + b"\n" + image.data
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
                info = path.lstat()  # a symlink counts as itself, never as its target
                entries.append((info.st_mtime, info.st_size, path))
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


def _parse(
    blob: bytes,
    key: str,
    request: CodeRequest,
    backend: str | None,
    symbologies: Mapping[str, Symbology] | None = None,
) -> CodeImage | None:
    """The image of an entry, if the entry is whole and was made for ``request``."""
    first, _, rest = blob.partition(b"\n")
    metadata, newline, data = rest.partition(b"\n")
    if not (first.startswith(_MAGIC) and newline and len(metadata) <= _MAX_METADATA):
        return None
    recorded = first[len(_MAGIC) :].decode("ascii", "replace")
    if not hmac.compare_digest(recorded, _digest(metadata, data)):
        return None
    try:
        meta = json.loads(metadata)
    except (ValueError, RecursionError):
        return None
    if not isinstance(meta, dict) or not _answers(meta, key, request, backend):
        return None
    rendering = Rendering(data, meta["media_type"], meta["width"], meta["height"])
    try:  # the checks a fresh image passes: media type, format, real size, width
        check_rendering(rendering, request, meta["backend"], symbologies)
    except BadResponseError:
        return None
    return CodeImage(
        data=data,
        media_type=rendering.media_type,
        symbology=request.symbology,
        width=rendering.width,
        height=rendering.height,
        backend=meta["backend"],
        content=request.content,
        cached=True,
    )


def _answers(meta: dict[str, Any], key: str, request: CodeRequest, backend: str | None) -> bool:
    """Whether the metadata is well-typed and says the entry was made for ``request``."""
    texts = ("key", "content", "symbology", "media_type", "backend")
    sizes = ("width", "height")
    if not all(isinstance(meta.get(name), str) for name in texts):
        return False
    if not all(type(meta.get(name)) is int and meta[name] > 0 for name in sizes):
        return False
    return (
        meta["key"] == key
        and meta["content"] == request.content
        and meta["symbology"] == request.symbology
        and (backend is None or meta["backend"] == backend)
    )
