"""Loopback ports where the cloud is "down": refused, or accepting and never answering."""

from __future__ import annotations

import select
import socket
import threading
from types import TracebackType

__all__ = ["SilentServer", "refused_port"]


def refused_port() -> int:
    """A 127.0.0.1 port nothing listens on (connecting to it is refused at once)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class SilentServer:
    """Accepts connections on 127.0.0.1 and never reads or answers (a context manager).

    Accepted connections are held open until :meth:`stop`, so clients wait for their read
    timeout (and the listen backlog never fills up, which would turn it into a connect
    timeout instead).
    """

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(128)
        self.port = int(self._listener.getsockname()[1])
        self._held: list[socket.socket] = []
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._accept, name="silent-server", daemon=True)

    def _accept(self) -> None:
        while not self._stopping.is_set():
            ready, _, _ = select.select([self._listener], [], [], 0.05)
            if ready:
                connection, _ = self._listener.accept()
                self._held.append(connection)

    def start(self) -> SilentServer:
        """Start accepting in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop accepting and close every connection."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        for connection in self._held:
            connection.close()
        self._held.clear()
        self._listener.close()

    def __enter__(self) -> SilentServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
