"""Backends agree: same input, same reading or error.

``local`` and ``cloudinfinite`` (on the emulator): for QR codes and EAN-13 as PNG, whatever
the kit's strategies generate decodes to the same text from both backends (and that text is
the content), and every invalid request raises the same error type from both.

``zint`` and ``local``, three independent encoders in all (segno / python-barcode against
libzint): the same, on every symbology both serve, in PNG and SVG, at every error level and
with heights. The default profile runs a quarter of its examples here (these tests are many);
``QRPLEX_HYPOTHESIS_PROFILE=thorough`` runs 250 each.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

import qrplex
from qrplex import spec
from qrplex._decoding import Reading, read_one
from qrplex.errors import QrplexError
from qrplex.spec import GS1_SYMBOLOGIES, MICRO_QR_LEVELS, QR_LEVELS
from qrplex.spec import SYMBOLOGIES as CORE_SYMBOLOGIES
from qrplex.testing import decode, strategies
from qrplex.testing._symbol_checks import open_image, quiet_zone_problem, to_grey
from qrplex.testing.strategies import GenerateCall, InvalidCase
from qrplex_local import LocalBackend
from qrplex_zint import ZintBackend

from .conftest import NO_BREAKER, Emulated

SYMBOLOGIES = ("qr", "ean13")
SHARED = tuple(
    name
    for name in (*CORE_SYMBOLOGIES, *GS1_SYMBOLOGIES)
    if name in LocalBackend.capabilities.symbologies & ZintBackend.capabilities.symbologies
)
"""What ``zint`` and ``local`` both serve: the core's symbologies (GS1-128 too), in order."""


@pytest.fixture(scope="module")
def clients(conformance_emulator: Emulated) -> Iterator[dict[str, qrplex.Client]]:
    """Both backends, each alone (no fallback), for the whole module."""
    local = qrplex.Client(
        backend="local", fallback=[], config=NO_BREAKER, environ={}, user_config=False
    )
    cloud = conformance_emulator.client()
    yield {"local": local, "cloudinfinite": cloud}
    local.close()
    cloud.close()


def _outcome(client: qrplex.Client, content: str, kwargs: dict[str, Any]) -> object:
    try:
        image = client.generate(content, **kwargs)
    except QrplexError as error:
        return type(error)
    return image


@pytest.mark.parametrize("symbology", SYMBOLOGIES)
def test_both_backends_read_the_same(clients: dict[str, qrplex.Client], symbology: str) -> None:
    """Every valid input: both images decode to the same string, the normalized content."""

    def check(call: GenerateCall) -> None:
        readings = {}
        for name, client in clients.items():
            image = client.generate(call.content, **call.kwargs())
            assert image.backend == name
            readings[name] = decode(image.data, symbology)
        assert readings["local"] == readings["cloudinfinite"], (
            f"{call!r}: local reads {readings['local']!r}, "
            f"cloudinfinite reads {readings['cloudinfinite']!r}"
        )
        assert readings["local"] == strategies.expected_text(symbology, call.content)

    test = given(call=strategies.valid_calls(symbology, "png", max_width=10_000))(check)
    for content in strategies.tricky_content(symbology):  # always tried first
        test = example(call=GenerateCall(symbology, content))(test)
    test()


@pytest.mark.parametrize("symbology", SYMBOLOGIES)
def test_both_backends_refuse_the_same(clients: dict[str, qrplex.Client], symbology: str) -> None:
    """Every invalid input: both raise the same error type (the one the core documents)."""

    @given(case=strategies.invalid_requests(symbology))
    def check(case: InvalidCase) -> None:
        outcomes = {
            name: _outcome(client, case.content, case.call_kwargs())
            for name, client in clients.items()
        }
        assert outcomes["local"] == outcomes["cloudinfinite"] == case.error, (
            f"{case!r}: local -> {outcomes['local']!r}, "
            f"cloudinfinite -> {outcomes['cloudinfinite']!r}"
        )

    check()


@pytest.fixture(scope="module")
def zint_and_local() -> Iterator[dict[str, qrplex.Client]]:
    """``zint`` and ``local``, each alone (no fallback), for the whole module."""
    clients = {
        name: qrplex.Client(
            backend=name, fallback=[], config=NO_BREAKER, environ={}, user_config=False
        )
        for name in ("zint", "local")
    }
    yield clients
    for client in clients.values():
        client.close()


