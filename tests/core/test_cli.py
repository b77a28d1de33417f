"""The ``qrplex`` command: make, backends, config; one-line errors, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from qrplex.cli import main
from qrplex.testing import decode

QRPLEX = str(Path(sys.executable).with_name("qrplex"))


def test_make_writes_a_png_that_decodes(isolated_environment: Path, capsys) -> None:
    assert main(["make", "https://example.com", "-o", "qr.png"]) == 0
    data = (isolated_environment / "qr.png").read_bytes()
    assert decode(data) == "https://example.com"
    assert "backend local" in capsys.readouterr().err


def test_make_takes_the_format_from_the_extension(isolated_environment: Path) -> None:
    assert main(["make", "hi", "-o", "hi.svg", "--width", "200"]) == 0
    assert b'width="200"' in (isolated_environment / "hi.svg").read_bytes()


def test_make_barcode_with_width(isolated_environment: Path) -> None:
    assert main(["make", "590123412345", "-s", "ean13", "-w", "300", "-o", "ean.png"]) == 0
    assert decode((isolated_environment / "ean.png").read_bytes()) == "5901234123457"


def test_make_writes_bytes_when_stdout_is_not_a_terminal() -> None:
    out = subprocess.run([QRPLEX, "make", "piped"], capture_output=True, check=True)
    assert out.stdout.startswith(b"\x89PNG")
    assert decode(out.stdout) == "piped"


def test_make_draws_in_a_terminal(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["make", "terminal"]) == 0
    drawing = capsys.readouterr().out
    assert "█" in drawing or "▀" in drawing or "▄" in drawing
    assert len(drawing.splitlines()) >= 10


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["make", "59012341234", "-s", "ean13", "-o", "x.png"], "12"),
        (["make", "x", "-s", "maxicode", "-o", "x.png"], "qr, microqr"),
        (["make", "x", "-w", "5", "-o", "x.png"], "minimum"),
        (["make", "x", "-b", "nope", "-o", "x.png"], "installed backends: "),
        (["make", "x", "-f", "gif", "-o", "x.png"], "png, svg"),
    ],
)
def test_errors_are_one_line_without_traceback(argv: list[str], message: str) -> None:
    out = subprocess.run([QRPLEX, *argv], capture_output=True, text=True)
    assert out.returncode == 1
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert lines[0].startswith("qrplex: error: ")
    assert message in lines[0]
    assert "Traceback" not in out.stderr


def test_backends_json_lists_local_with_capabilities(capsys) -> None:
    assert main(["backends", "--json"]) == 0
    listing = {entry["name"]: entry for entry in json.loads(capsys.readouterr().out)}
    local = listing["local"]
    assert local["status"] == "ok"
    assert local["distribution"] == "qrplex-local"
    assert {"qr", "microqr", "ean13", "code128"} <= set(local["capabilities"]["symbologies"])
    assert set(local["capabilities"]["formats"]) == {"png", "svg"}


def test_backends_table(capsys) -> None:
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    assert "local" in out
    assert "symbologies:" in out


def test_config_shows_sources_and_redacts_secrets(
    isolated_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    (isolated_environment / "qrplex.toml").write_text(
        'backend = "cloudinfinite"\n[backends.cloudinfinite]\nbucket = "b-1250000000"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("QRPLEX_CLOUDINFINITE_SECRET_KEY", "very-secret-value")
    assert main(["config"]) == 1  # everything is shown, then what is missing is said
    out, err = capsys.readouterr()
    assert "setting 'secret_id' is missing" in err
    assert "very-secret-value" not in err
    assert "very-secret-value" not in out
    assert "secret_key = ********    (environment variable QRPLEX_CLOUDINFINITE_SECRET_KEY)" in out
    assert "bucket = b-1250000000" in out
    assert "qrplex.toml" in out
    assert "chain: cloudinfinite -> local" in out


def test_unknown_extension_is_an_error_not_a_mislabelled_file(isolated_environment: Path) -> None:
    out = subprocess.run([QRPLEX, "make", "x", "-o", "x.jpg"], capture_output=True, text=True)
    assert out.returncode == 1
    assert "cannot tell the format from '.jpg'" in out.stderr
    assert not (isolated_environment / "x.jpg").exists()


def test_a_missing_directory_is_named_as_given(isolated_environment: Path) -> None:
    out = subprocess.run(
        [QRPLEX, "make", "x", "-o", "nowhere/x.png"], capture_output=True, text=True
    )
    assert out.returncode == 1
    assert out.stderr.strip() == "qrplex: error: nowhere/x.png: No such file or directory"


def test_zero_width_is_a_usage_error() -> None:
    out = subprocess.run([QRPLEX, "make", "x", "-w", "0"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "'0' is not a positive whole number" in out.stderr


def test_barcodes_are_refused_in_a_terminal_before_any_backend_runs(
    monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("QRPLEX_BACKEND", "cloudinfinite")  # unconfigured: would fail if called
    assert main(["make", "590123412345", "-s", "ean13"]) == 1
    err = capsys.readouterr().err
    assert "EAN-13 barcodes cannot be drawn in a terminal" in err


def test_plugin_commands_appear_in_help() -> None:
    out = subprocess.run([QRPLEX, "--help"], capture_output=True, text=True, check=True)
    assert "emulator" in out.stdout


def test_format_flag_and_file_name_must_agree() -> None:
    out = subprocess.run(
        [QRPLEX, "make", "x", "-o", "x.svg", "-f", "png"], capture_output=True, text=True
    )
    assert out.returncode == 1
    assert "--format png does not match the file name 'x.svg'" in out.stderr


SYMBOLOGY_ONLY_PLUGIN = """
from qrplex import hookimpl, spec


