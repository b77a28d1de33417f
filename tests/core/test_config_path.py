"""The user config file is found without platformdirs where platformdirs' answer is plain
XDG, and that answer is platformdirs' own."""

from __future__ import annotations

import sys
from pathlib import Path

import platformdirs
import pytest

from qrplex._config import user_config_path

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the XDG shortcut is Linux's")


@pytest.mark.parametrize(
    "environ",
    [
        {"XDG_CONFIG_HOME": "/srv/conf", "HOME": "/home/someone"},
        {"HOME": "/home/someone"},
        {"XDG_CONFIG_HOME": "", "HOME": "/home/someone"},
        {"XDG_CONFIG_HOME": "relative/conf", "HOME": "/home/someone"},
    ],
    ids=["xdg", "home", "empty-xdg", "relative-xdg"],
)
def test_same_file_as_platformdirs(environ: dict[str, str], monkeypatch) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    expected = Path(platformdirs.user_config_dir("qrplex", appauthor=False)) / "config.toml"
    assert user_config_path() == expected
    assert user_config_path(environ) == expected
