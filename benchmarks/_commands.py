"""Timing whole commands: with hyperfine when installed, else a subprocess loop.

Commands are timed in rounds; within a round every command runs ``runs`` times (after a
warm-up run) and the round keeps each command's median. The order of the commands is reversed
every other round (A B B A), so that compared commands stay next to each other and slow
phases of a noisy machine hit each of them.
"""

from __future__ import annotations

import json
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["TIMEOUT", "ImportProfile", "import_profile", "time_commands"]

RUNS = 3
"""Runs of an ``-X importtime`` profile (the least noisy one is kept)."""

TIMEOUT = 300.0
"""Seconds any one hyperfine invocation (or command) may take before it is abandoned."""


def _ordered(names: Sequence[str], index: int) -> list[str]:
    """``names`` in even rounds, reversed in odd ones (A B B A: neighbours stay adjacent)."""
    return list(names) if index % 2 == 0 else list(reversed(names))


def _hyperfine_round(
    hyperfine: str,
    commands: Mapping[str, Sequence[str]],
    order: Sequence[str],
    runs: int,
    env: Mapping[str, str],
    cwd: Path,
) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="qrplex-hyperfine-") as scratch:
        export = Path(scratch) / "round.json"
        argv = [
            hyperfine,
            "-N",
            "--style",
            "none",
            "--warmup",
            "1",
            "--runs",
            str(runs),
            "--export-json",
            str(export),
        ]
        for name in order:
            argv += ["-n", name, shlex.join(commands[name])]
        done = subprocess.run(
            argv,
            env=dict(env),
            cwd=cwd,
            check=False,
            timeout=TIMEOUT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"hyperfine failed: {done.stderr.strip()[-500:]}")
        results = json.loads(export.read_text(encoding="utf-8"))["results"]
    return {result["command"]: statistics.median(result["times"]) for result in results}


def _loop_round(
    commands: Mapping[str, Sequence[str]],
    order: Sequence[str],
    runs: int,
    env: Mapping[str, str],
    cwd: Path,
) -> dict[str, float]:
    times: dict[str, list[float]] = {name: [] for name in order}
    for run in range(runs + 1):  # the first pass is the warm-up
        for name in _ordered(order, run):
            started = time.perf_counter()
            subprocess.run(
                commands[name],
                env=dict(env),
                cwd=cwd,
                check=True,
                timeout=TIMEOUT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if run:
                times[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in times.items()}


def time_commands(
    commands: Mapping[str, Sequence[str]],
    *,
    rounds: int,
    runs: int,
    env: Mapping[str, str],
    cwd: Path,
) -> tuple[dict[str, list[float]], str]:
    """Time every command; return its per-round median seconds, and the tool used."""
    hyperfine = shutil.which("hyperfine")
    names = list(commands)
    per_round: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        order = _ordered(names, index)
        for attempt in range(2):  # a round that fails (a file mid-edit, ...) is run again
            try:
                if hyperfine is not None:
                    medians = _hyperfine_round(hyperfine, commands, order, runs, env, cwd)
                else:
                    medians = _loop_round(commands, order, runs, env, cwd)
                break
            except (RuntimeError, subprocess.CalledProcessError) as error:
                if attempt:
                    raise
                print(f"    a round failed, running it again: {error}", file=sys.stderr)
        for name in names:
            per_round[name].append(medians[name])
    return per_round, "hyperfine" if hyperfine else "a subprocess loop"


@dataclass
class _Node:
    name: str
    own: float
    cumulative: float
    children: list[_Node] = field(default_factory=list)


@dataclass(frozen=True)
class ImportProfile:
    """Where a process's import time went (from ``-X importtime``).

    Attributes:
        total: seconds of all imports.
        own: seconds spent executing the modules of ``packages`` themselves.
        heaviest: the costliest imports *made by* those modules (or at top level) of modules
            outside them: ``(module, cumulative seconds, importer)``, heaviest first.
    """

    total: float
    own: float
    heaviest: list[tuple[str, float, str]]


def _tree(stderr: str) -> list[_Node]:
    """The import tree (``-X importtime`` prints each module after its children)."""
    pending: dict[int, list[_Node]] = {}
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, cumulative, label = line[len("import time:") :].split("|")
        depth = (len(label) - len(label.lstrip()) - 1) // 2
        node = _Node(label.strip(), int(own) / 1e6, int(cumulative) / 1e6)
        node.children = pending.pop(depth + 1, [])
        pending.setdefault(depth, []).append(node)
    return pending.get(0, [])


def import_profile(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path,
    packages: tuple[str, ...] = ("qrplex",),
    top: int = 8,
) -> ImportProfile:
    """Run ``argv`` (a Python command: ``argv[0]`` is the interpreter) with ``-X importtime``
    and attribute its import time to ``packages`` (module name prefixes) and what they import.

    The command runs :data:`RUNS` times and the run with the least import time is kept.
    """
    runs = [
        subprocess.run(
            [argv[0], "-X", "importtime", *argv[1:]],
            env=dict(env),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            check=True,
        )
        for _ in range(RUNS)
    ]
    trees = [_tree(run.stderr) for run in runs]
    roots = min(trees, key=lambda tree: sum(root.cumulative for root in tree))  # least noisy
    own = 0.0
    heaviest: list[tuple[str, float, str]] = []

    def ours(name: str) -> bool:
        return name.startswith(packages)

    def walk(node: _Node, importer: str) -> None:
        nonlocal own
        if not ours(node.name):
            heaviest.append((node.name, node.cumulative, importer))
            return
        own += node.own
        for child in node.children:
            walk(child, node.name)

    for root in roots:
        walk(root, "top level")
    heaviest = [entry for entry in heaviest if entry[2] != "top level" or entry[1] > 0.002]
    heaviest.sort(key=lambda entry: entry[1], reverse=True)
    return ImportProfile(sum(root.cumulative for root in roots), own, heaviest[:top])
