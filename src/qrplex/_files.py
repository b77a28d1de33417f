"""Write bytes to a path safely: one job, used by ``CodeImage.save``, ``make -o`` and batch.

What is at the path decides how it is written:

- a regular file, or nothing yet: the bytes go to a new, uniquely named temporary file in the
  same directory, are flushed to disk, and the temporary file is renamed over the path, so
  the file is always whole or not there at all, even with many writers at once. A new file
  gets the permissions ``open()`` would give it (``0o666`` less the umask); a file that
  already exists keeps its permission bits (its owner becomes the writer), and one the
  writer may not write (``chmod -w``) is refused with ``PermissionError`` as ``open()`` would.
  Unlike ``open()``, it also needs write permission on the directory (for the temporary
  file): a writable file in a read-only directory is refused with ``PermissionError`` rather
  than overwritten in place, which could leave it half-written;
- a symlink: the file it points to is written as above, and the link stays a link;
- anything that is not a regular file (a FIFO, a device such as ``/dev/null``, a terminal,
  ``/dev/stdout``, a ``/dev/fd/N`` of process substitution): opened and written directly,
  never replaced. A path through ``/proc/<pid>/fd`` or ``/dev/fd`` names an open file of a
  process, so a regular file reached that way (``-o /dev/stdout > file``) is appended to;
- a directory: refused with ``IsADirectoryError``.

Errors are ``OSError`` with the path the caller asked for as ``filename``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat

__all__ = ["write_file"]

_NEW_FILE_MODE = 0o666  # what open() asks for; the kernel applies the umask
_PROC_PREFIXES = ("/proc/", "/dev/fd/")
_MAX_LINKS = 40


def write_file(path: str | os.PathLike[str], data: bytes, *, follow_symlinks: bool = True) -> None:
    """Write ``data`` to ``path``: whole or not at all for a regular file (see the module doc).

    With ``follow_symlinks=False`` the path itself is replaced atomically whatever it is
    (a symlink there is replaced, not followed): for names in a directory qrplex owns.

    Raises:
        OSError: the path cannot be written; ``filename`` is ``path`` as given.
    """
    target = os.fspath(path)
    try:
        if not follow_symlinks:
            _replace(target, data, None)
            return
        real, through_fd_link = _resolve(target)
        try:
            status = os.stat(real)
        except FileNotFoundError:
            status = None
        if status is not None and stat.S_ISDIR(status.st_mode):
            raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), target)
        if status is not None and not os.access(real, os.W_OK):  # as open() would refuse it
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), target)
        direct = status is not None and (through_fd_link or not stat.S_ISREG(status.st_mode))
        if direct and _write_directly(real, data):
            return
        _replace(real, data, status)
    except OSError as error:  # name the file the caller asked for, not a temporary one
        raise OSError(error.errno, error.strerror, target) from None


def _resolve(target: str) -> tuple[str, bool]:
    """The path the symlinks lead to, and whether the way goes through a process's fd links.

    A ``/proc/<pid>/fd/N`` link is not followed further: it names an open file (``pipe:[1]``,
    or a file that may since have been renamed), which opening the link itself reaches.
    """
    current = os.path.abspath(target)
    for _ in range(_MAX_LINKS):
        directory, name = os.path.split(current)
        directory = os.path.realpath(directory)
        current = os.path.join(directory, name)
        if current.startswith(_PROC_PREFIXES):
            return current, True
        if not os.path.islink(current):
            return current, False
        current = os.path.join(directory, os.readlink(current))  # an absolute link replaces
    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), target)


def _write_directly(path: str, data: bytes) -> bool:
    """Write to what is open at ``path`` (a FIFO, device, fd link); False if it turned regular."""
    flags = os.O_WRONLY | os.O_APPEND | os.O_NOCTTY | os.O_CLOEXEC
    descriptor = os.open(path, flags)
    opened = os.fstat(descriptor)
    if stat.S_ISREG(opened.st_mode) and not path.startswith(_PROC_PREFIXES):
        os.close(descriptor)  # replaced by a regular file since we looked: write it atomically
        return False
    with open(descriptor, "wb", closefd=True) as handle:  # writes all, and reports ENOSPC
        handle.write(data)
    return True


def _replace(path: str, data: bytes, existing: os.stat_result | None) -> None:
    """Write a uniquely named temporary file next to ``path`` and rename it over ``path``."""
    directory = os.path.dirname(path) or "."
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW
    while True:
        temporary = os.path.join(directory, f".qrplex-{secrets.token_hex(8)}.part")
        try:
            descriptor = os.open(temporary, flags, _NEW_FILE_MODE)
            break
        except FileExistsError:  # pragma: no cover - 64 random bits collided
            continue
    try:
        with open(descriptor, "wb", closefd=True) as handle:
            if existing is not None and stat.S_ISREG(existing.st_mode):
                os.fchmod(handle.fileno(), stat.S_IMODE(existing.st_mode) & 0o777)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())  # whole after a crash too: a re-run must not skip it
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
