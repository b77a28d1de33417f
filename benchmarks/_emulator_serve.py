"""Serve the Cloud Infinite emulator in this process, with TCP_NODELAY, until stdin closes.

Run by :mod:`benchmarks._emulator` as ``python -m benchmarks._emulator_serve SECRET_ID
SECRET_KEY BUCKET LATENCY`` (``LATENCY``: seconds the emulator waits before each answer, like
``qrplex emulator --latency``); prints ``listening on http://127.0.0.1:PORT`` once it accepts
connections. It is the emulator's own ASGI app (``create_app``) under uvicorn configured as
``EmulatorServer`` configures it, with one difference: the listening socket is created with
``IPPROTO_TCP`` here whatever the installed version does, so asyncio sets ``TCP_NODELAY`` on
every accepted connection. (``EmulatorServer`` before commit 4fac8a7 created its socket with
protocol 0; asyncio then left Nagle's algorithm on, and each response's body waited ~40 ms for
the client's delayed ACK. The benchmark compares the shipped server with this one separately.)
It also answers after an optional latency, and stops by itself.

It stops when its standard input reaches end of file (the benchmark closed it, or died), on
SIGTERM/SIGINT, or after :data:`MAX_LIFETIME` seconds, whichever comes first.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import threading

__all__ = ["MAX_LIFETIME", "main"]

MAX_LIFETIME = 1200.0
"""Seconds after which the server stops by itself, whatever happens."""


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


def main(argv: list[str]) -> int:
    """Serve until told to stop; return the exit status."""
    import uvicorn

    from qrplex_cloudinfinite.emulator import EmulatorConfig, create_app

    secret_id, secret_key, bucket, latency = argv
    app = create_app(EmulatorConfig(credentials={secret_id: secret_key}, buckets=(bucket,)))
    app.faults.set(latency=float(latency))
    config = uvicorn.Config(
        app,
        loop="asyncio",
        http="h11",
        lifespan="off",
        log_config=None,
        log_level=None,
        access_log=False,
        server_header=False,
        date_header=False,
    )
    server = uvicorn.Server(config)
    sock = _listening_socket()
    port = sock.getsockname()[1]

    def stop() -> None:
        server.should_exit = True

    def watch_stdin() -> None:
        sys.stdin.buffer.read()  # returns at end of file
        stop()

    threading.Thread(target=watch_stdin, daemon=True).start()
    timer = threading.Timer(MAX_LIFETIME, stop)
    timer.daemon = True
    timer.start()

    async def announce() -> None:
        while not server.started:
            await asyncio.sleep(0.005)
        print(f"listening on http://127.0.0.1:{port}", flush=True)

    async def serve() -> None:
        task = asyncio.create_task(announce())
        await server.serve(sockets=[sock])
        task.cancel()

    try:
        asyncio.run(serve())
    finally:
        timer.cancel()
        sock.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
