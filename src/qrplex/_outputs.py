"""Where a batch's outputs and manifest go: a local directory, or any fsspec URL.

A local path (or a ``file://`` URL) is written with :func:`qrplex._files.write_file`: each file
whole or absent, never through a link planted in the directory. Any other URL
(``s3://bucket/prefix``, ``gs://...``, ``memory://...``) is written through fsspec (install
``qrplex[fsspec]``, or ``qrplex[s3]`` for S3) with the filesystem's own credentials chain
(environment, config files, instance roles): nothing about credentials is held here, so an
:class:`Outputs` can be pickled to a worker without a secret in it. An object store's PUT is
whole or absent by itself: an object becomes visible only when its upload completes.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ._extras import MissingExtraError, missing
from ._files import write_file
from .errors import InvalidOptionError

__all__ = ["MANIFEST_DIR", "FsspecOutputs", "LocalOutputs", "Outputs", "open_outputs"]

MANIFEST_DIR = "manifest"
"""The manifest's parts live in this folder beside the outputs (no output has this name:
every output name ends in its format's extension)."""


class Outputs:
    """The outputs of one batch: images by name, and the manifest's parts."""

    location: str

    def write(self, name: str, data: bytes) -> None:
        """Write one output, whole or not at all."""
        raise NotImplementedError

    def read(self, name: str) -> bytes | None:
        """An output's bytes, or ``None`` when it does not exist."""
        raise NotImplementedError

    def read_many(self, names: list[str]) -> list[bytes | None]:
        """Several outputs' bytes (``None`` for a missing one), in order."""
        return [self.read(name) for name in names]

    def escapes(self, name: str) -> bool:
        """Whether writing ``name`` would land outside the outputs (a planted link)."""
        return False

    def prepare(self) -> None:
        """Create the destination if it has to exist before writing (a local directory)."""

    def manifest_parts(self) -> list[str]:
        """The names of the manifest's parts, sorted."""
        raise NotImplementedError

    def read_part(self, part: str) -> bytes:
        """One manifest part's bytes."""
        raise NotImplementedError

    def write_part(self, part: str, data: bytes) -> None:
        """Write one manifest part, whole or not at all."""
        raise NotImplementedError


@dataclass(frozen=True)
class LocalOutputs(Outputs):
    """A local directory (with a Dask cluster, one every worker mounts at the same path)."""

    location: str
    """The path as given (for messages)."""
    absolute: str = ""
    """The same path made absolute on the coordinator: workers have other working directories."""

    @property
    def root(self) -> Path:
        return Path(self.absolute or self.location)

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)

    def write(self, name: str, data: bytes) -> None:
        # A name in the output directory: replaced atomically, a link planted there not followed
        write_file(self.root / name, data, follow_symlinks=False)

    def read(self, name: str) -> bytes | None:
        try:
            return (self.root / name).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def escapes(self, name: str) -> bool:
        root = self.root.resolve()
        return (root / name).resolve().parent != root

    def manifest_parts(self) -> list[str]:
        folder = self.root / MANIFEST_DIR
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.name.endswith(".jsonl"))

    def read_part(self, part: str) -> bytes:
        return (self.root / MANIFEST_DIR / part).read_bytes()

    def write_part(self, part: str, data: bytes) -> None:
        folder = self.root / MANIFEST_DIR
        folder.mkdir(parents=True, exist_ok=True)
        write_file(folder / part, data, follow_symlinks=False)


@functools.cache
def _filesystem(url: str) -> tuple[Any, str]:
    try:
        import fsspec
    except ImportError:
        raise missing("fsspec", "fsspec", f"outputs at {url.split('://', 1)[0]}://") from None
    try:
        fs, root = fsspec.core.url_to_fs(url)
    except ImportError as error:  # the protocol's own package (s3fs, gcsfs, ...)
        protocol = url.split("://", 1)[0].lower()
        extra = "s3" if protocol in {"s3", "s3a"} else "fsspec"
        hint = f"pip install 'qrplex[{extra}]'" if extra == "s3" else str(error)
        raise MissingExtraError(
            f"outputs at {protocol}:// need a driver: {hint}", extra=extra
        ) from None
    except ValueError as error:  # an unknown protocol
        raise InvalidOptionError(f"--out-dir {url!r}: {error}") from None
    return fs, str(root).rstrip("/")


@dataclass(frozen=True)
class FsspecOutputs(Outputs):
    """A folder (prefix) at an fsspec URL; only the URL is kept (and pickled)."""

    location: str

    def _fs(self) -> tuple[Any, str]:
        return _filesystem(self.location)

    def prepare(self) -> None:
        self._fs()  # a missing driver or unknown protocol fails before any row

    def write(self, name: str, data: bytes) -> None:
        fs, root = self._fs()
        fs.pipe_file(f"{root}/{name}", data)

    def read(self, name: str) -> bytes | None:
        fs, root = self._fs()
        try:
            return bytes(fs.cat_file(f"{root}/{name}"))
        except FileNotFoundError:
            return None

    def read_many(self, names: list[str]) -> list[bytes | None]:
        # One call: async filesystems (s3fs, gcsfs) fetch the objects concurrently.
        fs, root = self._fs()
        paths = [f"{root}/{name}" for name in names]
        found = fs.cat(paths, on_error="return")
        if not isinstance(found, dict):  # a single path comes back as its bytes
            found = {paths[0]: found}
        results: list[bytes | None] = []
        for path in paths:
            value = found.get(path, found.get(fs._strip_protocol(path)))
            if isinstance(value, FileNotFoundError) or value is None:
                results.append(None)
            elif isinstance(value, BaseException):
                raise value
            else:
                results.append(bytes(value))
        return results

    def manifest_parts(self) -> list[str]:
        fs, root = self._fs()
        folder = f"{root}/{MANIFEST_DIR}"
        fs.invalidate_cache(folder)  # listings are cached; parts may have been added since
        try:
            paths = fs.ls(folder, detail=False)
        except FileNotFoundError:
            return []
        names = (str(path).rstrip("/").rsplit("/", 1)[-1] for path in paths)
        return sorted(name for name in names if name.endswith(".jsonl"))

    def read_part(self, part: str) -> bytes:
        fs, root = self._fs()
        return bytes(fs.cat_file(f"{root}/{MANIFEST_DIR}/{part}"))

    def write_part(self, part: str, data: bytes) -> None:
        fs, root = self._fs()
        fs.pipe_file(f"{root}/{MANIFEST_DIR}/{part}", data)


def open_outputs(location: str | os.PathLike[str]) -> Outputs:
    """The outputs at ``location``: a local path, a ``file://`` URL, or any fsspec URL.

    Raises:
        MissingExtraError: fsspec (or the protocol's driver, such as s3fs) is not installed.
    """
    text = os.fspath(location)
    if "://" not in text:
        return LocalOutputs(text, os.path.abspath(text))
    parts = urlsplit(text)
    if parts.scheme.lower() == "file":
        if parts.netloc not in {"", "localhost"}:
            raise InvalidOptionError(f"--out-dir {text!r}: a file:// URL names a local path")
        path = unquote(parts.path)
        return LocalOutputs(path, os.path.abspath(path))
    return FsspecOutputs(text.rstrip("/"))
