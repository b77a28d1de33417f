"""Shared by every test directory (``tests/`` and ``plugins/*/tests/``): the hypothesis
profiles, an isolated environment for every test, and the emulator fixtures of the Cloud
Infinite plugin's tests (``plugins/qrplex-cloudinfinite/tests/emulator_fixtures.py``, on
``pythonpath`` in ``pyproject.toml``), which the routing and conformance tests use too."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase

from qrplex._registry import reset_default_registry

# Absolute paths at the repository root: tests chdir into temporary directories, a plugin's
# tests may be run from the plugin's directory, and a clean clone has none.
_HYPOTHESIS_HOME = Path(__file__).resolve().parent / ".hypothesis"
set_hypothesis_home_dir(_HYPOTHESIS_HOME)
_DATABASE = DirectoryBasedExampleDatabase(_HYPOTHESIS_HOME)
pytest_plugins = ["emulator_fixtures", "pytester"]

settings.register_profile("ci", max_examples=40, deadline=None, print_blob=True, database=_DATABASE)
settings.register_profile(
    "thorough", max_examples=1000, deadline=None, print_blob=True, database=_DATABASE
)
settings.load_profile(os.environ.get("QRPLEX_HYPOTHESIS_PROFILE", "ci"))

_LEAKY_PREFIXES = ("QRPLEX_", "TENCENTCLOUD_")


@pytest.fixture(autouse=True)
def isolated_environment(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """No developer config leaks in: clean QRPLEX_* variables, an empty user config dir and
    an empty working directory; the plugin registry is rebuilt for each test."""
    for name in list(os.environ):
        if name.startswith(_LEAKY_PREFIXES) and name != "QRPLEX_HYPOTHESIS_PROFILE":
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    workdir = tmp_path_factory.mktemp("work")
    monkeypatch.chdir(workdir)
    reset_default_registry()
    yield workdir
    reset_default_registry()
