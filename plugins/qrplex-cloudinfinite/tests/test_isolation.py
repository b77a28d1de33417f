"""This plugin's tests run under the repository's root ``conftest.py``, like the core's.

Whether run from the repository root (``uv run pytest``) or from the plugin's directory, each
test gets the isolated environment and the suite's hypothesis profile.
"""

from __future__ import annotations

import os
from pathlib import Path

from hypothesis import settings


def test_each_test_runs_in_an_isolated_environment(isolated_environment: Path) -> None:
    assert Path.cwd() == isolated_environment
    assert not any(isolated_environment.iterdir())
    config_home = Path(os.environ["XDG_CONFIG_HOME"])
    assert config_home.parent.name.startswith("home")
    assert not config_home.exists()
    leaked = [
        name
        for name in os.environ
        if name.startswith(("QRPLEX_", "TENCENTCLOUD_")) and name != "QRPLEX_HYPOTHESIS_PROFILE"
    ]
    assert leaked == []


def test_the_suite_hypothesis_profile_is_loaded() -> None:
    # Hypothesis' own default is a 200 ms deadline; the suite's profiles ("ci", "thorough") lift it.
    assert settings.default.deadline is None
