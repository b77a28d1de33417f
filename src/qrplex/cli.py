"""The ``qrplex`` command line: ``make``, ``backends``, ``config``, ``gs1`` and plugins'
commands.

Errors print one line on stderr (``qrplex: error: ...``) and exit non-zero, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from ._symbologies import FORMATS, SYMBOLOGIES
from .errors import InvalidOptionError, QrplexError

if TYPE_CHECKING:
    from ._client import Client
    from ._registry import Registry

__all__ = ["main"]

EXIT_ERROR = 1


def _fail(message: str, status: int = EXIT_ERROR) -> int:
    print(f"qrplex: error: {message}", file=sys.stderr)
    return status


def _positive_int(text: str) -> int:
    shown = text if len(text) <= 24 else f"{text[:20]}... ({len(text)} characters)"
    digits = text.lstrip("0") if text.isascii() and text.isdigit() else ""
    if not digits:
        raise argparse.ArgumentTypeError(f"{shown!r} is not a positive whole number")
    if len(digits) > 9:
        raise argparse.ArgumentTypeError(f"{shown} is too large")
    return int(digits)


def _concurrency(text: str) -> int:
    from ._arguments import MAX_CONCURRENCY

    value = _positive_int(text)
    if value > MAX_CONCURRENCY:
        raise argparse.ArgumentTypeError(f"{text} is more than {MAX_CONCURRENCY}")
    return value


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    print(f"qrplex: warning: {message}", file=sys.stderr)


def _setup_logging() -> None:
    import logging

    logger = logging.getLogger("qrplex")
    if any(getattr(h, "qrplex_cli", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("qrplex: %(levelname)s: %(message)s"))
    handler.qrplex_cli = True  # type: ignore[attr-defined]
    logger.addHandler(handler)


def _client(args: argparse.Namespace) -> Client:
    from ._client import Client

    return Client()


# -- make -------------------------------------------------------------------------------


def _add_make(parser: argparse.ArgumentParser, registry: Registry | None) -> None:
    # The symbologies plugins register are listed once the registry is loaded (for --help).
    names = list(SYMBOLOGIES) if registry is None else list(registry.symbologies())
    parser.add_argument("content", help="the text or URL to encode")
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write the image here ('-' for stdout)"
    )
    parser.add_argument(
        "-s",
        "--symbology",
        default="qr",
        metavar="S",
        help=f"one of: {', '.join(names)} (default: qr)",
    )
    parser.add_argument(
        "-f",
        "--format",
        metavar="F",
        help=f"one of: {', '.join(f for f in FORMATS if f != 'jpeg')} "
        "(default: from the file extension, else png)",
    )
    parser.add_argument(
        "-w", "--width", type=_positive_int, metavar="N", help="exact image width in pixels"
    )
    parser.add_argument(
        "-b", "--backend", metavar="B", help="use only this backend (default: from config)"
    )
    parser.add_argument(
        "--error", metavar="LEVEL", help="QR error correction level: L, M (default), Q, H"
    )
    parser.add_argument("--height", type=_positive_int, metavar="N", help="barcode height in px")
    parser.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a symbology option, like --option shape=rectangle for datamatrix (repeat it for "
        "more; `qrplex backends` lists which backend serves which symbology)",
    )
    parser.add_argument(
        "--verify",
        action="store_true",
        help="decode the image and fail unless it reads back as CONTENT (needs qrplex[verify])",
    )
    from ._gs1_commands import add_make_options

    add_make_options(parser)


def _format_for(args: argparse.Namespace) -> str:
    extension = ""
    if args.output and args.output != "-":
        extension = os.path.splitext(str(args.output))[1].lower().lstrip(".")
    if args.format:
        chosen = str(args.format).lower()
        if {extension, chosen} == {"png", "svg"}:
            raise InvalidOptionError(
                f"--format {chosen} does not match the file name {args.output!r}"
            )
        return chosen
    if extension in {"png", "svg"}:
        return extension
    if extension:
        raise InvalidOptionError(
            f"cannot tell the format from '.{extension}': name the file .png or .svg, "
            "or pass --format png|svg"
        )
    return "png"


def _check_installed(symbology: str) -> None:
    """A symbology a built-in plugin registers, asked for while that plugin is not installed
    (or disabled): say what to install, not only that the name is unknown."""
    from ._symbologies import install_hint

    hint = install_hint(symbology)
    if hint is None:
        return
    from ._registry import default_registry

    if symbology not in default_registry().symbologies():
        raise InvalidOptionError(f"unknown symbology {symbology!r}: {hint}")


def _run_make(args: argparse.Namespace) -> int:
    options: dict[str, Any] = {}
    if args.error is not None:
        options["error"] = args.error
    if args.height is not None:
        options["height"] = args.height
    from ._make_options import parse_options

    options = parse_options(args.option, options)
    _check_installed(args.symbology)
    if args.output is None and sys.stdout is None:
        raise InvalidOptionError("standard output is closed: write the image with -o FILE")
    from ._gs1_commands import digital_link_content

    content = digital_link_content(args) or args.content
    draw = args.output is None and sys.stdout.isatty()
    if draw:
        from ._terminal import check_drawable

        check_drawable(args.symbology)  # before any (possibly paid) backend call
    with _client(args) as client:
        image = client.generate(
            content,
            symbology=args.symbology,
            format=_format_for(args),
            width=args.width,
            backend=args.backend,
            verify=args.verify,
            **options,
        )
    if image.attempts:
        failed = ", ".join(dict.fromkeys(a.backend for a in image.attempts))
        print(
            f"qrplex: made by {image.backend} after {len(image.attempts)} failed "
            f"attempt(s) on {failed}",
            file=sys.stderr,
        )
    if draw:
        from ._terminal import draw_in_terminal

        sys.stdout.write(draw_in_terminal(image, str(args.error or "M").upper()))
        return 0
    if args.output in (None, "-"):
        sys.stdout.buffer.write(image.data)
        sys.stdout.buffer.flush()
        return 0
    image.save(args.output)
    print(
        f"wrote {args.output} ({image.symbology}, {image.width}x{image.height} px, "
        f"{image.media_type}, backend {image.backend})",
        file=sys.stderr,
    )
    return 0


# -- batch ------------------------------------------------------------------------------


def _number_up_to(upper: float, what: str) -> Callable[[str], float]:
    """An argparse ``type``: a number above 0 and at most ``upper``, else "is not ``what``"."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            value = float("nan")
        if not 0 < value <= upper:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}")
        return value

    return parse


