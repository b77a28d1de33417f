"""The conformance kit on ``cloudinfinite``: against the emulator, and live when asked.

Both give the backend's settings through the kit's hooks (``backend_settings``,
``backend_environ``): the kit builds the client, with everything it relies on. The service
chooses its own QR segmentation (the emulator renders with libzint, which mixes modes), so
``free_segmentation`` is set: the kit still checks the ECI of every byte segment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from qrplex.testing import BackendConformance

from .conftest import CAPTURED_ENV, LIVE_SECRETS, LIVE_SKIP_REASON, Emulated


class TestCloudInfiniteEmulated(BackendConformance):
    """QR codes and EAN-13 from the offline emulator, over loopback HTTP."""

    backend_name = "cloudinfinite"
    free_segmentation = True

    @pytest.fixture
    def backend_settings(self, conformance_emulator: Emulated) -> Mapping[str, Any]:
        return conformance_emulator.settings()


@pytest.mark.skipif(LIVE_SKIP_REASON is not None, reason=LIVE_SKIP_REASON or "")
class TestCloudInfiniteLive(BackendConformance):
    """The same kit against the real service: paid calls, about a hundred with the "ci"
    hypothesis profile (valid QR and EAN-13 contents, async samples), many more with
    "thorough"."""

    backend_name = "cloudinfinite"
    free_segmentation = True
    secrets = LIVE_SECRETS

    @pytest.fixture
    def backend_environ(self) -> Mapping[str, str]:
        return CAPTURED_ENV
