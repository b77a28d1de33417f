"""Section 4: start-up as whole processes, against a bare interpreter and segno's own CLI.

The venv's executables are run directly (``uv run`` would add its own start-up), from an
empty temporary directory, with no ``QRPLEX_*`` variables and an empty ``XDG_CONFIG_HOME``
(so no config file is read). Two settings of Python's bytecode cache:

* compiled (the goals): before anything is timed, ``python -m compileall`` compiles the
  venv's ``site-packages`` and the workspace's sources (installed editable) in place, as pip
  and ``uv sync --compile-bytecode`` do when they install; the commands then run with
  ``PYTHONDONTWRITEBYTECODE=1`` and no cache prefix, so they read exactly that bytecode (and
  the standard library's own) and write none: what an installed package costs;
* none: ``PYTHONDONTWRITEBYTECODE=1`` and an empty cache prefix, so every module (the
  standard library's too) is compiled from source on every start, as in containers that set
  ``PYTHONDONTWRITEBYTECODE`` and install without compiling (informational).

``qrplex make URL -o f.png`` and ``segno URL --error M --no-error-boost --scale 10 -o f.png``
write the same symbol at the same size (pixel-identical, checked before timing); segno's CLI
with no options would make a different symbol (boosted error level, 1 px per module).
"""

from __future__ import annotations

import os
import shlex
import shutil
import site
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from ._commands import TIMEOUT, ImportProfile, import_profile, time_commands
from ._images import same_png
from ._machine import shown_path
from ._profile import Profile
from ._report import Goal, Row, Section, fmt_ms

__all__ = ["run"]

URL = "https://example.com/qrplex/benchmarks?id=42"
IMPORT_GOAL = Goal("<=", 25.0, "ms")
MAKE_GOAL = Goal("<=", 1.5)
REPOSITORY = Path(__file__).resolve().parent.parent