_rate = _number_up_to(1_000_000, "a number of requests per second")
_seconds = _number_up_to(86_400, "a number of seconds (up to a day)")


def _add_batch(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "input", nargs="?", help="a text file (one content per line), .csv or .jsonl"
    )
    parser.add_argument(
        "--out-dir",
        required=True,
        metavar="DIR",
        help="where images and the manifest go: a path or an fsspec URL (s3://bucket/prefix)",
    )
    parser.add_argument("-s", "--symbology", metavar="S", help="default symbology (qr)")
    parser.add_argument("-f", "--format", metavar="F", help="default format (png)")
    parser.add_argument("-w", "--width", type=_positive_int, metavar="N", help="default width")
    parser.add_argument("-b", "--backend", metavar="B", help="use only this backend")
    parser.add_argument(
        "-j",
        "--concurrency",
        type=_concurrency,
        default=None,
        metavar="N",
        help="requests in flight, 1 to 1024 (default 8); with --dask, per worker thread "
        "(default 1)",
    )
    parser.add_argument(
        "--report",
        metavar="FILE",
        help="CSV of failed rows with reasons (default: DIR/failed.csv, written if any "
        "fail; never deleted, and only a qrplex report is replaced)",
    )
    parser.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="run on a Dask cluster: tcp://scheduler:8786, or local / local:N for a "
        "LocalCluster of N worker processes on this machine (needs qrplex[dask])",
    )
    parser.add_argument(
        "--rate",
        type=_rate,
        metavar="N",
        help="at most N requests per second for the whole batch, split across workers",
    )
    parser.add_argument(
        "--partition-rows",
        type=_positive_int,
        metavar="N",
        help="rows per task shipped to a worker with --dask (default 100)",
    )
    parser.add_argument(
        "--progress-every",
        type=_seconds,
        default=10.0,
        metavar="SECONDS",
        help="seconds between progress lines when stderr is not a terminal (default 10)",
    )
    parser.add_argument(
        "--verify-manifest",
        action="store_true",
        help="re-read every output the manifest in DIR records and check its size and "
        "SHA-256 (no INPUT needed)",
    )


