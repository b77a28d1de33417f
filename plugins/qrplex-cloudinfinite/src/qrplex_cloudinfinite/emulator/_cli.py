"""``qrplex emulator``: run the emulator from the command line until Ctrl-C.

Only light imports here: the plugin registers :data:`COMMAND` at start-up; uvicorn, libzint
and Pillow load when the command runs.
"""

from __future__ import annotations

import argparse
import math
import os
import sys

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


def _add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument(
        "--port", type=int, default=9000, help="port to listen on; 0 = any free (9000)"
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
        type=float,
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
        type=int,
        default=None,
        metavar="SECONDS",
        help="refuse signatures valid for longer than this",
    )
    parser.add_argument(
        "--latency", type=float, default=0.0, metavar="SECONDS", help="added to every answer"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        choices=sorted(FAULTS),
        help="inject a fault (repeatable)",
    )
    parser.add_argument(
        "--qps",
        type=float,
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
    server = EmulatorServer(app, host=args.host, port=args.port)
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
    try:
        threading.Event().wait()
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
