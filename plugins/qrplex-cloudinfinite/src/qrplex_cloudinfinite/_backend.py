"""The ``cloudinfinite`` backend: QR codes and EAN-13 barcodes from Tencent Cloud Infinite.

One signed ``GET /?ci-process=qrcode-generate&qrcode-content=...&mode=...&width=...`` per
request, to ``https://<bucket>.cos.<region>.myqcloud.com`` or the configured ``endpoint``
(the offline emulator, a custom domain). The answer's base64 image is checked and returned as
it is, with its true media type.

Decisions worth knowing:

* **No retries** here, with one exception: after a clock-skew refusal (403
  ``RequestTimeTooSkewed``, or ``AccessDenied`` / ``Request has expired``) that passes every
  other check (request id, well-formed ``<Error>``) the backend learns the service's time
  from ``<ServerTime>`` or the ``Date`` header, re-signs and tries **once** more, and keeps
  the offset for later requests unless that retry is refused too. An offset over a day
  (:data:`~._clock.MAX_OFFSET`) is never adopted: the refusal becomes a
  :class:`~qrplex.errors.BackendAuthError` saying the local clock seems off and must be
  fixed. Everything else is left to the routing layer.
* **Width**: ``request.width`` or :data:`DEFAULT_WIDTH` (300 px) for both symbologies, sent
  as ``width``; the image must come back exactly that wide.
* **EAN-13**: the core hands over 13 digits (check digit included); the service takes the 12
  data digits and computes the check digit itself, so the last digit is dropped.
* **Options**: the service has no error-correction or size options, so the backend declares
  none; the service picks its own QR error-correction level.
* **Error mapping**: credentials / signature refused (401, 403, ``ExpiredToken`` and other
  token codes) → :class:`~qrplex.errors.BackendAuthError`; other 3xx/4xx, including 404
  ``NoSuchBucket`` (a wrong ``bucket`` / ``region`` setting, with a message that says so) →
  :class:`~qrplex.errors.BackendRejectedError`; network failures, timeouts, 5xx, 429,
  ``SlowDown`` and *any* answer without ``x-cos-request-id`` →
  :class:`~qrplex.errors.BackendUnavailableError`; an unusable 200 →
  :class:`~qrplex.errors.BadResponseError`.
* **Secrets** (``secret_id``, ``secret_key``, ``token``) never appear in a message, ``repr``
  or log line; ``backend.config`` holds ``"***"`` in their place.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Final

from qrplex import Backend, Capabilities, CodeRequest, Rendering, Setting
from qrplex.errors import BackendAuthError, InvalidContentError, UnsupportedError

from ._config import BACKEND, SETTINGS, CloudInfiniteConfig, parse_config
from ._signing import RequestSigner, cos_quote

if TYPE_CHECKING:
    import httpx

    from ._responses import RawResponse


__all__ = ["DEFAULT_WIDTH", "MAX_WIDTH", "CloudInfiniteBackend"]

DEFAULT_WIDTH: Final = 300
"""Pixels wide when the request leaves ``width`` unset (QR and EAN-13 alike)."""

MAX_WIDTH: Final = 10000
"""Cloud Infinite's general image size limit."""

SIGN_LEEWAY: Final = 60
"""Seconds the signature window starts before now, for small clock differences."""

logger = logging.getLogger("qrplex_cloudinfinite")

_MODES: Final = {"qr": "0", "ean13": "1"}
_PROCESS: Final = ("ci-process", "qrcode-generate")


@dataclass(frozen=True, slots=True)
class _Call:
    """One prepared request: the query parameters to sign (percent-encoded, as sent), the
    request target (``/?query``, ASCII) and the expected width."""

    encoded: list[tuple[str, str]]
    target: bytes
    width: int


def _describe_offset(behind: float) -> str:
    """``"300.0 days (25920000 s) behind the service's"`` for a local clock ``behind``
    seconds behind the service's (negative: ahead of it)."""
    direction = "behind" if behind > 0 else "ahead of"
    return f"{abs(behind) / 86400:.1f} days ({abs(behind):.0f} s) {direction} the service's"