def _grey(image: qrplex.CodeImage) -> Any:
    return to_grey(open_image(image.data, image.media_type))


def _dark_box(image: qrplex.CodeImage) -> tuple[int, int, int, int] | None:
    """Where the dark pixels are: the symbol, without its quiet zones."""
    box = _grey(image).point(lambda v: 255 if v < 128 else 0).getbbox()
    return None if box is None else tuple(box)


def _ecis(reading: Reading) -> list[int | None]:
    """The ECI designators of a QR Code's byte segments (no ECI: ``None``), in a sorted
    list: both backends follow the charset policy, whatever segment modes they choose."""
    if reading.segments is None or reading.format not in ("QRCode", "MicroQRCode"):
        return []
    return sorted({s.eci for s in reading.segments if s.mode == "byte"}, key=str)


def _fewer() -> settings:
    """A quarter of the active profile's examples (at least 10)."""
    return settings(max_examples=max(10, settings.default.max_examples // 4))


def _levels(symbology: str) -> tuple[str, ...] | None:
    if symbology in ("qr", "microqr"):
        return MICRO_QR_LEVELS if symbology == "microqr" else QR_LEVELS
    return None


def test_zint_and_local_share_the_core_symbologies() -> None:
    assert set(SHARED) == {*CORE_SYMBOLOGIES, *GS1_SYMBOLOGIES}


@pytest.mark.parametrize("symbology", SHARED)
def test_zint_and_local_read_the_same(
    zint_and_local: dict[str, qrplex.Client], symbology: str
) -> None:
    """Every valid input, PNG or SVG: both images decode to the normalized content."""

    def check(call: GenerateCall) -> None:
        readings, sizes, boxes, ecis = {}, {}, {}, {}
        for name, client in zint_and_local.items():
            image = client.generate(call.content, **call.kwargs())
            assert image.backend == name
            sizes[name] = (image.width, image.height)
            reading = read_one(image.data, symbology)
            readings[name] = reading.text
            ecis[name] = _ecis(reading)
            boxes[name] = _dark_box(image)
            problem = quiet_zone_problem(_grey(image), spec.symbologies()[symbology], None)
            assert problem is None, f"{call!r}: {name}: {problem}"
        assert ecis["zint"] == ecis["local"], f"{call!r}: zint / local ECIs {ecis}"
        if symbology in ("code128", "gs1-128"):  # libzint's encodation is optimal, the
            # core's greedy: fewer modules can mean another scale, so another default width
            # and bar height
            (zint_width, zint_height), (local_width, local_height) = sizes["zint"], sizes["local"]
            if call.width is not None:
                assert zint_width == local_width, f"{call!r}: zint / local sizes {sizes}"
            if "height" in call.options:
                assert zint_height == local_height, f"{call!r}: zint / local sizes {sizes}"
        else:
            assert sizes["zint"] == sizes["local"], f"{call!r}: zint / local sizes {sizes}"
            # the same symbol size and layout rules: the symbol in the same place
            assert boxes["zint"] == boxes["local"], f"{call!r}: zint / local symbols {boxes}"
        assert readings["zint"] == readings["local"], (
            f"{call!r}: zint reads {readings['zint']!r}, local reads {readings['local']!r}"
        )
        assert readings["zint"] == strategies.expected_text(symbology, call.content, **call.options)

    calls = st.sampled_from(["png", "svg"]).flatmap(
        lambda format: strategies.valid_calls(
            symbology, format, levels=_levels(symbology), heights=True
        )
    )
    test = _fewer()(given(call=calls)(check))
    for content in strategies.tricky_content(symbology):  # always tried first
        test = example(call=GenerateCall(symbology, content))(test)
    test()


@pytest.mark.parametrize("symbology", SHARED)
def test_zint_and_local_refuse_the_same(
    zint_and_local: dict[str, qrplex.Client], symbology: str
) -> None:
    """Every invalid input: both raise the error type the core documents."""

    @_fewer()
    @given(case=strategies.invalid_requests(symbology))
    def check(case: InvalidCase) -> None:
        outcomes = {
            name: _outcome(client, case.content, case.call_kwargs())
            for name, client in zint_and_local.items()
        }
        assert outcomes["zint"] == outcomes["local"] == case.error, (
            f"{case!r}: zint -> {outcomes['zint']!r}, local -> {outcomes['local']!r}"
        )

    check()
