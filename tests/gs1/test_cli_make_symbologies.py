"""``qrplex make`` with the plugin symbologies: ``--option`` (Data Matrix's shape), the
message when their plugin is missing, and what happens without ``-o`` on a terminal."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from PIL import Image

from qrplex._decoding import read_one
from qrplex._registry import reset_default_registry
from qrplex.cli import main


def _symbol_box(path: Path) -> tuple[int, int]:
    """The width and height of the dark part of an image, in pixels."""
    image = Image.open(io.BytesIO(path.read_bytes())).convert("L")
    box = image.point(lambda v: 255 if v < 128 else 0).getbbox()
    assert box is not None
    return box[2] - box[0], box[3] - box[1]


@pytest.mark.parametrize(("argv", "wide"), [([], False), (["--option", "shape=rectangle"], True)])
def test_the_data_matrix_shape_from_the_command_line(
    isolated_environment: Path, argv: list[str], wide: bool
) -> None:
    assert main(["make", "LOT 42", "-s", "datamatrix", "-o", "dm.png", *argv]) == 0
    out = isolated_environment / "dm.png"
    assert read_one(out.read_bytes()).text == "LOT 42"
    width, height = _symbol_box(out)
    assert (width >= 2 * height) is wide


def test_an_option_value_of_digits_is_a_number(isolated_environment: Path) -> None:
    argv = ["make", "590123412345", "-s", "ean13", "--option", "height=80", "-o", "e.png"]
    assert main(argv) == 0
    assert Image.open(isolated_environment / "e.png").height == 80


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-s", "datamatrix", "--option", "shape=round"], "use 'square' or 'rectangle'"),
        (["--option", "shape=square"], "unknown option 'shape' for QR Code; allowed"),
        (["-s", "pdf417", "--option", "shape=square"], "unknown option 'shape' for PDF417"),
        (["--option", "shape"], "--option takes NAME=VALUE, like --option shape=rectangle"),
        (["--option", "=square"], "--option takes NAME=VALUE"),
        (["--option", "shape="], "--option takes NAME=VALUE"),
        (["--error", "H", "--option", "error=L"], "option 'error' is given twice (--error)"),
        (["--option", "width=50"], "'width' is not a symbology option; it has its own flag"),
        (["--option", "symbology=qr"], "'symbology' is not a symbology option"),
        (["--option", "content=y"], "'content' is not a symbology option"),
        (["--option", "backend=zint"], "'backend' is not a symbology option"),
        (["-s", "datamatrix", "--option", "shape=square", "--option", "shape=rectangle"],
         "option 'shape' is given twice"),
    ],
)  # fmt: skip
def test_bad_options_are_one_line_errors(
    isolated_environment: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["make", "x", "-o", "x.png", *argv]) == 1
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1
    assert not (isolated_environment / "x.png").exists()


@pytest.mark.parametrize("symbology", ["datamatrix", "gs1-datamatrix", "aztec"])
def test_without_the_zint_plugin_the_error_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], symbology: str
) -> None:
    monkeypatch.setenv("QRPLEX_DISABLE_PLUGINS", "zint")
    reset_default_registry()
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)  # checked before the terminal
    assert main(["make", "(01)09506000134352", "-s", symbology]) == 1
    err = capsys.readouterr().err
    assert f"unknown symbology '{symbology}'" in err
    assert "qrplex-zint plugin: install qrplex[zint]" in err


def test_a_gs1_128_on_a_terminal_says_to_use_o_before_any_backend_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setenv("QRPLEX_BACKEND", "cloudinfinite")  # unconfigured: would fail if called
    assert main(["make", "(01)09506000134352", "-s", "gs1-128"]) == 1
    err = capsys.readouterr().err
    assert "GS1-128 barcodes cannot be drawn in a terminal" in err
    assert "add -o FILE" in err
    assert "-s gs1-128 -o code.png" in err


def test_make_help_lists_the_plugin_symbologies_and_option(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit):
        main(["make", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "gs1-datamatrix, gs1-qr, gs1-databar-expanded" in out
    assert "--option NAME=VALUE" in out
    assert "qrplex backends" in out


def test_without_the_zint_plugin_the_python_api_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import qrplex

    monkeypatch.setenv("QRPLEX_DISABLE_PLUGINS", "zint")
    reset_default_registry()
    with (
        qrplex.Client() as client,
        pytest.raises(qrplex.InvalidOptionError, match=r"install qrplex\[zint\]"),
    ):
        client.generate("hello", symbology="datamatrix")