def environment(tmp: Path, *, cache: bool) -> dict[str, str]:
    """The environment commands run in: no ``QRPLEX_*``, an empty ``XDG_CONFIG_HOME`` under
    ``tmp``, ``PYTHONDONTWRITEBYTECODE=1``, and the bytecode :func:`compile_bytecode` wrote
    (``cache``) or none at all (an empty cache prefix)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("QRPLEX_")
        and key not in {"PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX", "VIRTUAL_ENV"}
    }
    env["XDG_CONFIG_HOME"] = str(tmp / "config")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    if not cache:
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "no-pycache")
    return env


def compile_bytecode() -> list[str]:
    """Compile the venv's ``site-packages`` and the workspace's sources in place (what an
    installer does); returns the directories, as shown in the notes."""
    targets = [*site.getsitepackages(), str(REPOSITORY / "src")]
    targets += sorted(str(path) for path in (REPOSITORY / "plugins").glob("*/src"))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPYCACHEPREFIX"}
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "-j", "0", *targets],
        env=env,
        check=True,
        timeout=TIMEOUT,
        stdout=subprocess.DEVNULL,
    )
    return [shown_path(target) for target in targets]


def _commands(tmp: Path) -> dict[str, list[str]]:
    bin_dir = Path(sys.executable).parent
    python = str(bin_dir / "python")
    return {
        "bare": [python, "-c", "pass"],
        "import-qrplex": [python, "-c", "import qrplex"],
        "import-segno": [python, "-c", "import segno"],
        "qrplex-make": [str(bin_dir / "qrplex"), "make", URL, "-o", str(tmp / "qrplex.png")],
        "segno-cli": [
            str(bin_dir / "segno"),
            URL,
            "--error",
            "M",
            "--no-error-boost",
            "--scale",
            "10",
            "-o",
            str(tmp / "segno.png"),
        ],
        "qrplex-make-local-only": [
            shutil.which("env") or "/usr/bin/env",
            "QRPLEX_DISABLE_PLUGINS=cloudinfinite",
            str(bin_dir / "qrplex"),
            "make",
            URL,
            "-o",
            str(tmp / "qrplex-local-only.png"),
        ],
    }


def _check(commands: Mapping[str, Sequence[str]], env: Mapping[str, str], tmp: Path) -> None:
    """Run each command once and compare the two images."""
    for argv in commands.values():
        subprocess.run(
            argv, env=dict(env), cwd=tmp, check=True, timeout=TIMEOUT, capture_output=True
        )
    segno_png = (tmp / "segno.png").read_bytes()
    for ours in ("qrplex.png", "qrplex-local-only.png"):
        if not same_png((tmp / ours).read_bytes(), segno_png):
            raise AssertionError(f"`qrplex make` ({ours}) and `segno` wrote different pixels")


def _diff_row(key: str, title: str, times: dict[str, list[float]], name: str) -> Row:
    diffs = [(a - b) * 1e3 for a, b in zip(times[name], times["bare"], strict=True)]
    return Row(
        key=key,
        title=title,
        subject=fmt_ms(statistics.median(times[name])),
        baseline=f"{fmt_ms(statistics.median(times['bare']))} (`python -c pass`)",
        value=statistics.median(diffs),
        low=min(diffs),
        high=max(diffs),
        unit="ms",
        goal=IMPORT_GOAL if key == "startup.import" else None,
        data={"diffs_ms": [round(v, 2) for v in diffs]},
    )


def _ratio_row(
    key: str, title: str, times: dict[str, list[float]], name: str, goal: Goal | None
) -> Row:
    ratios = [a / b for a, b in zip(times[name], times["segno-cli"], strict=True)]
    return Row(
        key=key,
        title=title,
        subject=fmt_ms(statistics.median(times[name])),
        baseline=f"{fmt_ms(statistics.median(times['segno-cli']))} (segno CLI)",
        value=statistics.median(ratios),
        low=min(ratios),
        high=max(ratios),
        goal=goal,
        data={"ratios": [round(v, 3) for v in ratios]},
    )


def _imports(label: str, profile: ImportProfile) -> str:
    listed = ", ".join(
        f"`{name}` {fmt_ms(seconds)} (by `{importer}`)"
        for name, seconds, importer in profile.heaviest
    )
    return (
        f"{label}: {fmt_ms(profile.total)} of imports in all, of which "
        f"{fmt_ms(profile.own)} executing qrplex's own modules; the heaviest imports of other "
        f"modules: {listed}."
    )


def run(profile: Profile, number: int) -> Section:
    """Measure section 4."""
    section = Section(number, "startup", "Start-up (whole processes)")
    with tempfile.TemporaryDirectory(prefix="qrplex-bench-startup-") as scratch:
        tmp = Path(scratch)
        (tmp / "config").mkdir()
        commands = _commands(tmp)
        warm_env = environment(tmp, cache=True)
        cold_env = environment(tmp, cache=False)
        compiled = compile_bytecode()
        _check(commands, warm_env, tmp)
        warm, tool = time_commands(
            commands,
            rounds=profile.startup_rounds,
            runs=profile.startup_runs,
            env=warm_env,
            cwd=tmp,
        )
        cold_commands = {
            k: v for k, v in commands.items() if k not in {"import-segno", "qrplex-make-local-only"}
        }
        cold, _ = time_commands(
            cold_commands,
            rounds=profile.startup_rounds,
            runs=max(2, profile.startup_runs // 2),
            env=cold_env,
            cwd=tmp,
        )
        import_imports = import_profile(commands["import-qrplex"], env=warm_env, cwd=tmp)
        make_argv = [str(Path(sys.executable).parent / "python"), *commands["qrplex-make"]]
        make_imports = import_profile(make_argv, env=warm_env, cwd=tmp)
    section.rows.extend(
        [
            _diff_row(
                "startup.import", "`import qrplex` above a bare interpreter", warm, "import-qrplex"
            ),
            _ratio_row(
                "startup.make",
                "`qrplex make URL -o f.png` vs `segno URL -o f.png`",
                warm,
                "qrplex-make",
                MAKE_GOAL,
            ),
            _ratio_row(
                "startup.make.local-only",
                "`qrplex make` with the cloudinfinite plugin disabled "
                "(`QRPLEX_DISABLE_PLUGINS=cloudinfinite`) vs segno CLI",
                warm,
                "qrplex-make-local-only",
                None,
            ),
            _diff_row(
                "startup.import-segno",
                "`import segno` above a bare interpreter (context)",
                warm,
                "import-segno",
            ),
            _diff_row(
                "startup.import.nocache",
                "No bytecode cache: `import qrplex` above a bare interpreter",
                cold,
                "import-qrplex",
            ),
            _ratio_row(
                "startup.make.nocache",
                "No bytecode cache: `qrplex make` vs segno CLI",
                cold,
                "qrplex-make",
                None,
            ),
        ]
    )
    make_median = statistics.median(warm["qrplex-make"])
    local_only = statistics.median(warm["qrplex-make-local-only"])
    section.notes.extend(
        [
            "Bytecode: `python -m compileall` compiled "
            + ", ".join(f"`{target}`" for target in compiled)
            + " in place before the runs, which then set `PYTHONDONTWRITEBYTECODE=1` "
            "(they read that bytecode and the standard library's, and write none).",
            f"Timed with {tool}: {profile.startup_rounds} rounds of {profile.startup_runs} runs "
            "per command (half as many without a bytecode cache), in A B B A order; "
            "a round keeps each command's median, and values are medians of the per-round "
            "differences (ms) or ratios. Commands: "
            + "; ".join(f"`{shown_path(shlex.join(argv))}`" for argv in commands.values())
            + ".",
            _imports(
                "`import qrplex` (best of 3 runs with `-X importtime`, warm cache)", import_imports
            ),
            _imports(f"`qrplex make` (median {fmt_ms(make_median)} in all)", make_imports),
            _plugin_note(make_imports, make_median, local_only),
            *_verdicts(section, number, import_imports),
        ]
    )
    return section


def _plugin_note(make_imports: ImportProfile, make_median: float, local_only: float) -> str:
    """What loading every plugin costs `qrplex make` (from the import profile and row 4.3)."""
    heavy = {name for name, _, _ in make_imports.heaviest}
    cloud = (
        " Registering the cloudinfinite backend imports httpx (listed above) even though "
        "only the local backend is used."
        if "httpx" in heavy
        else " Neither the cloudinfinite backend's module nor httpx is among its imports: "
        "the plugin declares its backend (`qrplex.BackendDeclaration`: name, class path, "
        "capabilities) and the class is imported only when a call uses it; its "
        "`qrplex emulator` command is collected only when commands are listed."
    )
    return (
        "The make command reads the entry points once (`importlib.metadata`, cached for the "
        "process) and imports each plugin's light `plugin` module."
        + cloud
        + f" With the cloudinfinite plugin disabled the same command took "
        f"{fmt_ms(local_only)}, {fmt_ms(make_median - local_only)} less (run through "
        "`env`, which adds an exec). segno's CLI imports segno (whose SVG writer "
        "imports `xml.sax.saxutils` and with it `urllib.request`: the `import segno` row) "
        "and writes the PNG."
    )


def _verdicts(section: Section, number: int, imports: ImportProfile) -> list[str]:
    """One sentence per goal of this section: met, or missed and why."""
    rows = {row.key: row for row in section.rows}
    ids = {row.key: f"{number}.{index}" for index, row in enumerate(section.rows, start=1)}
    notes = []
    imported = rows["startup.import"]
    if imported.verdict == "met":
        notes.append(f"Goal {ids['startup.import']} (`import qrplex` ≤ +25 ms) was met.")
    else:
        notes.append(
            f"Goal {ids['startup.import']} (`import qrplex` ≤ +25 ms) missed at "
            f"{imported.value_text}: `import qrplex` imports the client and everything it "
            f"needs eagerly; executing qrplex's own modules (class bodies, dataclasses, "
            f"enums, regular expressions) took {fmt_ms(imports.own)}, and the "
            "standard-library modules they import (listed above) most of the rest."
        )
    make, local_only = rows["startup.make"], rows["startup.make.local-only"]
    if make.verdict == "met":
        notes.append(f"Goal {ids['startup.make']} (`qrplex make` ≤ 1.5× segno) was met.")
    else:
        notes.append(
            f"Goal {ids['startup.make']} (`qrplex make` ≤ 1.5× segno) missed at "
            f"{make.value_text}; with the cloudinfinite plugin disabled it is "
            f"{local_only.value_text} (row {ids['startup.make.local-only']}). What the command "
            "spends beyond segno's CLI is in the import list above: `importlib.metadata` and "
            "its scan of every installed distribution's entry points, `dataclasses` (with "
            "`inspect`, which segno never imports) and the dataclasses of qrplex's model, "
            "`logging`, pluggy, and qrplex's own modules (validation, routing, image checks). "
            "What would close it: fewer dataclasses on the `make` path (plain classes with "
            "`__slots__`), `logging` imported only when a record is emitted, and a cheaper "
            "plugin discovery than `importlib.metadata` on Python 3.11."
        )
    return notes
