"""What the run happened on: CPU, cores, OS, Python, package versions, load."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = [
    "PACKAGES",
    "REPO",
    "describe",
    "loadavg",
    "one_minute_load",
    "parallel_capacity",
    "source",
    "source_digest",
    "wait_for_quiet",
]

REPO = Path(__file__).resolve().parent.parent
"""The repository root (the benchmarks run their subprocesses from here)."""

PACKAGES = (
    "qrplex",
    "qrplex-local",
    "qrplex-cloudinfinite",
    "segno",
    "python-barcode",
    "pillow",
    "httpx",
    "httpcore",
    "anyio",
    "sniffio",
    "h11",
    "uvicorn",
    "zint-bindings",
    "cos-python-sdk-v5",
    "requests",
    "urllib3",
    "pluggy",
    "platformdirs",
)
"""Distributions whose versions are recorded (``absent`` when not installed)."""


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def loadavg() -> str:
    """The 1, 5 and 15 minute load averages, as ``/proc/loadavg`` shows them."""
    try:
        one, five, fifteen = os.getloadavg()
    except OSError:
        return "unknown"
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def one_minute_load() -> float:
    """The 1-minute load average (0 where unknown)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def parallel_capacity(rounds: int = 3) -> float:
    """The speed-up pure-Python work gets from one process per core right now."""
    from ._probe import ParallelProbe

    with ParallelProbe(os.cpu_count() or 1) as probe:
        return probe.speedup(rounds)


def wait_for_quiet(limit: float, *, share: float = 0.85, step: float = 5.0) -> tuple[float, float]:
    """Wait until the machine offers ``share`` of its cores to parallel work, or ``limit`` s.

    Returns the seconds waited and the last parallel capacity measured.
    """
    import time

    cores = os.cpu_count() or 1
    started = time.monotonic()
    capacity = parallel_capacity(rounds=1)
    while capacity < share * cores and time.monotonic() - started + step <= limit:
        time.sleep(step)
        capacity = parallel_capacity(rounds=1)
    return time.monotonic() - started, capacity


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "absent"


def _hyperfine() -> str:
    path = shutil.which("hyperfine")
    if path is None:
        return "hyperfine absent (start-up timed with a subprocess loop)"
    result = subprocess.run(
        [path, "--version"], capture_output=True, text=True, timeout=10, check=False
    )
    return result.stdout.strip() or "hyperfine (version unknown)"


def source_digest() -> str:
    """A digest of the library's Python sources (``src/``, ``plugins/*/src/``), to notice
    when they change during a run (other people edit this working tree)."""
    import hashlib

    digest = hashlib.sha256()
    roots = [REPO / "src", *sorted((REPO / "plugins").glob("*/src"))]
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(REPO)).encode())
            try:
                digest.update(path.read_bytes())
            except OSError:  # deleted while we looked
                digest.update(b"<gone>")
    return digest.hexdigest()[:12]


def source() -> str:
    """The commit, and whether the working tree differs from it."""
    return _source()


def _source() -> str:
    git = shutil.which("git")
    if git is None:
        return "unknown (no git)"
    try:
        head = subprocess.run(
            [git, "rev-parse", "--short", "HEAD"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            [git, "status", "--porcelain", "--untracked-files=no"],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return f"commit {head}" + (" with uncommitted changes" if dirty else "")


def describe() -> dict[str, Any]:
    """Everything about the machine and software that the numbers depend on."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        usable = os.cpu_count() or 1
    flags = [
        f"{name}={os.environ[name]}"
        for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "PYTHONOPTIMIZE")
        if name in os.environ
    ]
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count() or 1,
        "usable_cores": usable,
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "python_executable": shown_path(sys.executable),
        "packages": {name: _version(name) for name in PACKAGES},
        "tools": _hyperfine(),
        "environment": ", ".join(flags) or "no Python bytecode flags set",
        "source": _source(),
        "source_digest_start": source_digest(),
        "loadavg_start": loadavg(),
        "parallelism_start": round(parallel_capacity(), 3),
    }


_REPOSITORY = Path(__file__).resolve().parent.parent


def shown_path(text: str) -> str:
    """``text`` with this machine's paths made portable for committed results: paths in the
    repository relative to it, the venv (when outside it) as ``<venv>``, the Python it was
    made from as ``<python>``, temporary directories as ``<tmp>``, the home directory as
    ``~``, and ``env`` by its name."""
    import re
    import tempfile

    text = text.replace(f"{_REPOSITORY}{os.sep}", "")
    env = shutil.which("env")
    if env:
        text = re.sub(rf"(?<![\w/.]){re.escape(env)}(?![\w/])", "env", text)
    for prefix, label in ((sys.prefix, "<venv>"), (sys.base_prefix, "<python>")):
        if prefix not in ("", os.sep):
            text = text.replace(prefix.rstrip(os.sep), label)
    temporary = re.escape(tempfile.gettempdir().rstrip(os.sep))
    text = re.sub(temporary + r"/[^/\s'\"`]+", "<tmp>", text)
    home = os.path.expanduser("~").rstrip(os.sep)
    if len(home) > 1:
        text = text.replace(home + os.sep, "~" + os.sep)
    return text.replace(str(_REPOSITORY), ".")
