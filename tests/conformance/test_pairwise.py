"""``local`` and ``cloudinfinite`` (on the emulator) agree: same input, same reading or error.

For QR codes and EAN-13 as PNG, whatever the kit's strategies generate decodes to the same
text from both backends (and that text is the content), and every invalid request raises
the same error type from both.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import example, given

import qrplex
from qrplex.errors import QrplexError
from qrplex.testing import decode, strategies
from qrplex.testing.strategies import GenerateCall, InvalidCase

from .conftest import NO_BREAKER, Emulated

SYMBOLOGIES = ("qr", "ean13")


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
