"""Capacity edges of the plugin's 2D symbologies: exactly at the documented limit the code is
made, one character more is an ``InvalidContentError`` naming the limit, raised by the
registered rule before any backend runs, and docs/zint.md states the same limits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import qrplex
from qrplex import spec
from qrplex_zint._symbologies import CAPACITY

DOCS = Path(__file__).resolve().parents[3] / "docs" / "zint.md"

# (symbology, options, character, how many fit, the words of CAPACITY that state it)
EDGES = [
    ("datamatrix", {}, "1", 3116, "3116 digits"),
    ("datamatrix", {}, "A", 2335, "2335 capital letters"),
    ("datamatrix", {}, "ж", 777, "1554 bytes"),  # 2 UTF-8 bytes each, behind ECI 26
    ("datamatrix", {"shape": "rectangle"}, "1", 98, "98 digits"),
    ("datamatrix", {"shape": "rectangle"}, "A", 72, "72 capital letters"),
    ("datamatrix", {"shape": "rectangle"}, "ж", 22, "44 bytes"),
    ("pdf417", {}, "1", 2528, "2528 digits"),
    ("pdf417", {}, "A", 1726, "1726 capital letters"),
    ("pdf417", {}, "ж", 516, "1032 bytes"),
    ("aztec", {}, "1", 3835, "3835 digits"),
    ("aztec", {}, "A", 3069, "3069 capital letters"),
    ("aztec", {}, "ж", 956, "1912 bytes"),
]


def test_gs1_databar_expanded_holds_41_alphanumeric_characters() -> None:
    with _client() as client:
        assert client.generate("(91)" + "A" * 39, symbology="gs1-databar-expanded")
        with pytest.raises(qrplex.InvalidContentError, match="41 alphanumeric characters"):
            client.generate("(91)" + "A" * 40, symbology="gs1-databar-expanded")


def _client(backend: str = "zint") -> qrplex.Client:
    return qrplex.Client(backend=backend, fallback=[], environ={}, user_config=False)


@pytest.mark.parametrize(("symbology", "options", "char", "count", "stated"), EDGES)
def test_exactly_the_limit_fits_and_one_more_does_not(
    symbology: str, options: dict[str, str], char: str, count: int, stated: str
) -> None:
    with _client() as client:
        image = client.generate(char * count, symbology=symbology, **options)
        assert image.content == char * count
        with pytest.raises(qrplex.InvalidContentError) as raised:
            client.generate(char * (count + 1), symbology=symbology, **options)
    message = str(raised.value)
    assert spec.symbologies()[symbology].title in message
    assert stated in message


@pytest.mark.parametrize("backend", ["local", "cloudinfinite"])
def test_the_limit_is_checked_before_any_backend_runs(backend: str) -> None:
    """Neither backend serves Data Matrix (cloudinfinite has no credentials either): the
    capacity error is the registered rule's, the same as with zint."""
    content = "A" * 2336
    with _client("zint") as client, pytest.raises(qrplex.InvalidContentError) as expected:
        client.generate(content, symbology="datamatrix")
    with _client(backend) as client, pytest.raises(qrplex.InvalidContentError) as raised:
        client.generate(content, symbology="datamatrix")
    assert str(raised.value) == str(expected.value)


@pytest.mark.parametrize("level", ["L", "M", "Q", "H"])
def test_gs1_qr_names_the_limit_of_the_level_asked_for(level: str) -> None:
    # 227 GTINs: 3632 digits of element string, more than level H holds.
    content = "(01)09506000134352" * 227
    with _client() as client:
        if level != "H":
            assert client.generate(content, symbology="gs1-qr", error=level)
            return
        with pytest.raises(qrplex.InvalidContentError, match=r"3057 digits.*level H"):
            client.generate(content, symbology="gs1-qr", error=level.lower())


def test_the_docs_state_the_same_limits() -> None:
    text = DOCS.read_text("utf-8")
    rows = dict(re.findall(r"^\| `([a-z0-9-]+)` \| (.+?) \|$", text, re.M))
    assert rows["datamatrix"] == CAPACITY["datamatrix"]
    assert rows["pdf417"] == CAPACITY["pdf417"]
    assert rows["aztec"] == CAPACITY["aztec"]
    assert rows["gs1-databar-expanded"] == CAPACITY["gs1-databar-expanded"]
    assert CAPACITY["datamatrix-rectangle"] in text
