"""``python -m benchmarks.profiles WHAT``: where the time of a benchmarked path goes.

Not part of the benchmark run: these are the profiles behind the explanations in
``docs/benchmarks.md``. Each one runs a path under :mod:`cProfile` and prints the own time
("tottime") summed by package, then the functions with the most own time::

    uv run python -m benchmarks.profiles cloud-sync    # Client.generate against the emulator
    uv run python -m benchmarks.profiles cloud-async   # 16 agenerate in flight
    uv run python -m benchmarks.profiles canned-sync   # Client.generate, canned server
    uv run python -m benchmarks.profiles canned-async  # 64 agenerate in flight, canned server
    uv run python -m benchmarks.profiles local         # Client.generate, local QR PNG
    uv run python -m benchmarks.profiles make          # `qrplex make` in a fresh process

cProfile slows Python code down unevenly, so read the shares, not the absolute times.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import pstats
import subprocess
import sys
import sysconfig
import tempfile
from collections import defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ._canned import CannedServer
from ._canned_rig import CannedRig
from ._cloud_rig import CONTENT, IN_FLIGHT, WIDTH, CloudRig
from ._emulator import EmulatorProcess
from .startup import environment as startup_environment

__all__ = ["main"]

_STDLIB = Path(sysconfig.get_paths()["stdlib"]).resolve()


def _package(filename: str) -> str:
    """The package a profiled function belongs to."""
    if filename.startswith("~") or filename.startswith("<built-in"):
        return "C functions (incl. waiting in recv, poll)"
    if filename.startswith("<frozen importlib"):
        return "importlib (finding and loading modules)"
    path = Path(filename)
    parts = path.parts
    if "site-packages" in parts:
        return parts[parts.index("site-packages") + 1].removesuffix(".py")
    for name in ("qrplex_cloudinfinite", "qrplex_local", "qrplex", "benchmarks"):
        if name in parts:
            return name
    try:
        relative = path.resolve().relative_to(_STDLIB)
    except ValueError:
        return "other"
    return f"stdlib {relative.parts[0].removesuffix('.py')}"


def _report(stats: pstats.Stats, calls: int, top: int = 15, focus: str | None = None) -> str:
    by_package: dict[str, float] = defaultdict(float)
    raw = stats.stats  # type: ignore[attr-defined]
    for (filename, _line, _name), (_cc, _nc, tottime, _ct, _callers) in raw.items():
        by_package[_package(filename)] += tottime
    total = sum(by_package.values()) or 1.0
    lines = [f"own time by package, per call ({calls} calls, under cProfile):"]
    for package, seconds in sorted(by_package.items(), key=lambda item: -item[1])[:top]:
        lines.append(f"  {package:<45} {seconds / calls * 1e6:9.1f} µs  {seconds / total:6.1%}")
    buffer = io.StringIO()
    stats.stream = buffer  # type: ignore[attr-defined]
    if focus is not None:  # where the time goes, cumulatively, through these functions
        stats.sort_stats("cumulative").print_stats(focus, top)
    else:
        stats.sort_stats("tottime").print_stats(top)
    lines.append("")
    lines.append(buffer.getvalue().strip())
    return "\n".join(lines)


def _profile(run: Callable[[], object]) -> pstats.Stats:
    profiler = cProfile.Profile()
    profiler.enable()
    run()
    profiler.disable()
    return pstats.Stats(profiler)


def _cloud(asynchronous: bool, calls: int) -> str:
    loop = asyncio.new_event_loop()
    pool = ThreadPoolExecutor(IN_FLIGHT)
    try:
        with EmulatorProcess("nodelay") as emulator:
            rig = CloudRig(emulator, loop, pool)
            try:
                rig.check()
                case = (
                    rig.concurrent(extra=False)[0] if asynchronous else rig.sequential(raw=False)[0]
                )
                case.run(IN_FLIGHT * 4)  # warm up
                stats = _profile(lambda: case.run(calls))
            finally:
                rig.close()
    finally:
        loop.close()
        pool.shutdown()
    return _report(stats, calls)


def _canned(asynchronous: bool, calls: int) -> str:
    """The client alone: against a canned server (the emulator's answer, served at once)."""
    from .client_cost import IN_FLIGHT as WIDE
    from .client_cost import _answer

    loop = asyncio.new_event_loop()
    pool = ThreadPoolExecutor(WIDE)
    try:
        with CannedServer(_answer()) as server:
            rig = CannedRig(server, loop, pool, WIDE)
            try:
                rig.check()
                case = rig.concurrent()[0] if asynchronous else rig.sequential()[0]
                calls = max(WIDE, calls // WIDE * WIDE)
                case.run(WIDE * 4)  # warm up
                stats = _profile(lambda: case.run(calls))
            finally:
                rig.close()
    finally:
        loop.close()
        pool.shutdown()
    return _report(stats, calls)


def _local(calls: int) -> str:
    import qrplex

    with qrplex.Client(backend="local") as client:
        client.generate(CONTENT, width=WIDTH)

        def run() -> None:
            for _ in range(calls):
                client.generate(CONTENT, width=WIDTH)

        return _report(_profile(run), calls)


def _make() -> str:
    """`qrplex make` under cProfile in a fresh interpreter (imports included), with a warm
    bytecode cache and the environment of the start-up section."""
    with tempfile.TemporaryDirectory(prefix="qrplex-profile-") as scratch:
        tmp = Path(scratch)
        (tmp / "config").mkdir()
        env = startup_environment(tmp, cache=True)
        output = tmp / "profile.out"
        qrplex = Path(sys.executable).with_name("qrplex")
        make = [str(qrplex), "make", CONTENT, "-o", str(tmp / "qr.png")]
        run = {"env": env, "check": True, "timeout": 120, "capture_output": True, "cwd": tmp}
        subprocess.run([sys.executable, *make], **run)  # type: ignore[call-overload]  # warm
        profiled = [sys.executable, "-m", "cProfile", "-o", str(output), *make]
        subprocess.run(profiled, **run)  # type: ignore[call-overload]
        return _report(pstats.Stats(str(output)), 1, top=20, focus="qrplex")


def main(argv: Sequence[str] | None = None) -> int:
    """Print the profile asked for."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profiles", description=__doc__)
    parser.add_argument(
        "what",
        choices=["cloud-sync", "cloud-async", "canned-sync", "canned-async", "local", "make"],
    )
    parser.add_argument("--calls", type=int, default=960, help="calls to profile (960)")
    args = parser.parse_args(argv)
    calls = max(IN_FLIGHT, args.calls // IN_FLIGHT * IN_FLIGHT)
    if args.what == "cloud-sync":
        print(_cloud(False, calls))
    elif args.what == "cloud-async":
        print(_cloud(True, calls))
    elif args.what in ("canned-sync", "canned-async"):
        print(_canned(args.what == "canned-async", args.calls))
    elif args.what == "local":
        print(_local(calls))
    else:
        print(_make())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
