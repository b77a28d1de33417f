"""The conformance kit on ``cloudinfinite``: against the emulator, and live when asked."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest

import qrplex
from qrplex.testing import BackendConformance

from .conftest import LIVE_SECRETS, LIVE_SKIP_REASON, Emulated, live_client


class TestCloudInfiniteEmulated(BackendConformance):
    """QR codes and EAN-13 from the offline emulator, over loopback HTTP."""

    backend_name = "cloudinfinite"

    @pytest.fixture
    def conformance_client(self, conformance_emulator: Emulated) -> Iterator[qrplex.Client]:
        with conformance_emulator.client() as client:
            yield client

    @pytest.fixture
    def conformance_secrets(self, conformance_emulator: Emulated) -> Sequence[str]:
        return conformance_emulator.secrets


@pytest.mark.skipif(LIVE_SKIP_REASON is not None, reason=LIVE_SKIP_REASON or "")
class TestCloudInfiniteLive(BackendConformance):
    """The same kit against the real service: paid calls, about a hundred with the "ci"
    hypothesis profile (valid QR and EAN-13 contents, async samples), many more with
    "thorough"."""

    backend_name = "cloudinfinite"
    secrets = LIVE_SECRETS

    @pytest.fixture
    def conformance_client(self) -> Iterator[qrplex.Client]:
        with live_client() as client:
            yield client