@contextlib.contextmanager
def _second_interrupt_exits(stop: threading.Event | None = None) -> Iterator[None]:
    """The first Ctrl-C stops the batch gracefully; a second one ends the process at once.

    With ``stop``, the first Ctrl-C sets it (the batch stops at its next safe point, within
    a few tens of milliseconds) instead of raising ``KeyboardInterrupt`` wherever the main
    thread is: neither a Dask client nor a thread pool may be interrupted in the middle of a
    call (a pool's lock left held blocks its workers for ever).

    The graceful stop waits for the rows already running; a second Ctrl-C does not: it
    exits with 130 without waiting for them (their images are written whole or not at all).
    """
    import signal

    if (
        threading.current_thread() is not threading.main_thread()
        or signal.getsignal(signal.SIGINT) is signal.SIG_IGN  # e.g. started with nohup or &
    ):
        yield
        return

    def second(signum: int, frame: Any) -> None:
        sys.stderr.write(
            "\nqrplex: interrupted again: stopped without waiting for the rows in flight; "
            "run the same command again to resume\n"
        )
        sys.stderr.flush()
        os._exit(130)  # worker threads cannot be stopped, and must not be waited for

    def first(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, second)
        if stop is not None:
            stop.set()
            return
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGINT, first)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _run_verify(args: argparse.Namespace) -> int:
    from ._manifest import verify
    from ._outputs import open_outputs

    outputs = open_outputs(args.out_dir)
    if not outputs.manifest_parts():
        return _fail(f"{args.out_dir} has no manifest (nothing to verify)")
    result = verify(outputs, concurrency=args.concurrency or 8)
    for problem in result.problems:
        print(f"row {problem.row}: {problem.name}: {problem.reason}", file=sys.stderr)
    if result.bad > len(result.problems):
        print(f"... and {result.bad - len(result.problems)} more", file=sys.stderr)
    print(
        f"{result.checked} outputs checked against the manifest: "
        f"{result.checked - result.bad} match, {result.bad} missing or changed",
        file=sys.stderr,
    )
    if result.bad:
        print(
            "qrplex: recorded in the manifest: run the same batch again to make those rows again",
            file=sys.stderr,
        )
    return EXIT_ERROR if result.bad else 0


