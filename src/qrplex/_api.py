"""Module-level functions: one-off generation and introspection with default settings.

:func:`generate` shares one :class:`~qrplex.Client` between calls (and threads) for as long
as the configuration it was built from is unchanged (:func:`qrplex._config.config_fingerprint`:
the environment, the working directory, the config files, the installed plugins); a change
builds a new one, and the old one is closed once its last call returns. A child process after
``fork()`` starts afresh (it never uses its parent's connections).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._client import Client
    from ._model import CodeImage
    from ._registry_info import BackendInfo

__all__ = ["agenerate", "backends", "generate", "symbologies"]


class _Shared:
    """The client module-level calls share, with the fingerprint it was built for and the
    number of calls using it (a replaced client is closed when that drops to zero)."""

    __slots__ = ("client", "fingerprint", "retired", "users")

    def __init__(self, client: Client, fingerprint: tuple[object, ...]) -> None:
        self.client = client
        self.fingerprint = fingerprint
        self.users = 0
        self.retired = False


_shared: _Shared | None = None
_lock = threading.Lock()


def _forget_after_fork() -> None:
    """In a forked child: drop the parent's client without closing it (closing would shut
    the parent's connections, which the child shares)."""
    global _shared, _lock
    _shared = None
    _lock = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def _acquire() -> _Shared | None:
    """The shared client for the current configuration (built if needed), counted as in use;
    ``None`` when nothing may be reused (a config file changed a moment ago)."""
    global _shared
    from ._config import config_fingerprint, config_snapshot
    from ._registry import default_registry

    # The registry first: building it imports plugins, which may set environment variables.
    registry = default_registry()
    fingerprint = config_fingerprint()
    if fingerprint is None:
        return None
    with _lock:
        current = _shared
        if current is not None and current.fingerprint == (*fingerprint, registry):
            current.users += 1
            return current
    from ._client import Client

    # Built from a copy of the environment taken with its fingerprint, in the working
    # directory stat'ed for it: another thread changing os.environ (or chdir) while this one
    # builds, or later while a call is in flight, cannot leave the client labelled with a
    # configuration it was not built from (unlocked: it reads files).
    snapshot, environ = config_snapshot()
    if snapshot is None:
        return None
    key = (*snapshot, registry)
    fresh = _Shared(Client(registry=registry, environ=environ, cwd=str(snapshot[1])), key)
    if config_fingerprint() != snapshot:
        # Something changed while the files were read: this client serves this call only.
        fresh.retired = True
        fresh.users = 1
        return fresh
    retired = None
    with _lock:
        current = _shared
        if current is not None and current.fingerprint == key:
            fresh.retired = True  # another thread built one first: use theirs
            retired, chosen = fresh, current
        else:
            if current is not None:
                current.retired = True
                retired = current if current.users == 0 else None
            _shared = chosen = fresh
        chosen.users += 1
    if retired is not None and retired.users == 0:
        retired.client.close()
    return chosen


def _release(shared: _Shared) -> None:
    with _lock:
        shared.users -= 1
        closing = shared.retired and shared.users == 0
    if closing:
        shared.client.close()


def generate(
    content: str,
    *,
    symbology: str = "qr",
    format: str = "png",
    width: int | None = None,
    backend: str | None = None,
    verify: bool = False,
    **options: Any,
) -> CodeImage:
    """Generate one code with settings from the environment and config files.

    Like ``with Client() as c: c.generate(...)``, except that consecutive calls share one
    client (its resolved settings, backend instances, connections and circuit breakers)
    while the environment, the working directory and the config files stay unchanged; any
    change is seen by the next call. See :meth:`qrplex.Client.generate` for the arguments
    and errors.

    >>> qrplex.generate("https://example.com").save("qr.png")
    >>> qrplex.generate("590123412345", symbology="ean13", width=300).content
    '5901234123457'
    """
    with _client_for_call() as client:
        return client.generate(
            content,
            symbology=symbology,
            format=format,
            width=width,
            backend=backend,
            verify=verify,
            **options,
        )


@contextmanager
def _client_for_call() -> Iterator[Client]:
    """The shared client, counted as in use for the call; a client of its own (closed after
    it) while nothing may be reused."""
    shared = _acquire()
    if shared is None:
        from ._client import Client

        with Client() as client:
            yield client
        return
    try:
        yield shared.client
    finally:
        _release(shared)


async def agenerate(
    content: str,
    *,
    symbology: str = "qr",
    format: str = "png",
    width: int | None = None,
    backend: str | None = None,
    verify: bool = False,
    **options: Any,
) -> CodeImage:
    """Async :func:`generate`, with a client of its own per call (an async backend's
    connections belong to the event loop that opened them, and ``asyncio.run()`` makes a
    new loop every time)."""
    from ._client import Client

    async with Client() as client:
        return await client.agenerate(
            content,
            symbology=symbology,
            format=format,
            width=width,
            backend=backend,
            verify=verify,
            **options,
        )


def backends() -> list[BackendInfo]:
    """Every installed backend, and every plugin that failed to load, with its status."""
    from ._registry import default_registry

    return default_registry().infos()


def symbologies() -> list[str]:
    """The names of the symbologies qrplex knows: the core's nine, then those installed
    plugins add (backends support subsets of them)."""
    from ._validation import registered_symbologies

    return list(registered_symbologies())