@hookimpl
def qrplex_register_symbologies(register):
    register(spec.Symbology("stripes", "Stripes", 1, 5, 6))
"""


def test_backends_lists_the_registered_symbologies_and_who_registered_them(
    install_plugin: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QRPLEX_DISABLE_PLUGINS", "zint")  # stripes' comes last, after the core's
    install_plugin(
        distribution="qrplex-stripes",
        entry_name="stripes",
        module="qrplex_stripes",
        source=SYMBOLOGY_ONLY_PLUGIN,
    )
    assert main(["backends"]) == 0
    out = capsys.readouterr().out
    listing = out[out.index("symbologies (registered by):") :].splitlines()[1:]
    assert listing[0].split() == ["qr", "QR", "Code", "(2D,", "quiet", "zone", "4)", "qrplex"]
    assert listing[-1].split() == [
        "stripes", "Stripes", "(linear,", "quiet", "zone", "5", "left,", "6", "right)", "stripes"
    ]  # fmt: skip


def test_a_plugins_symbology_is_refused_in_a_terminal_not_drawn_as_a_qr_code(
    install_plugin: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    install_plugin(
        distribution="qrplex-stripes",
        entry_name="stripes",
        module="qrplex_stripes",
        source=SYMBOLOGY_ONLY_PLUGIN,
    )
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    assert main(["make", "101", "-s", "stripes"]) == 1
    assert "'stripes' codes cannot be drawn in a terminal" in capsys.readouterr().err
    assert main(["make", "hello"]) == 0  # the default symbology, QR, is still drawn
    assert set(capsys.readouterr().out) & set("█▀▄")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--rate", "0", "'0' is not a number of requests per second"),
        ("--rate", "nan", "'nan' is not a number of requests per second"),
        ("--rate", "1000001", "'1000001' is not a number of requests per second"),
        ("--progress-every", "-1", "'-1' is not a number of seconds (up to a day)"),
        ("--progress-every", "86401", "'86401' is not a number of seconds (up to a day)"),
    ],
)
def test_batch_rejects_a_number_out_of_bounds(
    option: str, value: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["batch", "in.txt", option, value])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