class CloudInfiniteBackend(Backend):
    """QR codes and EAN-13 barcodes from Tencent Cloud Infinite's ``qrcode-generate`` API.

    Args:
        config: the resolved settings (see :data:`settings`); missing ``bucket``,
            ``secret_id``, ``secret_key``, or ``region`` without ``endpoint``, raise
            :class:`~qrplex.errors.ConfigError` naming the key and where to set it.
        transport: an httpx transport for the sync client (tests, e.g. an in-process app);
            default a pooled connection with ``retries=0``.
        async_transport: the same for :meth:`arender` (e.g.
            ``httpx.ASGITransport(app=emulator_app)``).
        clock: the local clock (Unix seconds) the signature windows start from.
    """

    name: ClassVar[str] = BACKEND
    capabilities: ClassVar[Capabilities] = Capabilities(
        symbologies=frozenset(_MODES),
        formats=frozenset({"png"}),
        options=frozenset(),
        max_width=MAX_WIDTH,
        network=True,
    )
    settings: ClassVar[tuple[Setting, ...]] = SETTINGS

    def __init__(
        self,
        config: Mapping[str, Any],
        *,
        transport: httpx.BaseTransport | None = None,
        async_transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings: CloudInfiniteConfig = parse_config(config)
        secret_names = {setting.name for setting in SETTINGS if setting.secret}
        super().__init__(
            {
                key: ("***" if key in secret_names and value not in (None, "") else value)
                for key, value in config.items()
            }
        )
        # httpx (~100 ms to import), XML parsing and the rest load when an instance is made,
        # not when the plugin registers the class: listing backends or using local stays fast.
        import httpx

        from ._clock import SkewedClock
        from ._responses import Redactor
        from ._transport import HttpTransport

        self._redact = Redactor(self._settings.secrets())
        self._clock = SkewedClock(clock)
        self._base = httpx.URL(self._settings.base_url)
        self._host = self._base.netloc.decode("ascii")
        token = self._settings.token
        self._signer = RequestSigner(
            secret_id=self._settings.secret_id.reveal,
            secret_key=self._settings.secret_key.reveal,
            host=self._host,
            token=None if token is None else token.reveal,
        )
        self._http = HttpTransport(
            base=self._base,
            host=self._host,
            connect_timeout=self._settings.connect_timeout,
            read_timeout=self._settings.read_timeout,
            redact=self._redact,
            transport=transport,
            async_transport=async_transport,
            now=self._clock.local,
        )

    @property
    def clock_offset(self) -> float:
        """Seconds the service's clock is ahead of ours, as learned from skew refusals."""
        return self._clock.offset

    # -- the request -----------------------------------------------------------------------

    def _prepare(self, request: CodeRequest) -> _Call:
        mode = _MODES.get(request.symbology)
        if mode is None:
            raise UnsupportedError(
                f"{BACKEND} renders {', '.join(sorted(_MODES))}, not {request.symbology!r}"
            )
        if request.format != "png":
            raise UnsupportedError(f"{BACKEND} writes png, not {request.format!r}")
        content = request.content
        if request.symbology == "ean13":
            if not (content.isascii() and content.isdigit() and len(content) in (12, 13)):
                raise InvalidContentError(f"EAN-13 needs 12 or 13 digits, not {content!r}")
            content = content[:12]  # the service computes the check digit itself
        width = request.width if request.width is not None else DEFAULT_WIDTH
        try:
            encoded = [
                _PROCESS,
                ("qrcode-content", cos_quote(content)),
                ("mode", mode),
                ("width", str(width)),
            ]
        except UnicodeEncodeError:
            raise InvalidContentError("content is not valid Unicode text") from None
        query = "&".join(f"{key}={value}" for key, value in encoded)
        return _Call(encoded=encoded, target=f"/?{query}".encode("ascii"), width=width)

    def _headers(self, call: _Call) -> dict[str, str]:
        now = int(self._clock.now())
        signature = self._signer.sign(
            call.encoded, start=now - SIGN_LEEWAY, end=now + self._settings.sign_expire
        )
        headers = {"host": self._host}
        if self._settings.token is not None:
            headers["x-cos-security-token"] = self._settings.token.reveal()
        headers["authorization"] = signature
        headers["accept"] = "application/xml"
        headers["accept-encoding"] = "identity"
        return headers

    def _learn_skew(self, response: RawResponse) -> tuple[float, float] | None:
        """For a clock-skew refusal that teaches the clock something new: ``(learned,
        previous)`` offsets, after adopting the learned one; else ``None``.

        Raises :class:`BackendAuthError` when the service's time is more than a day off:
        that is a clock to fix (or a forged answer), not one to follow.
        """
        if response.status != 403:  # the common case: nothing to learn, nothing to import
            return None
        from ._clock import Correction, parse_server_time
        from ._responses import error_for, skew_server_time

        found = skew_server_time(response)
        if found is None:
            return None
        server_time = parse_server_time(*found)
        if server_time is None:
            return None
        previous = self._clock.offset
        verdict = self._clock.correct(server_time, response.received_at)
        if verdict is Correction.TOO_FAR:
            refused = error_for(response, self._redact, bucket=self._settings.bucket)
            assert refused is not None  # a 403 with a request id is always an error
            raise BackendAuthError(
                f"{refused.message} The service's time says the local clock is "
                f"{_describe_offset(server_time - response.received_at)}; qrplex corrects "
                "at most a day by itself: fix this machine's clock (e.g. enable NTP).",
                backend=BACKEND,
                status=refused.status,
                code=refused.code,
                request_id=refused.request_id,
            )
        if verdict is not Correction.CORRECTED:
            return None
        logger.warning(
            "cloudinfinite: the local clock is %+.0f s off the service's; "
            "signing with the corrected time and trying once more",
            -self._clock.offset,
        )
        return server_time - response.received_at, previous

    def _result(
        self, call: _Call, response: RawResponse, learned: tuple[float, float] | None = None
    ) -> Rendering:
        from ._responses import error_for, rendering_from

        error = error_for(response, self._redact, bucket=self._settings.bucket)
        if error is not None:
            if learned is not None and isinstance(error, BackendAuthError):
                self._clock.revert(*learned)  # signed with it and still refused: unlearn
            raise error
        return rendering_from(response, width=call.width, redact=self._redact)

    # -- Backend API -----------------------------------------------------------------------

    def render(self, request: CodeRequest) -> Rendering:
        """Render ``request`` with one signed call (two after a clock-skew refusal)."""
        call = self._prepare(request)
        response = self._http.get(call.target, self._headers(call))
        learned = self._learn_skew(response)
        if learned is not None:
            response = self._http.get(call.target, self._headers(call))
        return self._result(call, response, learned)

    async def arender(self, request: CodeRequest) -> Rendering:
        """Async :meth:`render`, on the backend's own :class:`httpx.AsyncClient`."""
        call = self._prepare(request)
        response = await self._http.aget(call.target, self._headers(call))
        learned = self._learn_skew(response)
        if learned is not None:
            response = await self._http.aget(call.target, self._headers(call))
        return self._result(call, response, learned)

    def close(self) -> None:
        """Close the connection pools (prefer :meth:`aclose` after async use)."""
        self._http.close()

    async def aclose(self) -> None:
        """Close both connection pools."""
        await self._http.aclose()

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} backend {self.name!r} bucket {self._settings.bucket!r} "
            f"at {self._settings.base_url}>"
        )
