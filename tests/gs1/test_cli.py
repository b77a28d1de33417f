"""The command line's GS1 parts: ``make -s gs1-128``, ``make --gs1-digital-link`` and
``gs1 check``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qrplex._decoding import read_one
from qrplex.cli import main

CARTON = "(01)09506000134352(17)201225(10)ABC123"


def test_make_a_gs1_128_carton_label(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "carton.png"
    assert main(["make", CARTON, "-s", "gs1-128", "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().err
    reading = read_one(out.read_bytes())
    assert (reading.symbology_identifier, reading.text) == ("]C1", CARTON)
    assert reading.data == b"010950600013435217201225" + b"10ABC123"


def test_make_refuses_a_wrong_check_digit_naming_the_ai(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "bad.png"
    assert main(["make", "(01)09506000134353", "-s", "gs1-128", "-o", str(out)]) == 1
    assert "GS1 AI (01) GTIN: wrong check digit 3" in capsys.readouterr().err
    assert not out.exists()


@pytest.mark.parametrize("format", ["png", "svg"])
def test_make_a_digital_link_qr_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], format: str
) -> None:
    out = tmp_path / f"dl.{format}"
    argv = ["make", "--gs1-digital-link", "(01)09506000134352(10)ABC123", "-o", str(out)]
    assert main([*argv, "--resolver", "https://example.com/r"]) == 0
    uri = "https://example.com/r/01/09506000134352/10/ABC123"
    assert f"GS1 Digital Link: {uri}" in capsys.readouterr().err
    reading = read_one(out.read_bytes())
    assert (reading.format, reading.text) == ("QRCode", uri)


def test_the_default_resolver_is_gs1s(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "dl.png"
    assert main(["make", "--gs1-digital-link", "(01)09506000134352", "-o", str(out)]) == 0
    assert read_one(out.read_bytes()).text == "https://id.gs1.org/01/09506000134352"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--gs1-digital-link", "(01)09506000134353"], "GS1 AI (01) GTIN: wrong check digit"),
        (["--gs1-digital-link", "(91)X"], "needs exactly one primary key AI"),
        (
            ["--gs1-digital-link", "(01)09506000134352", "--resolver", "ftp://x"],
            "must start with https://",
        ),
        (["--gs1-digital-link", "(01)09506000134352", "-s", "gs1-128"], "not in gs1-128"),
        (["hello", "--resolver", "https://example.com"], "only with --gs1-digital-link"),
    ],
)
def test_digital_link_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    assert main(["make", *argv, "-o", str(tmp_path / "x.png")]) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.png").exists()


def test_gs1_check_lists_the_ais_and_the_forms(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gs1", "check", "(01)09506000134352(10)ABC123(17)201225"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["(01)", "GTIN", "09506000134352"]
    assert out[1].split() == ["(10)", "BATCH/LOT", "ABC123"]
    assert "bracketed:      [01]09506000134352[10]ABC123[17]201225" in out
    assert "scanned:        010950600013435210ABC123<GS>17201225" in out


def test_gs1_check_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gs1", "check", "]C1" + "010950600013435210AB\x1d17201225", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert [(e["ai"], e["value"], e["variable"]) for e in result["elements"]] == [
        ("01", "09506000134352", False),
        ("10", "AB", True),
        ("17", "201225", False),
    ]
    assert result["scanned"] == "010950600013435210AB\x1d17201225"


def test_gs1_check_fails_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["gs1", "check", "(01)09506000134352(17)260230"]) == 1
    err = capsys.readouterr().err
    assert err == (
        "qrplex: error: GS1 AI (17) USE BY or EXPIRY: 260230 is not a date: February 2026 has "
        "28 days (YYMMDD)\n"
    )
