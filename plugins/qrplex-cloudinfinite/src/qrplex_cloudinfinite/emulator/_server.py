"""Serving an :class:`Emulator` over real HTTP (or HTTPS): uvicorn in a background thread."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

import uvicorn

from ._app import Emulator

__all__ = ["EmulatorServer"]

_START_TIMEOUT = 10.0


class EmulatorServer:
    """Run an emulator on ``host:port`` in a background thread (a context manager).

    ``port=0`` picks a free port; after :meth:`start`, :attr:`port` and :attr:`base_url` tell
    which. :meth:`stop` stops listening and drops open connections at once (the "cloud went
    down"); :meth:`start` again listens on the same port as before.

    ``tls=True`` serves HTTPS with a throwaway certificate for ``host`` (and ``localhost``),
    signed by a certificate authority made for this server alone (``trustme``): clients that
    should trust it read the CA's PEM file at :attr:`ca_path` (for the ``cloudinfinite``
    backend: ``SSL_CERT_FILE``). The key pair lives in a private temporary directory that
    goes away with the server object; restarts keep the same certificate.

    >>> with EmulatorServer(create_app(config)) as server:   # doctest: +SKIP
    ...     httpx.get(server.base_url + "/?ci-process=qrcode-generate&...")
    """

    def __init__(
        self, app: Emulator, host: str = "127.0.0.1", port: int = 0, *, tls: bool = False
    ) -> None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be a whole number from 0 to 65535, not {port!r}")
        if not isinstance(tls, bool):
            raise ValueError(f"tls must be True or False, not {tls!r}")
        self.app = app
        self.host = host
        self.tls = tls
        self._certificates: _Certificates | None = _Certificates(host) if tls else None
        self._port = port
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"EmulatorServer({self.host}:{self._port}, {state})"

    @property
    def port(self) -> int:
        """The port (the chosen one once started, if constructed with 0)."""
        return self._port

    @property
    def base_url(self) -> str:
        """``http://<host>:<port>`` (``https://`` with ``tls=True``)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self._port}"

    @property
    def ca_path(self) -> Path | None:
        """The PEM file of the certificate authority that signed the server's certificate
        (``tls=True``), for clients to trust; ``None`` without TLS."""
        return None if self._certificates is None else self._certificates.ca_path

    @property
    def running(self) -> bool:
        """Whether the server is listening."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> EmulatorServer:
        """Bind and serve; returns once the server accepts connections.

        Raises:
            OSError: the address cannot be bound (port in use, ...).
            RuntimeError: already running, or the server failed to start.
        """
        if self.running:
            raise RuntimeError("the emulator server is already running")
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted connections only for
        # sockets that say they are TCP. Without it Nagle's algorithm holds each response
        # body behind its head until the client's delayed ACK: ~40 ms a request.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, self._port))
        except BaseException:
            sock.close()
            raise
        self._port = sock.getsockname()[1]
        certificates = self._certificates
        config = uvicorn.Config(
            self.app,
            loop="asyncio",
            http="httptools",  # C parser: a fifth less CPU per request than h11
            lifespan="off",
            log_config=None,
            log_level=None,
            access_log=False,
            server_header=False,
            date_header=False,
            ssl_keyfile=None if certificates is None else str(certificates.key_path),
            ssl_certfile=None if certificates is None else str(certificates.chain_path),
        )
        server = uvicorn.Server(config)
        self._server, self._error = server, None
        self._thread = threading.Thread(
            target=self._run, args=(server, sock), name=f"qrplex-emulator-{self._port}", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                sock.close()
                raise RuntimeError(f"the emulator server did not start: {self._error!r}")
            time.sleep(0.005)
        return self

    def _run(self, server: uvicorn.Server, sock: socket.socket) -> None:
        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            await server.serve(sockets=[sock])

        try:
            asyncio.run(serve())
        except BaseException as exc:  # reported by start()
            self._error = exc
        finally:
            sock.close()

    def stop(self) -> None:
        """Stop listening and drop every open connection; returns when the port is free."""
        server, thread, loop = self._server, self._thread, self._loop
        if server is None or thread is None:
            return
        server.should_exit = True
        server.force_exit = True
        if loop is not None and thread.is_alive():
            with contextlib.suppress(RuntimeError):  # the loop already closed
                loop.call_soon_threadsafe(_drop_connections, server)
        thread.join(timeout=5)
        self._server = self._thread = self._loop = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def _drop_connections(server: uvicorn.Server) -> None:
    for listener in getattr(server, "servers", []):
        listener.close()
    for connection in list(server.server_state.connections):
        transport = getattr(connection, "transport", None)
        if transport is not None:
            transport.abort()


class _Certificates:
    """A throwaway CA and a server certificate it signed, as PEM files in a private
    temporary directory (removed when this object is collected)."""

    def __init__(self, host: str) -> None:
        import trustme

        names = [host] if host in ("localhost", "127.0.0.1", "::1") else [host, "localhost"]
        if host in ("0.0.0.0", "::"):  # noqa: S104 - listening everywhere: 127.0.0.1 serves
            names = ["127.0.0.1", "localhost", "::1"]
        authority = trustme.CA(organization_name="qrplex emulator (throwaway)")
        issued = authority.issue_cert(*dict.fromkeys([*names, "localhost"]))
        self._directory = tempfile.TemporaryDirectory(prefix="qrplex-emulator-tls-")
        folder = Path(self._directory.name)
        self.ca_path = folder / "ca.pem"
        self.key_path = folder / "server.key"
        self.chain_path = folder / "server.pem"
        authority.cert_pem.write_to_path(str(self.ca_path))
        issued.private_key_pem.write_to_path(str(self.key_path))
        with self.chain_path.open("wb") as chain:
            for blob in issued.cert_chain_pems:
                chain.write(blob.bytes())
