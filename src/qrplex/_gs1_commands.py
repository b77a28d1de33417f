"""The command line's GS1 parts: ``qrplex make --gs1-digital-link`` and ``qrplex gs1 check``."""

from __future__ import annotations

import argparse
import json
import sys

from .errors import InvalidOptionError

__all__ = ["add_gs1", "add_make_options", "digital_link_content", "run_gs1"]


def add_make_options(parser: argparse.ArgumentParser) -> None:
    """``--gs1-digital-link`` and ``--resolver`` for ``qrplex make``."""
    parser.add_argument(
        "--gs1-digital-link",
        action="store_true",
        help="CONTENT is a GS1 element string, like (01)09506000134352(10)ABC123: encode its "
        "GS1 Digital Link URI (in a QR Code unless -s says otherwise)",
    )
    parser.add_argument(
        "--resolver",
        metavar="URL",
        help="the Digital Link's resolver (default: https://id.gs1.org)",
    )


def digital_link_content(args: argparse.Namespace) -> str | None:
    """The Digital Link URI to encode instead of ``args.content``, or None without
    ``--gs1-digital-link``; printed on stderr so that the user sees what the code holds."""
    if not args.gs1_digital_link:
        if args.resolver is not None:
            raise InvalidOptionError("--resolver applies only with --gs1-digital-link")
        return None
    if str(args.symbology).startswith("gs1-"):
        raise InvalidOptionError(
            f"a GS1 Digital Link is a URI: it goes in a plain QR Code (-s qr, the default) "
            f"or DataMatrix (-s datamatrix), not in {args.symbology}, which carries the "
            "element string itself (leave out --gs1-digital-link for that)"
        )
    from .gs1 import DEFAULT_RESOLVER, digital_link

    uri = digital_link(args.content, domain=args.resolver or DEFAULT_RESOLVER)
    print(f"GS1 Digital Link: {uri}", file=sys.stderr)
    return uri


def add_gs1(parser: argparse.ArgumentParser) -> None:
    """``qrplex gs1 check DATA [--json]``."""
    sub = parser.add_subparsers(dest="gs1_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="check a GS1 element string and show its AIs and forms")
    check.add_argument("data", help="(01)09506000134352(10)ABC123, [01]..., or as scanned")
    check.add_argument("--json", action="store_true", help="machine-readable output")


def run_gs1(args: argparse.Namespace) -> int:
    """Print the AIs of a valid element string and its forms (an invalid one raises
    :class:`qrplex.InvalidContentError`, which the CLI prints as one line)."""
    from .gs1 import parse

    message = parse(args.data)
    forms = {
        "human_readable": message.human_readable(),
        "bracketed": message.bracketed(),
        "scanned": message.fnc1_data(),
    }
    if args.json:
        elements = [
            {"ai": e.ai, "title": e.title, "value": e.value, "variable": e.variable}
            for e in message.elements
        ]
        print(json.dumps({"elements": elements, **forms}, indent=2))
        return 0
    width = max(len(e.ai) + len(e.title) for e in message.elements) + 3
    for element in message.elements:
        print(f"{f'({element.ai}) {element.title}':<{width}} {element.value}")
    print(f"human readable: {forms['human_readable']}")
    print(f"bracketed:      {forms['bracketed']}")
    print(f"scanned:        {forms['scanned'].replace(chr(0x1D), '<GS>')}")
    return 0
