"""What the emulator knows: credentials, buckets, region, and its own clock."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["Credential", "EmulatorConfig", "TemporaryCredential"]

_BUCKET = re.compile(r"\A[a-z0-9](?:[a-z0-9-]*[a-z0-9])?-[0-9]+\Z")


@dataclass(frozen=True)
class TemporaryCredential:
    """A temporary key pair (as STS hands out), valid with its token until ``expires_at``.

    Attributes:
        secret_id: the ``q-ak`` it signs with.
        secret_key: the key it signs with (never shown in ``repr``).
        expires_at: Unix time (server clock) from which the token is refused; ``math.inf``
            for never.
    """

    secret_id: str
    secret_key: str = field(repr=False)
    expires_at: float = math.inf


@dataclass(frozen=True)
class Credential:
    """The key pair a request was signed with, as the emulator resolved it."""

    secret_id: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)
    expires_at: float = math.inf

    @property
    def temporary(self) -> bool:
        """Whether this is a temporary credential (a token is required)."""
        return self.token is not None


@dataclass
class EmulatorConfig:
    """The emulated account.

    Attributes:
        credentials: permanent keys, ``secret_id -> secret_key``.
        temporary: temporary keys, ``token -> TemporaryCredential``.
        buckets: ``"<name>-<appid>"`` buckets bound to Cloud Infinite; the first one answers
            requests whose ``Host`` is not a COS bucket domain (an IP, a custom domain).
        region: the region the buckets live in.
        max_window: if set, the longest ``q-sign-time`` window (seconds) accepted.
        clock: the server's clock (Unix seconds); tests shift it to simulate skew.

    Secret keys and tokens never appear in ``repr``.
    """

    credentials: dict[str, str] = field(default_factory=dict, repr=False)
    temporary: dict[str, TemporaryCredential] = field(default_factory=dict, repr=False)
    buckets: tuple[str, ...] = ("examplebucket-1250000000",)
    region: str = "ap-guangzhou"
    max_window: int | None = None
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.buckets = tuple(self.buckets)
        if not self.buckets:
            raise ValueError("EmulatorConfig needs at least one bucket")
        for bucket in self.buckets:
            if not _BUCKET.match(bucket):
                raise ValueError(f"bucket {bucket!r} is not of the form <name>-<appid>")
        if not self.region:
            raise ValueError("EmulatorConfig needs a region")
        if self.max_window is not None and self.max_window < 0:
            raise ValueError("max_window must be positive")

    @property
    def default_bucket(self) -> str:
        """The bucket that answers requests to a non-COS host."""
        return self.buckets[0]

    def known_secret_id(self, secret_id: str) -> bool:
        """Whether ``secret_id`` is a permanent or temporary key of this account."""
        return secret_id in self.credentials or any(
            cred.secret_id == secret_id for cred in self.temporary.values()
        )

    def permanent(self, secret_id: str) -> Credential | None:
        """The permanent credential with this id, if any."""
        secret_key = self.credentials.get(secret_id)
        if secret_key is None:
            return None
        return Credential(secret_id, secret_key)

    def temporary_for(self, secret_id: str, token: str) -> Credential | None:
        """The temporary credential for this token, if the token exists and is ``secret_id``'s."""
        cred = self.temporary.get(token)
        if cred is None or cred.secret_id != secret_id:
            return None
        return Credential(cred.secret_id, cred.secret_key, token, cred.expires_at)
