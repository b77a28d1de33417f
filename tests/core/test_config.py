"""Config precedence: arguments > environment > QRPLEX_CONFIG > project > user > default."""

from __future__ import annotations

from pathlib import Path

import pytest

import qrplex
from qrplex._config import load_config


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def user_file(monkeypatch: pytest.MonkeyPatch) -> Path:
    import os

    return Path(os.environ["XDG_CONFIG_HOME"]) / "qrplex" / "config.toml"


def test_default_is_local() -> None:
    config = load_config()
    assert config.backend == "local"
    assert config.values["backend"].source == "default"


def test_each_layer_overrides_the_one_below(isolated_environment, monkeypatch) -> None:
    write(user_file(monkeypatch), 'backend = "from-user"\n')
    assert load_config().values["backend"].value == "from-user"

    write(isolated_environment / "pyproject.toml", '[tool.qrplex]\nbackend = "from-pyproject"\n')
    assert load_config().backend == "from-pyproject"

    write(isolated_environment / "qrplex.toml", 'backend = "from-project"\n')
    config = load_config()
    assert config.backend == "from-project"
    assert config.values["backend"].source.endswith("qrplex.toml")

    named = write(isolated_environment / "elsewhere" / "named.toml", 'backend = "from-named"\n')
    monkeypatch.setenv("QRPLEX_CONFIG", str(named))
    assert load_config().backend == "from-named"

    monkeypatch.setenv("QRPLEX_BACKEND", "from-env")
    config = load_config()
    assert (config.backend, config.values["backend"].source) == (
        "from-env",
        "environment variable QRPLEX_BACKEND",
    )

    assert load_config({"backend": "from-argument"}).backend == "from-argument"


def test_fallback_from_env_is_a_comma_list(monkeypatch) -> None:
    monkeypatch.setenv("QRPLEX_FALLBACK", "acme, local")
    assert load_config().fallback == ("acme", "local")


def test_backend_settings_precedence(isolated_environment, monkeypatch) -> None:
    settings = (
        qrplex.Setting("bucket", "the bucket"),
        qrplex.Setting("secret_id", "key id", secret=True, env=("TENCENTCLOUD_SECRET_ID",)),
        qrplex.Setting("timeout", "seconds", default=10),
    )
    write(
        isolated_environment / "qrplex.toml",
        '[backends.cloudinfinite]\nbucket = "file-bucket"\nsecret_id = "file-id"\n',
    )
    monkeypatch.setenv("TENCENTCLOUD_SECRET_ID", "tencent-id")
    resolved = load_config().backend_settings("cloudinfinite", settings)
    assert resolved["bucket"].value == "file-bucket"
    assert resolved["secret_id"].value == "tencent-id"
    assert resolved["timeout"].value == 10
    assert resolved["timeout"].source == "default"

    monkeypatch.setenv("QRPLEX_CLOUDINFINITE_SECRET_ID", "qrplex-id")
    assert load_config().backend_settings("cloudinfinite", settings)["secret_id"].value == (
        "qrplex-id"
    )
    explicit = {"backends": {"cloudinfinite": {"secret_id": "arg-id"}}}
    assert (
        load_config(explicit).backend_settings("cloudinfinite", settings)["secret_id"].value
        == "arg-id"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("backend = ", r"qrplex\.toml: not valid TOML"),
        ("backend = 3\n", r"qrplex\.toml: 'backend' must be a backend name"),
        ("colour = 'red'\n", r"qrplex\.toml: unknown key 'colour'; allowed keys: backend, "),
        ("fallback = 'local'\nbackends = 1\n", r"qrplex\.toml: 'backends' must hold one table"),
        ("fallback = [1]\n", r"qrplex\.toml: 'fallback' must be a list of backend names"),
    ],
)
def test_malformed_config_names_file_key_and_problem(
    isolated_environment, text: str, message: str
) -> None:
    write(isolated_environment / "qrplex.toml", text)
    with pytest.raises(qrplex.ConfigError, match=message):
        load_config()


def test_unknown_backend_key_is_an_error_naming_the_file(isolated_environment) -> None:
    write(isolated_environment / "qrplex.toml", "[backends.local]\nscale = 3\n")
    with pytest.raises(
        qrplex.ConfigError,
        match=r"qrplex\.toml: \[backends\.local\] has "
        r"unknown key 'scale'; backend 'local' reads: none",
    ):
        qrplex.generate("x")


def test_missing_named_config_file_is_an_error(monkeypatch) -> None:
    monkeypatch.setenv("QRPLEX_CONFIG", "/nonexistent/qrplex.toml")
    with pytest.raises(qrplex.ConfigError, match=r"QRPLEX_CONFIG=/nonexistent/qrplex\.toml"):
        load_config()


def test_env_backend_is_honoured_by_the_library_not_only_the_cli(monkeypatch) -> None:
    monkeypatch.setenv("QRPLEX_BACKEND", "nope")
    with pytest.raises(qrplex.UnknownBackendError, match="'nope'"):
        qrplex.generate("x")


def test_a_config_file_that_is_not_utf8_is_a_config_error(isolated_environment) -> None:
    (isolated_environment / "qrplex.toml").write_bytes(b"\xff\xfebackend")
    with pytest.raises(qrplex.ConfigError, match=r"qrplex\.toml: not UTF-8 text"):
        load_config()


def test_a_directory_named_as_config_file(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("QRPLEX_CONFIG", str(tmp_path))
    with pytest.raises(qrplex.ConfigError, match="is a directory, not a regular file"):
        load_config()


def test_an_unknown_fallback_is_reported_on_first_use_not_during_an_outage() -> None:
    with (
        qrplex.Client(fallback=["nope"]) as client,
        pytest.raises(qrplex.UnknownBackendError, match="'nope'"),
    ):
        client.generate("x")  # local, the primary, would have served it
    assert qrplex.Client(backend="cloudinfinite", fallback="local").chain == (
        "cloudinfinite",
        "local",
    )


@pytest.mark.parametrize("value", ["nan", "inf", "-1"])
def test_numbers_must_be_finite_and_in_range(monkeypatch, value: str) -> None:
    monkeypatch.setenv("QRPLEX_DEADLINE", value)
    with pytest.raises(qrplex.ConfigError, match="'deadline' must be a number of seconds from 0"):
        load_config()


def test_resolved_config_repr_shows_no_secret(monkeypatch) -> None:
    monkeypatch.setenv("TENCENTCLOUD_SECRET_KEY", "env-secret-value")
    config = load_config({"backends": {"cloudinfinite": {"secret_key": "arg-secret-value"}}})
    assert "secret-value" not in repr(config)
