"""The conformance suite's fixtures: the emulator (one per session), clients, live settings.

Live mode (``QRPLEX_LIVE_TESTS=1`` and real credentials) runs the kit against the real Cloud
Infinite service. The variables are captured here, at import: the autouse
``isolated_environment`` fixture of the root ``conftest.py`` deletes ``QRPLEX_*`` and
``TENCENTCLOUD_*`` from the environment before every test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

import pytest

import qrplex
from qrplex_cloudinfinite.emulator import EmulatorConfig, EmulatorServer, create_app

CAPTURED_ENV: Final[dict[str, str]] = {
    name: value
    for name, value in os.environ.items()
    if name.startswith(("QRPLEX_", "TENCENTCLOUD_")) and name != "QRPLEX_HYPOTHESIS_PROFILE"
}
"""The QRPLEX_* / TENCENTCLOUD_* variables as they were when the session started."""

_LIVE_KEYS: Final = {
    "bucket": ("QRPLEX_CLOUDINFINITE_BUCKET",),
    "region or endpoint": (
        "QRPLEX_CLOUDINFINITE_REGION",
        "TENCENTCLOUD_REGION",
        "QRPLEX_CLOUDINFINITE_ENDPOINT",
    ),
    "secret_id": ("QRPLEX_CLOUDINFINITE_SECRET_ID", "TENCENTCLOUD_SECRET_ID"),
    "secret_key": ("QRPLEX_CLOUDINFINITE_SECRET_KEY", "TENCENTCLOUD_SECRET_KEY"),
}
_SECRET_VARIABLES: Final = (
    "QRPLEX_CLOUDINFINITE_SECRET_ID",
    "QRPLEX_CLOUDINFINITE_SECRET_KEY",
    "QRPLEX_CLOUDINFINITE_TOKEN",
    "TENCENTCLOUD_SECRET_ID",
    "TENCENTCLOUD_SECRET_KEY",
    "TENCENTCLOUD_SESSION_TOKEN",
)


def _live_problem() -> str | None:
    if CAPTURED_ENV.get("QRPLEX_LIVE_TESTS", "").strip().lower() not in {"1", "true", "yes"}:
        return (
            "live tests against the real Cloud Infinite service run only with QRPLEX_LIVE_TESTS=1"
        )
    missing = [
        f"{what} ({' or '.join(names)})"
        for what, names in _LIVE_KEYS.items()
        if not any(CAPTURED_ENV.get(name, "").strip() for name in names)
    ]
    if missing:
        wanted = "; ".join(missing)
        return f"QRPLEX_LIVE_TESTS=1, but the live credentials are incomplete: set {wanted}"
    return None


LIVE_SKIP_REASON: Final[str | None] = _live_problem()
"""Why the live tests do not run (``None``: they do)."""

LIVE_SECRETS: Final[tuple[str, ...]] = tuple(
    CAPTURED_ENV[name] for name in _SECRET_VARIABLES if CAPTURED_ENV.get(name)
)

NO_BREAKER: Final[dict[str, Any]] = {"breaker_threshold": 1_000_000_000}


@dataclass(frozen=True)
class Emulated:
    """The session's emulator account and server."""

    secret_id: str = "AKIDconformanceKEY00000000000000001"
    secret_key: str = field(default="conformanceSecretKey000000000000001", repr=False)
    bucket: str = "conformance-1250000000"
    region: str = "ap-guangzhou"
    base_url: str = ""

    @property
    def secrets(self) -> tuple[str, str]:
        """What no error may show."""
        return (self.secret_id, self.secret_key)

    def settings(self) -> dict[str, Any]:
        """``[backends.cloudinfinite]`` settings pointing at the emulator."""
        return {
            "bucket": self.bucket,
            "region": self.region,
            "secret_id": self.secret_id,
            "secret_key": self.secret_key,
            "endpoint": self.base_url,
        }

    def client(self, **config: Any) -> qrplex.Client:
        """A client whose only backend is ``cloudinfinite`` on the emulator."""
        return qrplex.Client(
            backend="cloudinfinite",
            fallback=[],
            config={**NO_BREAKER, **config, "backends": {"cloudinfinite": self.settings()}},
            environ={},
            user_config=False,
        )


@pytest.fixture(scope="session")
def conformance_emulator() -> Iterator[Emulated]:
    """One emulator server for the whole conformance suite (starting one costs ~0.1 s)."""
    account = Emulated()
    app = create_app(
        EmulatorConfig(
            credentials={account.secret_id: account.secret_key},
            buckets=(account.bucket,),
            region=account.region,
        )
    )
    with EmulatorServer(app) as server:
        yield Emulated(base_url=server.base_url)
