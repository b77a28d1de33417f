"""``qrplex emulator``: run the emulator from the command line until Ctrl-C.

Only light imports here: the plugin registers :data:`COMMAND` at start-up; uvicorn, libzint
and Pillow load when the command runs.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections.abc import Callable

from qrplex import Command

__all__ = ["COMMAND", "FAULTS", "SECRET_KEY_ENV"]

SECRET_KEY_ENV = "QRPLEX_EMULATOR_SECRET_KEY"  # noqa: S105 - a variable name, not a key

FAULTS = {
    "500": "status_500",
    "slowdown": "slow_down_503",
    "reset": "reset_connection",
    "close": "close_mid_response",
    "malformed-xml": "malformed_xml",
    "truncated-base64": "truncated_base64",
    "non-image": "non_image",
    "no-request-id": "no_request_id",
}
"""``--fault`` names -> :class:`~qrplex_cloudinfinite.emulator.Faults` attributes."""

MAX_PORT = 65_535
MAX_LATENCY = 3_600.0
"""The longest ``--latency``, in seconds (an hour)."""
MAX_SECONDS = 10 * 365 * 86_400
"""The longest ``--token-ttl`` and ``--max-window``, in seconds (ten years)."""
MAX_QPS = 1_000_000.0


def _bounded(
    kind: type[int] | type[float], minimum: float, maximum: float, *, above: bool = False
) -> Callable[[str], float]:
    """An argparse type: a finite ``kind`` in ``[minimum, maximum]`` (``(minimum, maximum]``
    with ``above``), else an error line naming the allowed range."""
    noun = "a whole number" if kind is int else "a number"
    high = int(maximum) if float(maximum).is_integer() else maximum
    low = f"above {minimum:g}, at most" if above else f"from {minimum:g} to"

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except (ValueError, OverflowError):
            value = math.nan
        in_range = minimum < value if above else minimum <= value
        if not (math.isfinite(value) and in_range and value <= maximum):
            raise argparse.ArgumentTypeError(f"must be {noun} {low} {high}, not {text!r}")
        return value

    return parse


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument(
        "--port",
        type=_bounded(int, 0, MAX_PORT),
        default=9000,
        help="port to listen on, 0 to 65535; 0 = any free (9000)",
    )
    parser.add_argument("--secret-id", required=True, help="the SecretId clients sign with")
    parser.add_argument(
        "--secret-key",
        default=os.environ.get(SECRET_KEY_ENV) or None,
        required=not os.environ.get(SECRET_KEY_ENV),
        help=f"the SecretKey clients sign with (or set {SECRET_KEY_ENV}, which keeps it "
        "out of the process list)",
    )
    parser.add_argument(
        "--token",
        action="append",
        default=[],
        metavar="TOKEN",
        help="make the key pair temporary: requests must carry one of these "
        "x-cos-security-token values (repeatable)",
    )
    parser.add_argument(
        "--token-ttl",
        type=_bounded(float, 0, MAX_SECONDS),
        default=None,
        metavar="SECONDS",
        help="tokens expire this long after start (default: never)",
    )
    parser.add_argument(
        "--bucket",
        action="append",
        required=True,
        metavar="NAME-APPID",
        help="a bucket bound to Cloud Infinite (repeatable; the first answers non-COS hosts)",
    )
    parser.add_argument("--region", default="ap-guangzhou", help="region (ap-guangzhou)")
    parser.add_argument(
        "--max-window",
        type=_bounded(int, 0, MAX_SECONDS),
        default=None,
        metavar="SECONDS",
        help="refuse signatures valid for longer than this",
    )
    parser.add_argument(
        "--latency",
        type=_bounded(float, 0, MAX_LATENCY),
        default=0.0,
        metavar="SECONDS",
        help="added to every answer (at most an hour)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        choices=sorted(FAULTS),
        help="inject a fault (repeatable)",
    )
    parser.add_argument(
        "--tls",
        action="store_true",
        help="serve HTTPS with a throwaway certificate; prints the CA file clients trust "
        "(SSL_CERT_FILE=<it> for the cloudinfinite backend)",
    )
    parser.add_argument(
        "--qps",
        type=_bounded(float, 0, MAX_QPS, above=True),
        default=None,
        metavar="N",
        help="throttle above N requests/s (503 SlowDown)",
    )


def _run(args: argparse.Namespace) -> int:
    import threading
    import time

    from ._app import create_app
    from ._config import EmulatorConfig, TemporaryCredential
    from ._server import EmulatorServer

    expires_at = math.inf if args.token_ttl is None else time.time() + args.token_ttl
    try:
        if args.token:
            config = EmulatorConfig(
                temporary={
                    token: TemporaryCredential(args.secret_id, args.secret_key, expires_at)
                    for token in args.token
                },
                buckets=tuple(args.bucket),
                region=args.region,
                max_window=args.max_window,
            )
        else:
            config = EmulatorConfig(
                credentials={args.secret_id: args.secret_key},
                buckets=tuple(args.bucket),
                region=args.region,
                max_window=args.max_window,
            )
    except ValueError as exc:
        print(f"qrplex emulator: {exc}", file=sys.stderr)
        return 2
    app = create_app(config)
    app.faults.set(
        latency=args.latency, qps_limit=args.qps, **{FAULTS[f]: True for f in args.fault}
    )
    server = EmulatorServer(app, host=args.host, port=args.port, tls=args.tls)
    try:
        server.start()
    except OSError as exc:
        print(f"qrplex emulator: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    kind = "temporary" if args.token else "permanent"
    print(
        f"qrplex emulator listening on {server.base_url} (region {config.region}, "
        f"buckets {', '.join(config.buckets)}, {kind} SecretId {args.secret_id}); Ctrl-C to stop",
        flush=True,
    )
    if server.ca_path is not None:
        print(f"certificate authority to trust: {server.ca_path}", flush=True)
    stopped = threading.Event()
    if threading.current_thread() is threading.main_thread():
        import signal

        # SIGTERM (a service manager, `docker stop`) stops it as Ctrl-C does: the server
        # closes, and --tls's throwaway key pair is deleted.
        signal.signal(signal.SIGTERM, lambda signum, frame: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


COMMAND = Command(
    name="emulator",
    help="run an offline emulator of Tencent Cloud Infinite's qrcode-generate API",
    add_arguments=_add_arguments,
    run=_run,
)
