"""GS1-128: checked by the core, drawn by the local backend, read back by zxing-cpp with its
symbology identifier ``]C1`` and a GS for each FNC1 separator."""

from __future__ import annotations

from types import ModuleType

import pytest
from hypothesis import given
from hypothesis import strategies as st

import qrplex
from qrplex import InvalidContentError, gs1, spec
from qrplex._decoding import Reading, read_one

CARTON = "(01)09506000134352(17)201225(10)ABC123"


def _read(image: qrplex.CodeImage) -> Reading:
    reading = read_one(image.data)  # any format: it must be found as Code 128 with ]C1
    assert reading.format == "Code128"
    return reading


@pytest.mark.parametrize("format", ["png", "svg"])
def test_a_carton_label_reads_back_as_gs1_with_its_separators(format: str) -> None:
    image = qrplex.generate(
        "(01)09506000134352(10)ABC123(17)201225(21)42", symbology="gs1-128", format=format
    )
    assert image.content == "(01)09506000134352(10)ABC123(17)201225(21)42"
    reading = _read(image)
    assert reading.symbology_identifier == "]C1"
    # A GS after the lot (variable, not last); none after the fixed (01)/(17), none at the end.
    assert reading.data == b"0109506000134352" + b"10ABC123\x1d" + b"17201225" + b"2142"
    assert reading.text == image.content


def test_every_input_form_makes_the_same_symbol() -> None:
    images = [
        qrplex.generate(text, symbology="gs1-128").data
        for text in (
            CARTON,
            "[01]09506000134352[17]201225[10]ABC123",
            "]C1010950600013435217201225" + "10ABC123",
        )
    ]
    assert images[0] == images[1] == images[2]


def test_the_width_is_the_code_128_encodation_with_fnc1() -> None:
    data = gs1.parse(CARTON).fnc1_data()
    modules = spec.code128_modules(data, fnc1=True)
    assert modules == 11 * len(spec.code128_values(data, fnc1=True)) + 13
    image = qrplex.generate(CARTON, symbology="gs1-128")
    assert image.width == 3 * (modules + 20)  # 3 px a module, 10-module quiet zones
    minimum = modules + 20
    assert qrplex.generate(CARTON, symbology="gs1-128", width=minimum).width == minimum
    with pytest.raises(qrplex.InvalidOptionError, match=f"the minimum is {minimum} px"):
        qrplex.generate(CARTON, symbology="gs1-128", width=minimum - 1)


def test_fnc1_in_the_code_128_values() -> None:
    # START C, FNC1, 01 09 50 60 00 13 43 52, then 10 and CODE B for the lot.
    values = spec.code128_values("010950600013435210A", fnc1=True)
    assert values[:3] == [105, 102, 1]
    assert values[-3:-1] == [100, ord("A") - 32]
    # A GS is FNC1 (102), not the GS character; an odd digit pending in C goes out in B first.
    values = spec.code128_values("101\x1d1725", fnc1=True)
    assert values[:-1] == [105, 102, 10, 100, ord("1") - 32, 102, 99, 17, 25]
    assert 102 not in spec.code128_values("101\x1d1725")[1:-1]  # plain Code 128: GS is data
    check = (values[0] + sum(i * v for i, v in enumerate(values[1:-1], start=1))) % 103
    assert values[-1] == check


def test_gs1_128_carries_at_most_48_characters() -> None:
    fits = "(01)09506000134352(91)" + "X" * 30  # 16 + 2 + 30 = 48
    assert qrplex.generate(fits, symbology="gs1-128").content == fits
    with pytest.raises(InvalidContentError, match=r"at most 48 characters.*needs 49") as caught:
        qrplex.generate(fits + "X", symbology="gs1-128")
    assert "gs1-datamatrix" in str(caught.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("(01)09506000134353(17)201225", r"\(01\) GTIN: wrong check digit 3"),
        ("(01)09506000134352(17)260230", r"\(17\) USE BY or EXPIRY: 260230 is not a date"),
        ("(01)09506000134352(99)A(23)1", r"\(23\) is not a known"),
        ("hello", r"does not start with a known AI"),
    ],
)
def test_bad_data_is_refused_before_any_backend(content: str, message: str) -> None:
    with pytest.raises(InvalidContentError, match=message):
        qrplex.generate(content, symbology="gs1-128", backend="no-such-backend")


def test_verify_reads_the_symbol_back() -> None:
    image = qrplex.generate(CARTON, symbology="gs1-128", verify=True)
    assert image.content == CARTON


def test_the_height_option_applies() -> None:
    assert qrplex.generate(CARTON, symbology="gs1-128", height=80).height == 80


@given(data=st.data())
def test_valid_element_strings_parse_back_from_every_form(
    gen: ModuleType, data: st.DataObject
) -> None:
    pairs = data.draw(gen.element_strings())
    message = gs1.parse("".join(f"[{ai}]{value}" for ai, value in pairs))
    assert [(e.ai, e.value) for e in message.elements] == pairs
    assert message.fnc1_data() == gen.fnc1_data(pairs)
    for text in (message.normalized(), message.bracketed(), "]C1" + message.fnc1_data()):
        assert gs1.parse(text) == message


@given(data=st.data(), format=st.sampled_from(["png", "svg"]))
def test_local_draws_what_zxing_reads_back_as_the_same_ais(
    gen: ModuleType, data: st.DataObject, format: str
) -> None:
    pairs = data.draw(gen.element_strings(max_extra=3, budget=spec.GS1_128_MAX_CHARACTERS))
    content = "".join(f"[{ai}]{value}" for ai, value in pairs)
    image = qrplex.generate(content, symbology="gs1-128", format=format, backend="local")
    reading = _read(image)
    assert reading.symbology_identifier == "]C1"
    assert reading.data == gen.fnc1_data(pairs).encode("ascii")
    assert [(e.ai, e.value) for e in gs1.parse(reading.data.decode()).elements] == pairs
    assert reading.text == image.content
