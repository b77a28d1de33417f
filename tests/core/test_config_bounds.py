"""Every number is bounded, every argument typed, every config file a regular file.

A wrong value, from a file, the environment or the Python API, is a typed ``QrplexError``
naming it, its source and what is allowed: never an ``OverflowError`` much later, a silently
truncated number, a ``TypeError`` from deep inside, or a call that hangs on a FIFO.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import qrplex
from qrplex._config import load_config
from qrplex._registry import Registry
from qrplex.cli import main

# -- numbers ------------------------------------------------------------------------------

# key -> (allowed range as the message says it, good values, bad values)
BOUNDS: dict[str, tuple[str, list[Any], list[Any]]] = {
    "retries": (
        "a whole number from 0 to 100",
        [0, 2, 100, "7", " 3 "],
        [-1, 101, 5000, 1.5, 2.0, True, "1.5", "two", 10**400, [2]],
    ),
    "retry_backoff": (
        "a number of seconds from 0 to 2",
        [0, 0.5, 2, "0.25"],
        [-0.1, 2.5, 60, 1e308, float("nan"), float("inf"), "inf", True, 10**400, [1]],
    ),
    "deadline": (
        "a number of seconds from 0 to 86400",
        [0, 2.5, 86400, "30"],
        [-1, 86401, 1e308, float("nan"), "-inf", False, 10**400],
    ),
    "breaker_threshold": (
        "a whole number from 1 to 1000000000",
        [1, 5, 1_000_000_000, "3"],
        [0, 1_000_000_001, 2.5, True, "3.0", 10**400],
    ),
    "breaker_cooldown": (
        "a number of seconds from 0 to 86400",
        [0, 30, 86400, "0.5"],
        [-1, 86401, 1e308, float("nan"), True],
    ),
    "cache_max_mb": (
        "a number of MB from 0 to 1048576",
        [0, 0.5, 100, 1048576, "250"],
        [-1, 1048577, 1e308, 10**400, float("inf"), "1e308", True],
    ),
}

NUMBER_CASES = [(key, value) for key, (_, _, bad) in BOUNDS.items() for value in bad]


@pytest.mark.parametrize(
    ("key", "value"), NUMBER_CASES, ids=[f"{k}={v!r:.20}" for k, v in NUMBER_CASES]
)
def test_a_number_out_of_range_or_of_the_wrong_type_is_refused_as_an_argument(
    key: str, value: Any
) -> None:
    allowed = BOUNDS[key][0]
    with pytest.raises(qrplex.ConfigError) as refused:
        qrplex.Client(config={key: value})
    assert str(refused.value).startswith(f"argument: {key!r} must be {allowed}, not ")


@pytest.mark.parametrize("key", sorted(BOUNDS))
def test_each_bad_number_names_its_source(
    key: str, monkeypatch: pytest.MonkeyPatch, isolated_environment: Path
) -> None:
    allowed = BOUNDS[key][0]
    variable = f"QRPLEX_{key.upper()}"
    monkeypatch.setenv(variable, "1e400")
    with pytest.raises(qrplex.ConfigError) as refused:
        load_config()
    message = f"environment variable {variable}: {key!r} must be {allowed}, not '1e400'"
    assert str(refused.value) == message
    monkeypatch.delenv(variable)
    project = isolated_environment / "qrplex.toml"
    project.write_text(f"{key} = -7\n", encoding="utf-8")
    with pytest.raises(qrplex.ConfigError) as refused:
        load_config()
    assert str(refused.value) == f"{project}: {key!r} must be {allowed}, not -7"


@pytest.mark.parametrize("key", sorted(BOUNDS))
def test_numbers_in_range_are_accepted_from_every_source(
    key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for value in BOUNDS[key][1]:
        resolved = load_config({key: value}).get(key)
        assert resolved == (int(value) if key in {"retries", "breaker_threshold"} else float(value))
        if isinstance(value, str):
            monkeypatch.setenv(f"QRPLEX_{key.upper()}", value)
            assert load_config().get(key) == resolved
    assert type(load_config({key: "1"}).get(key)) is (
        int if key in {"retries", "breaker_threshold"} else float
    )


def test_the_reported_overflows_are_config_errors_at_start_up(tmp_path: Path) -> None:
    with pytest.raises(qrplex.ConfigError, match="'cache_max_mb' must be"):
        qrplex.Client(config={"cache_dir": str(tmp_path), "cache_max_mb": 1e308})
    with pytest.raises(qrplex.ConfigError, match="'retries' must be"):
        qrplex.Client(config={"retries": 5000, "retry_backoff": 0})
    with pytest.raises(qrplex.ConfigError, match="'retries' must be a whole number"):
        qrplex.Client(config={"retries": 1.5})  # was silently 1


class DownBackend(qrplex.Backend):
    """Fails at once, every time: every retry is paid."""

    name = "down"
    capabilities = qrplex.Capabilities(frozenset({"qr"}), frozenset({"png"}))

    def render(self, request: qrplex.CodeRequest) -> qrplex.Rendering:
        raise qrplex.BackendUnavailableError("down", backend=self.name)


class DownPlugin:
    @staticmethod
    @qrplex.hookimpl
    def qrplex_register_backends(register: Any) -> None:
        register(DownBackend)


def test_the_most_retries_allowed_compute_their_waits_without_overflow() -> None:
    config = {
        "backend": "down",
        "fallback": ["local"],
        "retries": 100,
        "retry_backoff": 0,
        "breaker_threshold": 1000,  # the breaker would stop the retries after 5 failures
    }
    registry = Registry(plugins=[("down", DownPlugin)])
    with qrplex.Client(config=config, registry=registry) as client:
        image = client.generate("after a hundred retries")
    assert image.backend == "local"
    assert len(image.attempts) == 101


def test_backoff_waits_stay_finite_for_any_retry_number() -> None:
    from qrplex._retry import RetryPolicy

    policy = RetryPolicy(retries=100, backoff=60.0, max_backoff=2.0)
    error = qrplex.BackendUnavailableError("down", backend="down")
    for retry in (1, 100, 1025, 10**6):
        wait = policy.delay(retry, error)
        assert wait is not None
        assert 0 <= wait <= 2.0


@pytest.mark.parametrize(
    ("option", "value"),
    [("width", 10**5000), ("width", -(10**5000)), ("height", 10**5000)],
    ids=["huge-width", "huge-negative-width", "huge-height"],
)
def test_a_huge_integer_option_is_a_typed_error(option: str, value: int) -> None:
    symbology = "ean13" if option == "height" else "qr"
    content = "590123412345" if option == "height" else "hi"
    with pytest.raises(qrplex.InvalidOptionError, match="-bit integer"):
        qrplex.generate(content, symbology=symbology, **{option: value})
    with qrplex.Client(backend="local") as client:
        (result,) = client.generate_many([{"content": content, "symbology": symbology,
                                           option: value}])  # fmt: skip
    assert isinstance(result, qrplex.InvalidOptionError)


@pytest.mark.parametrize("key", ["timeout", "sign_expire"])
def test_a_huge_integer_cloud_setting_is_a_config_error(key: str) -> None:
    cloud = {
        "bucket": "examplebucket-1250000000",
        "secret_id": "AKIDEXAMPLE",
        "secret_key": "examplekey",
        "endpoint": "http://127.0.0.1:9",
        key: 10**5000,
    }
    with pytest.raises(qrplex.ConfigError, match=f"'{key}'"):
        qrplex.Client(
            backend="cloudinfinite", config={"backends": {"cloudinfinite": cloud}}
        ).check()


@pytest.mark.parametrize("value", ["0", "1025", "-3", "8.5", "١٦", "9" * 5000])
def test_batch_concurrency_out_of_range_is_an_error_line(
    value: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = tmp_path / "rows.txt"
    rows.write_text("a\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main(["batch", str(rows), "--out-dir", str(tmp_path / "out"), "-j", value])
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert "argument -j/--concurrency" in error
    assert len(error) < 1000  # a 5000-digit argument is not echoed whole
    assert not (tmp_path / "out").exists()


def test_an_emulator_server_refuses_a_port_out_of_range() -> None:
    from qrplex_cloudinfinite.emulator import EmulatorServer

    for port in (70000, -1, True, 80.0):
        with pytest.raises(ValueError, match="port must be a whole number from 0 to 65535"):
            EmulatorServer(None, port=port)  # type: ignore[arg-type]


def test_the_cli_prints_a_bad_number_as_one_error_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QRPLEX_RETRIES", "1.5")
    assert main(["make", "hi", "-o", "hi.png"]) == 1
    assert capsys.readouterr().err == (
        "qrplex: error: environment variable QRPLEX_RETRIES: 'retries' must be a whole "
        "number from 0 to 100, not '1.5'\n"
    )
    assert not Path("hi.png").exists()


EMULATOR = ["--secret-id", "A", "--secret-key", "k", "--bucket", "examplebucket-1250000000"]


@pytest.mark.parametrize(
    ("option", "value", "allowed"),
    [
        ("--port", "70000", "a whole number from 0 to 65535"),
        ("--port", "-1", "a whole number from 0 to 65535"),
        ("--port", "80.5", "a whole number from 0 to 65535"),
        ("--latency", "1e308", "a number from 0 to 3600"),
        ("--latency", "nan", "a number from 0 to 3600"),
        ("--qps", "0", "a number above 0, at most 1000000"),
        ("--token-ttl", "inf", "a number from 0 to 315360000"),
        ("--max-window", "-5", "a whole number from 0 to 315360000"),
    ],
)
def test_the_emulators_numbers_are_bounded(
    option: str, value: str, allowed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Parsed only: an emulator that accepted the value would run until Ctrl-C.
    from qrplex_cloudinfinite.emulator._cli import COMMAND

    parser = argparse.ArgumentParser(prog="qrplex emulator")
    COMMAND.add_arguments(parser)
    with pytest.raises(SystemExit) as exited:
        parser.parse_args([*EMULATOR, option, value])
    assert exited.value.code == 2
    error = capsys.readouterr().err.splitlines()[-1]
    assert error == f"qrplex emulator: error: argument {option}: must be {allowed}, not {value!r}"


def test_qrplex_emulator_port_70000_is_an_error_line_not_a_traceback() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "qrplex.cli", "emulator", *EMULATOR, "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines()[-1] == (
        "qrplex emulator: error: argument --port: must be a whole number from 0 to 65535, "
        "not '70000'"
    )
    assert "Traceback" not in done.stderr


# -- the Python API's arguments -------------------------------------------------------------

CLIENT_ARGUMENTS: list[tuple[str, Any, str]] = [
    ("fallback", 123, "'fallback' must be a list of backend names"),
    ("fallback", [1], "'fallback' must be a list of backend names"),
    ("fallback", b"local", "'fallback' must be a list of backend names"),
    ("fallback", {"local": 1}, "'fallback' must be a list of backend names"),
    ("backend", 123, "'backend' must be a backend name"),
    ("backend", "", "'backend' must be a backend name"),
    ("backend", ["local"], "'backend' must be a backend name"),
    ("config", "x", "config must be a mapping"),
    ("config", 5, "config must be a mapping"),
    ("config", ["retries", 2], "config must be a mapping"),
    ("config", {1: 2}, "unknown key 1"),
    ("config", {"backends": "x"}, "'backends' must hold one table per backend"),
    ("environ", {"QRPLEX_RETRIES": 3}, "environ: the value of QRPLEX_RETRIES must be a string"),
    ("environ", {"HOME": None}, "environ: the value of HOME must be a string"),
    ("environ", {3: "x"}, "environ: variable names must be strings"),
    ("environ", ["QRPLEX_RETRIES=3"], "environ must be a mapping of strings"),
    ("cwd", 123, "cwd must be a directory path"),
    ("cwd", ["."], "cwd must be a directory path"),
    ("user_config", 1, "user_config must be True, False or a file path"),
    ("user_config", 2.5, "user_config must be True, False or a file path"),
    ("registry", 5, "registry must be a qrplex Registry"),
    ("registry", "default", "registry must be a qrplex Registry"),
]


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    CLIENT_ARGUMENTS,
    ids=[f"{a}={v!r}" for a, v, _ in CLIENT_ARGUMENTS],
)
def test_client_arguments_of_the_wrong_type_are_config_errors(
    argument: str, value: Any, message: str
) -> None:
    with pytest.raises(qrplex.ConfigError, match=re.escape(message)):
        qrplex.Client(**{argument: value})


def test_a_secret_in_a_mistyped_argument_is_not_repeated() -> None:
    with pytest.raises(qrplex.ConfigError) as refused:
        qrplex.Client(config="secret_key=hunter2-secret")  # type: ignore[arg-type]
    assert "hunter2" not in str(refused.value)
    with pytest.raises(qrplex.ConfigError) as refused:
        qrplex.Client(environ={"TENCENTCLOUD_SECRET_KEY": b"hunter2-secret"})  # type: ignore[dict-item]
    assert "hunter2" not in str(refused.value)


# generate() / agenerate() / qrplex.generate(): argument -> bad values.
CALL_ARGUMENTS: dict[str, list[Any]] = {
    "content": [5, None, b"bytes", ["x"]],
    "symbology": [5, None, ["qr"], "nope"],
    "format": [5, None, ["png"], "gif"],
    "width": ["300", True, 300.0, -1, 0, 10**400, [300]],
    "backend": [5, [], "", ["local"], {"local"}],
    "verify": ["yes", None, 1, "False"],
    "error": [5, ["H"], "Z", None],
}

CALL_CASES = [(argument, value) for argument, values in CALL_ARGUMENTS.items() for value in values]


def _call_kwargs(argument: str, value: Any) -> tuple[Any, dict[str, Any]]:
    content: Any = "x"
    kwargs: dict[str, Any] = {}
    if argument == "content":
        content = value
    else:
        kwargs[argument] = value
    return content, kwargs


def _expected_error(argument: str, value: Any) -> type[qrplex.QrplexError]:
    if argument == "content":
        return qrplex.InvalidContentError
    if argument == "backend" and isinstance(value, str) and value:
        return qrplex.UnknownBackendError
    return qrplex.InvalidOptionError


@pytest.mark.parametrize(
    ("argument", "value"), CALL_CASES, ids=[f"{a}={v!r:.20}" for a, v in CALL_CASES]
)
def test_generate_arguments_of_the_wrong_type_are_typed_errors(argument: str, value: Any) -> None:
    content, kwargs = _call_kwargs(argument, value)
    expected = _expected_error(argument, value)
    shown = "error level" if argument == "error" else argument
    with qrplex.Client() as client:
        with pytest.raises(expected, match=re.escape(shown)):
            client.generate(content, **kwargs)
        with pytest.raises(expected, match=re.escape(shown)):
            asyncio.run(client.agenerate(content, **kwargs))
    with pytest.raises(expected, match=re.escape(shown)):
        qrplex.generate(content, **kwargs)
    with pytest.raises(expected, match=re.escape(shown)):
        asyncio.run(qrplex.agenerate(content, **kwargs))


BATCH_ARGUMENTS: list[tuple[str, Any, str]] = [
    ("concurrency", "8", "concurrency must be a whole number from 1 to 1024, not str '8'"),
    ("concurrency", 0, "concurrency must be a whole number from 1 to 1024, not int 0"),
    ("concurrency", -3, "concurrency must be a whole number from 1 to 1024"),
    ("concurrency", 1.5, "concurrency must be a whole number from 1 to 1024"),
    ("concurrency", True, "concurrency must be a whole number from 1 to 1024"),
    ("concurrency", 10**6, "concurrency must be a whole number from 1 to 1024"),
    ("concurrency", None, "concurrency must be a whole number from 1 to 1024, not None"),
    ("processes", -1, "processes must be a whole number from 0 to 256, not int -1"),
    ("processes", "2", "processes must be a whole number from 0 to 256"),
    ("processes", 2.0, "processes must be a whole number from 0 to 256"),
    ("processes", 100_000, "processes must be a whole number from 0 to 256"),
    ("processes", False, "processes must be a whole number from 0 to 256"),
    ("requests", 5, "requests must be an iterable"),
    ("requests", None, "requests must be an iterable"),
    ("requests", "abc", "requests must be an iterable"),
    ("requests", {"content": "x"}, "requests must be an iterable"),
]


@pytest.mark.parametrize(
    ("argument", "value", "message"),
    BATCH_ARGUMENTS,
    ids=[f"{a}={v!r}" for a, v, _ in BATCH_ARGUMENTS],
)
def test_batch_arguments_of_the_wrong_type_are_typed_errors(
    argument: str, value: Any, message: str
) -> None:
    # No items: a pool that wrongly accepted processes=100_000 starts no process.
    kwargs: dict[str, Any] = {"requests": [], argument: value}
    with qrplex.Client() as client:
        with pytest.raises(qrplex.InvalidOptionError, match=re.escape(message)):
            client.generate_many(**kwargs)
        if argument != "processes":
            with pytest.raises(qrplex.InvalidOptionError, match=re.escape(message)):
                asyncio.run(client.agenerate_many(**kwargs))


def test_a_batch_item_with_bad_keys_fails_alone() -> None:
    items: list[Any] = ["ok", {"content": "x", "self": 1}, {"content": "x", 1: 2}, 42]
    with qrplex.Client() as client:
        results = client.generate_many(items)
        async_results = asyncio.run(client.agenerate_many(items))
    for batch in (results, async_results):
        assert isinstance(batch[0], qrplex.CodeImage)
        assert all(isinstance(r, qrplex.InvalidRequestError) for r in batch[1:])


# -- config files that are not regular files ------------------------------------------------


def _load_within(seconds: float) -> qrplex.ConfigError:
    """Run ``load_config`` in a thread; fail (instead of hanging) if it blocks."""
    outcome: list[BaseException | None] = []

    def run() -> None:
        try:
            load_config()
            outcome.append(None)
        except BaseException as error:  # handed to the test thread
            outcome.append(error)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail("reading the configuration hung")
    (error,) = outcome
    assert isinstance(error, qrplex.ConfigError), error
    return error


def _fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


NOT_REGULAR: dict[str, tuple[Callable[[Path], Path], str]] = {
    "fifo": (lambda tmp: _fifo(tmp / "config.toml"), "is a FIFO (named pipe), not a regular file"),
    "directory": (lambda tmp: tmp, "is a directory, not a regular file"),
    "dev-null": (lambda tmp: Path(os.devnull), "is a character device, not a regular file"),
    "missing": (lambda tmp: tmp / "nope.toml", "no such file"),
    "dangling symlink": (
        lambda tmp: _symlink(tmp / "link.toml", tmp / "gone.toml"),
        "a symbolic link to a missing file",
    ),
    "too large": (
        lambda tmp: _write(tmp / "big.toml", b"#" * (1 << 20) + b"\n"),
        "larger than 1 MiB, too large for a config file",
    ),
    "nested too deeply": (
        lambda tmp: _write(tmp / "deep.toml", b"a = " + b"[" * 50_000),
        "not valid TOML: nested too deeply",
    ),
}


def _symlink(link: Path, target: Path) -> Path:
    link.symlink_to(target)
    return link


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(NOT_REGULAR))
def test_qrplex_config_says_what_the_file_is(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make, what = NOT_REGULAR[case]
    path = make(tmp_path)
    monkeypatch.setenv("QRPLEX_CONFIG", str(path))
    assert str(_load_within(5)) == f"QRPLEX_CONFIG={path}: {what}"


@pytest.mark.parametrize("name", ["qrplex.toml", "pyproject.toml"])
@pytest.mark.parametrize("case", ["fifo", "directory"])
def test_a_project_config_file_that_is_not_a_file_says_so(
    name: str, case: str, isolated_environment: Path
) -> None:
    path = isolated_environment / name
    if case == "fifo":
        os.mkfifo(path)
    else:
        path.mkdir()
    what = "a FIFO (named pipe)" if case == "fifo" else "a directory"
    assert str(_load_within(5)) == f"{path}: is {what}, not a regular file"


def test_the_user_config_file_as_a_fifo_does_not_hang(isolated_environment: Path) -> None:
    from qrplex._config import user_config_path

    path = user_config_path()
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    assert str(_load_within(5)) == f"{path}: is a FIFO (named pipe), not a regular file"


def test_a_cache_dir_with_a_nul_byte_is_a_config_error() -> None:
    with pytest.raises(qrplex.ConfigError, match="'cache_dir' must be a directory path"):
        qrplex.Client(config={"cache_dir": "cache\0dir"})
