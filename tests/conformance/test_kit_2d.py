"""The kit on 2D and GS1 symbologies (those the ``qrplex-zint`` plugin registers): it reads
Data Matrix, Aztec and PDF417 text through its ECIs, reads GS1 symbols as GS1 data (symbology
identifier, FNC1 data with group separators) and fails a backend that gets them wrong."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest
from hypothesis import find, given, settings
from hypothesis.errors import NoSuchExample

import qrplex
from qrplex import gs1, spec
from qrplex.testing import GenerateCall, decode, strategies
from qrplex.testing._conformance import ConformanceRun
from qrplex_zint import ZintBackend

ELEMENTS = "(01)09506000134352(10)ABC123(21)XYZ"


def _run(client: qrplex.Client, name: str) -> ConformanceRun:
    return ConformanceRun(name, client, secrets=(), settings=None, database_key=b"kit-2d")


def _mutant(change: Callable[[qrplex.CodeRequest], qrplex.CodeRequest]) -> type[ZintBackend]:
    class Mutant(ZintBackend):
        name = "mutant"

        def render(self, request: qrplex.CodeRequest) -> qrplex.Rendering:
            return super().render(change(request))

    return Mutant


@pytest.mark.parametrize("symbology", ["gs1-datamatrix", "gs1-qr", "gs1-databar-expanded"])
def test_a_right_gs1_symbol_passes(
    qrplex_client_factory: Callable[..., qrplex.Client], symbology: str
) -> None:
    _run(qrplex_client_factory("zint"), "zint").check_valid(GenerateCall(symbology, ELEMENTS))


def test_gs1_data_without_fnc1_fails(qrplex_client_factory: Callable[..., qrplex.Client]) -> None:
    # The transmitted text, GS included, drawn as a plain Data Matrix: ]d1, not ]d2.
    plain = _mutant(
        lambda r: replace(r, symbology="datamatrix", content=gs1.parse(r.content).fnc1_data())
    )
    run = _run(qrplex_client_factory("mutant", backends=[plain]), "mutant")
    with pytest.raises(AssertionError, match=r"not as GS1 data \(\]d2\).*FNC1"):
        run.check_valid(GenerateCall("gs1-datamatrix", ELEMENTS))


def test_gs1_data_in_another_order_fails(
    qrplex_client_factory: Callable[..., qrplex.Client],
) -> None:
    # Valid GS1, other data: (21) before (10) moves the group separator.
    swapped = _mutant(lambda r: replace(r, content="(01)09506000134352(21)XYZ(10)ABC123"))
    run = _run(qrplex_client_factory("mutant", backends=[swapped]), "mutant")
    with pytest.raises(AssertionError, match="a scanner transmits"):
        run.check_valid(GenerateCall("gs1-qr", ELEMENTS))


@pytest.mark.parametrize("symbology", ["datamatrix", "aztec", "pdf417"])
@pytest.mark.parametrize("content", ["Grüße \\ 世界", "\\000026 not an ECI", "\x00\x1d\x7f"])
def test_2d_text_is_read_through_its_ecis(
    qrplex_client_factory: Callable[..., qrplex.Client], symbology: str, content: str
) -> None:
    image = qrplex_client_factory("zint").generate(content, symbology=symbology)
    assert decode(image.data) == content


def test_unknown_symbologies_are_never_registered_ones() -> None:
    registered = spec.symbologies()
    assert "datamatrix" in registered  # once an unknown name in the kit's list
    with pytest.raises(NoSuchExample):
        find(
            strategies.invalid_options("qr", registered=registered),
            lambda case: case.reason == "an unknown symbology" and case.symbology in registered,
            settings=settings(max_examples=300, database=None),
        )


@given(content=strategies.gs1_element_strings())
def test_gs1_element_strings_are_valid_gs1(content: str) -> None:
    parsed = gs1.parse(content)  # raises InvalidContentError on anything the checks refuse
    assert gs1.parse(parsed.bracketed()) == parsed
    assert gs1.parse("]d2" + parsed.fnc1_data()) == parsed


class _NoLatin1Eci(ZintBackend):
    """Writes ISO-8859-1 text in a Data Matrix, Aztec Code or PDF417 without ECI 3 (most
    readers still guess it right: only the ECI check sees it)."""

    name = "mutant"

    def render(self, request: qrplex.CodeRequest) -> qrplex.Rendering:
        from qrplex_zint import _text

        original = _text.text_payload

        def plain(content: str, title: str) -> _text.Payload:
            payload = original(content, title)
            return replace(payload, eci=None) if payload.eci == 3 else payload

        import qrplex_zint._matrix as matrix

        matrix.text_payload = plain
        matrix._cached.cache_clear()
        try:
            return super().render(request)
        finally:
            matrix.text_payload = original
            matrix._cached.cache_clear()


@pytest.mark.parametrize("symbology", ["datamatrix", "aztec", "pdf417"])
def test_2d_text_without_the_policys_eci_fails(
    qrplex_client_factory: Callable[..., qrplex.Client], symbology: str
) -> None:
    run = _run(qrplex_client_factory("mutant", backends=[_NoLatin1Eci]), "mutant")
    run.check_valid(GenerateCall(symbology, "plain ASCII"))  # no ECI either way: passes
    with pytest.raises(AssertionError, match=r"written with no ECI; .* wants ECI 3"):
        run.check_valid(GenerateCall(symbology, "Grüße"))
    _run(qrplex_client_factory("zint"), "zint").check_valid(GenerateCall(symbology, "Grüße"))
