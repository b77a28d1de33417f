"""``python -m benchmarks``: run the measurements, print the table, write the results.

Usage::

    uv run python -m benchmarks            # full run, a few minutes -> results/latest.{md,json}
    uv run python -m benchmarks --quick    # smoke run, well under a minute -> results/quick.*
    uv run python -m benchmarks --only local cloud
    uv run python -m benchmarks --update-docs   # full run, and paste it into docs/benchmarks.md

The exit status is 0 when every section ran (missed goals are reported, not failures) and 1
when a section could not run; ``--strict`` also makes a missed goal exit 1.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
import traceback
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from . import (
    batch,
    client_cost,
    cloud_vs_sdk,
    emulator_cost,
    local_vs_raw,
    startup,
    unreachable,
    zint_vs_local,
)
from ._docs import DOCS, paste_results
from ._machine import (
    describe,
    loadavg,
    one_minute_load,
    parallel_capacity,
    source,
    source_digest,
    wait_for_quiet,
)
from ._profile import FULL, QUICK, Profile
from ._report import Report, Section, write_report

__all__ = ["SECTIONS", "main"]

RESULTS = Path(__file__).resolve().parent / "results"

SECTIONS: dict[str, tuple[str, Callable[[Profile, int], Section]]] = {
    "local": ("Local backend vs the raw libraries", local_vs_raw.run),
    "cloud": ("Cloud backend vs Tencent's SDK", cloud_vs_sdk.run),
    "unreachable": ("Cloud unreachable: circuit breaker", unreachable.run),
    "startup": ("Start-up", startup.run),
    "batch": ("Batch on all cores", batch.run),
    "emulator": ("The emulator's own cost per request", emulator_cost.run),
    "scale": ("Scaling out: Dask and coordinator memory", batch.run_scale),
    "client": ("The cloud client's own cost, against a canned server", client_cost.run),
    "zint": ("zint backend vs local backend", zint_vs_local.run),
}
"""Every section, in run order: key -> (title, runner)."""

QUIET_SECTIONS = frozenset({"cloud", "batch", "emulator", "scale", "client"})
"""Sections that use both cores: before them the run waits (a little) for a quiet machine."""


def _arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="Benchmark qrplex (see docs/benchmarks.md)."
    )
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run of a few seconds per section (CI)"
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(SECTIONS),
        metavar="SECTION",
        help=f"run only these sections: {', '.join(SECTIONS)}",
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=RESULTS,
        metavar="DIR",
        help="where to write the results (default: benchmarks/results)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a goal is missed, too")
    parser.add_argument(
        "--update-docs",
        action="store_true",
        help="also paste the results into docs/benchmarks.md (full runs of every section)",
    )
    return parser.parse_args(argv)


def _run_section(key: str, number: int, profile: Profile) -> Section:
    title, runner = SECTIONS[key]
    print(f"[{number}/{len(SECTIONS)}] {title} ...", file=sys.stderr, flush=True)
    waited = 0.0
    if key in QUIET_SECTIONS and profile.quiet_wait > 0:
        waited, _ = wait_for_quiet(profile.quiet_wait)
        if waited >= 1:
            print(f"    waited {waited:.0f} s for the machine to quiet down", file=sys.stderr)
    load_before = one_minute_load()
    capacity = parallel_capacity(rounds=1 if profile is QUICK else 3)
    digest = source_digest()
    started = time.perf_counter()
    try:
        section = runner(profile, number)
    except Exception as error:  # reported in the results; the other sections still run
        traceback.print_exc()
        section = Section(number, key, title, error=f"{type(error).__name__}: {error}")
    section.seconds = time.perf_counter() - started
    section.load = (load_before, one_minute_load())
    section.parallelism = capacity
    section.waited = waited
    section.source_changed = source_digest() != digest
    if section.source_changed:
        print("    the library's source changed during this section", file=sys.stderr)
    print(f"    done in {section.seconds:.1f} s", file=sys.stderr, flush=True)
    return section


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmarks; return the exit status."""
    args = _arguments(argv)
    profile = QUICK if args.quick else FULL
    # Fallback warnings of the unreachable-cloud section are expected; keep the output clean.
    logging.getLogger("qrplex").addHandler(logging.NullHandler())
    logging.getLogger("qrplex").propagate = False
    machine = describe()
    started_at = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    started = time.perf_counter()
    keys = [key for key in SECTIONS if args.only is None or key in args.only]
    numbers = {key: index for index, key in enumerate(SECTIONS, start=1)}
    sections = [_run_section(key, numbers[key], profile) for key in keys]
    machine["loadavg_end"] = loadavg()
    machine["source_end"] = source()
    machine["source_digest_end"] = source_digest()
    machine["parallelism_end"] = round(parallel_capacity(rounds=1 if args.quick else 3), 3)
    report = Report(
        mode=profile.name + ("" if args.only is None else f" (only {', '.join(keys)})"),
        started=started_at,
        seconds=time.perf_counter() - started,
        machine=machine,
        sections=sections,
    )
    stem = "latest" if profile is FULL and args.only is None else profile.name
    if profile is FULL and args.only is not None:
        stem = "partial"
    markdown, data = write_report(report, args.out, stem)
    print()
    print(report.table())
    print()
    print(report.summary())
    print(f"written: {markdown} and {data}")
    if args.update_docs:
        if stem != "latest":
            print("--update-docs: only a full run of every section goes into the docs")
        else:
            paste_results(report.to_markdown())
            print(f"pasted into {DOCS}")
    failed = any(section.error for section in sections)
    missed = any(row.verdict == "missed" for section in sections for row in section.rows)
    return 1 if failed or (args.strict and missed) else 0


if __name__ == "__main__":
    raise SystemExit(main())
