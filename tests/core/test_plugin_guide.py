"""The plugin guide's example package (docs/plugins.md) is a project of its own whose
declarations match its code, and its own tests pass with it installed through its entry point
in a separate process (qrplex's environment is not touched)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
GUIDE = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```(toml|python)\n(.*?)```", GUIDE, re.S)


def _block(language: str, start: str) -> str:
    found = [text for lang, text in BLOCKS if lang == language and text.startswith(start)]
    assert len(found) == 1, f"the guide has {len(found)} {language} blocks starting {start!r}"
    return found[0]


PYPROJECT: dict[str, Any] = tomllib.loads(_block("toml", '[project]\nname = "qrplex-acme"'))
FILES = {
    "src/qrplex_acme/__init__.py": _block("python", '"""qrplex-acme: the'),
    "src/qrplex_acme/_backend.py": _block("python", '"""The ``acme`` backend'),
    "src/qrplex_acme/plugin.py": _block("python", '"""The qrplex entry point'),
    "tests/conftest.py": _block("python", "from hypothesis import settings"),
    "tests/test_acme.py": _block("python", "from collections.abc import Iterator"),
}


def _names(requirements: list[str]) -> set[str]:
    return {re.split(r"[<>=!~; ]", requirement, maxsplit=1)[0] for requirement in requirements}


def test_the_example_is_its_own_project_depending_on_qrplex() -> None:
    project = PYPROJECT["project"]
    assert project["entry-points"]["qrplex"] == {"acme": "qrplex_acme.plugin"}
    # plugin.py's acme-read decodes (qrplex.testing.decode): the verify extra, at run time.
    assert "from qrplex.testing import decode" in FILES["src/qrplex_acme/plugin.py"]
    assert _names(project["dependencies"]) == {"qrplex[verify]", "segno", "pillow"}
    # Its tests use the kit (hypothesis, pytest): the testing extra, in its dev group.
    assert _names(PYPROJECT["dependency-groups"]["dev"]) == {"qrplex[testing]"}
    # qrplex from a clone (until it is on an index), through uv's sources, not pip.
    assert PYPROJECT["tool"]["uv"]["sources"]["qrplex"] == {"path": "../qrplex"}


def test_the_guide_never_installs_into_qrplexs_environment() -> None:
    commands = re.findall(r"^\$? ?((?:uv )?pip install .*)$", GUIDE, re.M)
    assert commands, "the guide shows the pip flow"
    for command in commands:
        assert "qrplex[verify]'" not in command or "testing" in command
        assert not (command.startswith("uv pip") and "-e ." in command), command


def test_its_own_tests_pass_with_it_installed_by_entry_point(tmp_path: Path) -> None:
    project = tmp_path / "qrplex-acme"
    for name, text in FILES.items():
        (project / name).parent.mkdir(parents=True, exist_ok=True)
        (project / name).write_text(text, encoding="utf-8")
    # An installed distribution as pip leaves it: the package plus a .dist-info with the entry
    # point from the guide's pyproject.toml.
    info = project / "src" / "qrplex_acme-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: qrplex-acme\nVersion: 0.1.0\n", encoding="utf-8"
    )
    entry = PYPROJECT["project"]["entry-points"]["qrplex"]["acme"]
    (info / "entry_points.txt").write_text(f"[qrplex]\nacme = {entry}\n", encoding="utf-8")
    environ = {key: value for key, value in os.environ.items() if not key.startswith("QRPLEX_")}
    environ |= {"PYTHONPATH": str(project / "src"), "QRPLEX_STRICT_PLUGINS": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=project,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert re.search(r"\b8 passed\b", done.stdout), done.stdout[-500:]


@pytest.fixture(autouse=True)
def _no_acme_here() -> None:
    """The example is only ever installed in the subprocess."""
    assert "qrplex_acme" not in sys.modules