def _run_batch(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ._batch import check_report_path, is_report, read_rows, run_batch, write_report
    from ._outputs import LocalOutputs, open_outputs
    from ._progress import Progress
    from ._validation import check_defaults

    if args.verify_manifest:
        if args.input is not None:
            raise InvalidOptionError("--verify-manifest checks DIR's manifest: give no INPUT")
        return _run_verify(args)
    if args.input is None:
        raise InvalidOptionError("name the INPUT file (or use --verify-manifest)")
    source = Path(args.input)
    outputs = open_outputs(args.out_dir)
    local = isinstance(outputs, LocalOutputs)
    report: Path | None = Path(args.report) if args.report else None
    if report is None and local:
        report = Path(outputs.location) / "failed.csv"
    if report is not None:
        check_report_path(report, [source])
    if args.dask is not None:
        from ._dask import parse_address

        parse_address(args.dask)  # a malformed address fails before the input is read
        if str(args.out_dir).lower().startswith("memory://"):
            raise InvalidOptionError(
                "--out-dir memory:// is this process's memory, which Dask workers cannot "
                "write to: give a path every worker mounts, or an object store (s3://...)"
            )
    if not local:
        outputs.prepare()  # a missing driver (s3fs) fails before the input is read
    rows = read_rows(source)  # checked now, read lazily while the batch runs
    defaults = {
        key: value
        for key, value in (
            ("symbology", args.symbology),
            ("format", args.format),
            ("width", args.width),
            ("backend", args.backend),
        )
        if value is not None
    }
    on_terminal = sys.stderr.isatty()
    progress = Progress(sys.stderr, bar=on_terminal, every=args.progress_every)
    stop = threading.Event()  # Ctrl-C stops between two calls into the executor
    # From before the cluster starts to after it is closed: a Ctrl-C while Dask starts or
    # stops does not cut it in two (a second Ctrl-C exits at once).
    with _second_interrupt_exits(stop), contextlib.ExitStack() as stack:
        client = stack.enter_context(_client(args))
        client.check(args.backend)  # a bad setting fails once, not once per row
        check_defaults(args.symbology, args.format)
        executor = slots = None
        if args.dask is not None:
            from ._dask import dask_executor

            executor, slots = stack.enter_context(dask_executor(args.dask))
        concurrency = args.concurrency or (1 if executor is not None else 8)
        summary = run_batch(
            client,
            rows,
            args.out_dir,
            defaults=defaults,
            concurrency=concurrency,
            progress=progress,
            executor=executor,
            slots=slots,
            partition_rows=args.partition_rows,
            rate=args.rate,
            expected=rows.lines,
            stop=stop,
        )
    progress.finish(summary)
    served = ", ".join(f"{name} {count}" for name, count in summary.served_by.most_common())
    counts = (
        f"{summary.written} written, {summary.skipped} skipped (already there), "
        f"{summary.failed} failed" + (f"; served by {served}" if served else "")
    )
    if summary.interrupted:
        print(f"stopped after {summary.done} rows: {counts}", file=sys.stderr)
    else:
        print(f"{summary.total} rows: {counts}", file=sys.stderr)
    if summary.failures and report is None:  # outputs in an object store: the report too
        from ._batch import report_bytes

        outputs.write("failed.csv", report_bytes(summary))
        print(f"failed rows and reasons: {args.out_dir.rstrip('/')}/failed.csv", file=sys.stderr)
    elif summary.failures and report is not None:
        check_report_path(report, [source])  # still true at the end of a long run
        write_report(summary, report)
        print(f"failed rows and reasons: {report}", file=sys.stderr)
    elif report is not None and report.is_file() and report.stat().st_size and is_report(report):
        print(f"qrplex: {report} is from an earlier run (none failed in this one)", file=sys.stderr)
    if summary.interrupted:
        print("qrplex: interrupted; run the same command again to resume", file=sys.stderr)
        return 130
    return EXIT_ERROR if summary.failures else 0


# -- backends ---------------------------------------------------------------------------


def _add_backends(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print JSON")


def _run_backends(args: argparse.Namespace) -> int:
    import json

    with _client(args) as client:
        infos = client.backends()
        registry = client.registry
        symbologies = [
            (spec, registry.symbology_origin(name) or "?")
            for name, spec in registry.symbologies().items()
        ]
    if args.json:
        print(json.dumps([info.as_dict() for info in infos], indent=2))
        return 0
    for info in infos:
        origin = f"{info.distribution or info.plugin} {info.version or ''}".strip()
        if info.capabilities is None or not info.ok:
            print(f"{info.name:<16} {origin:<28} broken: {info.error}")
            continue
        caps = info.capabilities
        print(f"{info.name:<16} {origin:<28} ok")
        print(f"  symbologies: {', '.join(sorted(caps.symbologies))}")
        print(f"  formats:     {', '.join(sorted(caps.formats))}")
        print(f"  options:     {', '.join(sorted(caps.options)) or '-'}")
    print("symbologies (registered by):")
    for spec, origin in symbologies:
        kind = "2D" if spec.dimension == 2 else "linear"
        print(f"  {spec.name:<14} {spec.title} ({kind}, quiet zone {_quiet(spec)})  {origin}")
    return 0


def _quiet(spec: Any) -> str:
    if spec.dimension == 2 or spec.quiet_left == spec.quiet_right:
        return f"{spec.quiet_left}"
    return f"{spec.quiet_left} left, {spec.quiet_right} right"


# -- config -----------------------------------------------------------------------------


def _run_config(args: argparse.Namespace) -> int:
    from ._config import REDACTED

    client = _client(args)
    config = client.config
    lines = [f"chain: {' -> '.join(client.chain)}"]
    for key, sourced in config.values.items():
        lines.append(f"{key} = {_shown(sourced.value)}    ({sourced.source})")
    registry = client.registry
    for name in registry.names():
        settings = registry.get(name).settings
        if not settings:
            continue
        lines.append(f"[backends.{name}]")
        secret = {s.name for s in settings if s.secret}
        for key, sourced in config.backend_settings(name, settings).items():
            shown = REDACTED if key in secret and sourced.value is not None else None
            lines.append(f"  {key} = {shown or _shown(sourced.value)}    ({sourced.source})")
    print("\n".join(lines))  # all or nothing: a bad table fails before anything is printed
    client.check()  # then say whether the chain can actually be used
    return 0


def _shown(value: object) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, tuple | list):
        return "[" + ", ".join(map(_shown, value)) + "]"
    return _without_userinfo(str(value))


def _without_userinfo(text: str) -> str:
    """``text`` with a user name and password typed into a URL (``http://user:pw@host``,
    ``user:pw@host``) replaced by ``***``: a setting that is not secret may still hold one."""
    scheme, separator, rest = text.partition("://")
    if separator and "@" in rest:
        return f"{scheme}://***@{rest.rpartition('@')[2]}"
    user, colon, _ = text.partition(":")
    if colon and "@" in text and user and not set(user) & set("/\\ "):
        return f"***@{text.rpartition('@')[2]}"
    return text


# -- main -------------------------------------------------------------------------------


def _parser(registry: Registry | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qrplex", description="Generate QR codes and barcodes through pluggable backends."
    )
    parser.add_argument("--version", action="version", version=f"qrplex {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    make = sub.add_parser("make", help="generate a code")
    _add_make(make, registry)
    make.set_defaults(run=_run_make)
    batch = sub.add_parser("batch", help="generate a code per row of a text, CSV or JSONL file")
    _add_batch(batch)
    batch.set_defaults(run=_run_batch)
    listing = sub.add_parser("backends", help="list backends, their capabilities and status")
    _add_backends(listing)
    listing.set_defaults(run=_run_backends)
    config = sub.add_parser("config", help="show every resolved setting and its source")
    config.set_defaults(run=_run_config)
    from ._gs1_commands import add_gs1, run_gs1

    gs1 = sub.add_parser("gs1", help="check a GS1 element string")
    add_gs1(gs1)
    gs1.set_defaults(run=run_gs1)
    if registry is not None:
        for command in registry.commands().values():
            extra = sub.add_parser(command.name, help=command.help)
            command.add_arguments(extra)
            extra.set_defaults(run=command.run)
    return parser


def _version() -> str:
    from . import __version__

    return str(__version__)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    builtin = {"make", "batch", "backends", "config", "gs1", "--version"}
    _setup_logging()
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return _run(arguments, builtin)


def _run(arguments: list[str], builtin: set[str]) -> int:
    try:
        # Plugins' commands need the registry; the built-in ones load it only when used.
        registry = None
        if not arguments or arguments[0] not in builtin or {"-h", "--help"} & set(arguments):
            from ._registry import default_registry

            registry = default_registry()
        args = _parser(registry).parse_args(arguments)
        status: int = args.run(args)
        if sys.stdout is not None:
            sys.stdout.flush()  # a full disk or closed pipe is an error, not a silent 0
        return status
    except QrplexError as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError as error:
        if error.filename is not None:  # -o FIFO whose reader went away: say so
            return _fail(f"{error.filename}: {error.strerror}")
        _quiet_stdout()
        return EXIT_ERROR
    except OSError as error:
        if error.filename is None:
            _quiet_stdout()  # the failed write to stdout must not be retried at exit
        return _fail(f"{error.filename or 'standard output'}: {error.strerror}")


def _quiet_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, AttributeError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
