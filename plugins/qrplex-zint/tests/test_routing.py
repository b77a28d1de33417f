"""Capability routing: what the default ``local`` backend cannot make goes to ``zint``."""

from __future__ import annotations

from pathlib import Path

import pytest

import qrplex
from qrplex.testing import decode


def _client(tmp_path: Path, **kwargs: object) -> qrplex.Client:
    return qrplex.Client(environ={}, cwd=tmp_path, user_config=False, **kwargs)  # type: ignore[arg-type]


def test_datamatrix_goes_to_zint_with_the_default_chain(tmp_path: Path) -> None:
    with _client(tmp_path) as client:
        assert client.chain == ("local",)
        image = client.generate("hello", symbology="datamatrix")
        assert image.backend == "zint"
        assert image.attempts == ()
        assert decode(image.data) == "hello"
        assert client.generate("hello").backend == "local"  # what local serves stays there


def test_a_configured_chain_is_kept(tmp_path: Path) -> None:
    with (
        _client(tmp_path, fallback=[]) as client,
        pytest.raises(qrplex.UnsupportedError, match="local does not support symbology"),
    ):
        client.generate("hello", symbology="datamatrix")


def test_a_backend_argument_is_kept(tmp_path: Path) -> None:
    with _client(tmp_path) as client, pytest.raises(qrplex.UnsupportedError):
        client.generate("hello", symbology="pdf417", backend="local")


def test_zint_as_the_configured_default(tmp_path: Path) -> None:
    (tmp_path / "qrplex.toml").write_text('backend = "zint"\n', encoding="utf-8")
    with _client(tmp_path) as client:
        assert client.chain == ("zint", "local")
        assert client.generate("hello").backend == "zint"


def test_the_issues_pharma_pack_from_the_command_line(tmp_path: Path) -> None:
    """``qrplex make ... -s gs1-datamatrix -o pack.png`` with no configuration: made by zint,
    read by zxing-cpp as GS1 DataMatrix data that parses back into the same AIs."""
    import subprocess
    import sys

    from qrplex import gs1
    from qrplex.testing import read

    content = "(01)09506000134352(17)201225(10)ABC123"
    command = [Path(sys.executable).with_name("qrplex"), "make", content, "-s", "gs1-datamatrix"]
    done = subprocess.run(
        [*command, "-o", "pack.png"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "backend zint" in done.stderr + done.stdout
    (reading,) = read((tmp_path / "pack.png").read_bytes())
    assert reading.symbology_identifier == "]d2"
    transmitted = reading.data.decode("latin-1")
    assert transmitted == "01095060001343521720122510ABC123"  # (10) last: no separator
    parsed = gs1.parse(reading.symbology_identifier + transmitted)
    assert [(e.ai, e.value) for e in parsed.elements] == [
        ("01", "09506000134352"), ("17", "201225"), ("10", "ABC123")
    ]  # fmt: skip
