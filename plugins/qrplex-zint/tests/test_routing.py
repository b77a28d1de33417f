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
