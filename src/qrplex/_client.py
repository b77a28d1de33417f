"""``qrplex.Client``: resolved config, backend instances, and the fallback chain."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ._backend import Backend
from ._checks import check_rendering
from ._config import ResolvedConfig, load_config
from ._model import Attempt, CodeImage, CodeRequest, Rendering
from ._validation import validate_request
from .errors import (
    AllBackendsFailedError,
    BackendAuthError,
    BackendError,
    BadResponseError,
    UnsupportedError,
)

if TYPE_CHECKING:
    from ._registry import Registry
    from ._registry_info import BackendInfo

__all__ = ["Client"]

logger = logging.getLogger("qrplex")

_WARN_INTERVAL = 60.0


class Client:
    """A reusable generator: resolved config, backend instances and a fallback chain.

    Create one per application (it is thread-safe) and close it when done, or use it as a
    (sync or async) context manager::

        with qrplex.Client(backend="cloudinfinite") as client:
            image = client.generate("https://example.com", width=300)

    Args:
        backend: the primary backend; overrides ``QRPLEX_BACKEND`` and config files.
        fallback: backends to try, in order, when the primary is unavailable; overrides
            ``QRPLEX_FALLBACK`` and config. Default: ``["local"]`` unless the primary is local.
        config: settings in the shape of a config file (``{"backends": {"cloudinfinite":
            {...}}}``), at the highest precedence.
        registry: where backends come from (default: installed plugins).
        environ: the environment to read (default ``os.environ``).
        cwd: where ``qrplex.toml`` / ``pyproject.toml`` are looked for.
        user_config: read the user's config file (default ``True``).
    """

    def __init__(
        self,
        backend: str | None = None,
        *,
        fallback: Sequence[str] | None = None,
        config: Mapping[str, Any] | None = None,
        registry: Registry | None = None,
        environ: Mapping[str, str] | None = None,
        cwd: str | os.PathLike[str] | None = None,
        user_config: bool = True,
    ) -> None:
        explicit = dict(config or {})
        if backend is not None:
            explicit["backend"] = backend
        if fallback is not None:
            explicit["fallback"] = list(fallback)
        self.config: ResolvedConfig = load_config(
            explicit, environ=environ, cwd=cwd, user_file=user_config
        )
        self._registry = registry
        self._instances: dict[str, Backend] = {}
        self._lock = threading.Lock()
        self._last_warning: dict[tuple[str, str], float] = {}
        self._closed = False

    # -- configuration -------------------------------------------------------------------

    @property
    def registry(self) -> Registry:
        """The registry backends are looked up in."""
        if self._registry is None:
            from ._registry import default_registry

            self._registry = default_registry()
        return self._registry

    @property
    def chain(self) -> tuple[str, ...]:
        """The primary backend followed by its fallbacks, without repeats."""
        primary = self.config.backend
        fallback = self.config.fallback
        if fallback is None:
            fallback = () if primary == "local" else ("local",)
        return tuple(dict.fromkeys((primary, *fallback)))

    def backend(self, name: str) -> Backend:
        """This client's instance of backend ``name``, created on first use.

        Raises:
            UnknownBackendError: no such backend is installed.
            ConfigError: its configuration is malformed or incomplete.
        """
        with self._lock:
            instance = self._instances.get(name)
            if instance is None:
                cls = self.registry.get(name)
                settings = self.config.backend_settings(name, cls.settings)
                instance = cls({key: value.value for key, value in settings.items()})
                self._instances[name] = instance
            return instance

    def backends(self) -> list[BackendInfo]:
        """Every installed backend (and broken plugin) with its capabilities and status."""
        return self.registry.infos()

    # -- generation ----------------------------------------------------------------------

    def generate(
        self,
        content: str,
        *,
        symbology: str = "qr",
        format: str = "png",
        width: int | None = None,
        backend: str | None = None,
        **options: Any,
    ) -> CodeImage:
        """Generate one code.

        Args:
            content: the text to encode.
            symbology: ``"qr"``, ``"microqr"``, ``"ean13"``, ``"code128"``, ...
                (see :func:`qrplex.symbologies`).
            format: ``"png"`` or ``"svg"``.
            width: the exact image width in pixels; ``None`` for the default scale.
            backend: use only this backend for this call (no fallback).
            **options: symbology options: ``error="L"|"M"|"Q"|"H"`` for QR codes,
                ``height=`` (pixels) for barcodes.

        Returns:
            The :class:`CodeImage`; ``image.backend`` names who made it and
            ``image.attempts`` lists the backends that failed first.

        Raises:
            InvalidRequestError: the content or an option is invalid (before any backend runs).
            UnsupportedError: no backend in the chain serves this request.
            BackendError: the backend failed (``AllBackendsFailedError`` when every backend
                in the chain did).
        """
        request = validate_request(
            content, symbology=symbology, format=format, width=width, options=options
        )
        attempts: list[Attempt] = []
        refusals: dict[str, str] = {}
        for name in self._chain_for(backend):
            instance = self._usable(name, request, options, refusals)
            if instance is None:
                continue
            started = time.monotonic()
            try:
                rendering = self._call(instance.render, request)
                return self._finish(rendering, request, name, attempts)
            except BackendError as error:
                self._record(error, name, started, attempts)
        raise self._exhausted(request, attempts, refusals)

    async def agenerate(
        self,
        content: str,
        *,
        symbology: str = "qr",
        format: str = "png",
        width: int | None = None,
        backend: str | None = None,
        **options: Any,
    ) -> CodeImage:
        """Async :meth:`generate`, with the same arguments, result and errors."""
        request = validate_request(
            content, symbology=symbology, format=format, width=width, options=options
        )
        attempts: list[Attempt] = []
        refusals: dict[str, str] = {}
        for name in self._chain_for(backend):
            instance = self._usable(name, request, options, refusals)
            if instance is None:
                continue
            started = time.monotonic()
            try:
                try:
                    rendering = await instance.arender(request)
                except (BackendError, ValueError):
                    raise
                except Exception as error:
                    raise self._crash(error, name) from error
                return self._finish(rendering, request, name, attempts)
            except BackendError as error:
                self._record(error, name, started, attempts)
        raise self._exhausted(request, attempts, refusals)

    # -- routing helpers -----------------------------------------------------------------

    def _chain_for(self, backend: str | None) -> tuple[str, ...]:
        return (backend,) if backend is not None else self.chain

    def _usable(
        self,
        name: str,
        request: CodeRequest,
        user_options: Mapping[str, Any],
        refusals: dict[str, str],
    ) -> Backend | None:
        refusal = self.registry.get(name).capabilities.refusal(request, user_options)
        if refusal is not None:
            refusals[name] = refusal
            return None
        return self.backend(name)

    def _call(self, render: Any, request: CodeRequest) -> Rendering:
        try:
            result: Rendering = render(request)
        except (BackendError, ValueError):
            raise
        except Exception as error:
            raise self._crash(error, getattr(render, "__self__", None)) from error
        return result

    @staticmethod
    def _crash(error: Exception, backend: object) -> BadResponseError:
        name = backend if isinstance(backend, str) else getattr(backend, "name", "?")
        return BadResponseError(f"crashed with {type(error).__name__}: {error}", backend=str(name))

    def _finish(
        self, rendering: Rendering, request: CodeRequest, name: str, attempts: list[Attempt]
    ) -> CodeImage:
        check_rendering(rendering, request, name)
        return CodeImage(
            data=rendering.data,
            media_type=rendering.media_type,
            symbology=request.symbology,
            width=rendering.width,
            height=rendering.height,
            backend=name,
            content=request.content,
            attempts=tuple(attempts),
        )

    def _falls_back(self, error: BackendError) -> bool:
        if isinstance(error, BackendAuthError):
            return bool(self.config.get("fallback_on_auth_error"))
        return error.transient or isinstance(error, BadResponseError)

    def _record(
        self, error: BackendError, name: str, started: float, attempts: list[Attempt]
    ) -> None:
        if not self._falls_back(error):
            raise error
        attempts.append(
            Attempt(
                backend=name,
                error_type=type(error).__name__,
                message=str(error),
                elapsed=time.monotonic() - started,
                transient=error.transient,
            )
        )
        self._warn(name, error)

    def _warn(self, name: str, error: BackendError) -> None:
        key = (name, type(error).__name__)
        now = time.monotonic()
        with self._lock:
            last = self._last_warning.get(key)
            if last is not None and now - last < _WARN_INTERVAL:
                return
            self._last_warning[key] = now
        logger.warning("backend %s failed, falling back: %s", name, error)

    @staticmethod
    def _exhausted(
        request: CodeRequest, attempts: list[Attempt], refusals: dict[str, str]
    ) -> Exception:
        if attempts:
            return AllBackendsFailedError(tuple(attempts))
        reasons = "; ".join(f"{name} does not support {why}" for name, why in refusals.items())
        return UnsupportedError(f"no backend can make this {request.symbology} code: {reasons}")

    # -- lifecycle -----------------------------------------------------------------------

    def close(self) -> None:
        """Close every backend instance this client created."""
        with self._lock:
            instances, self._instances = list(self._instances.values()), {}
        for instance in instances:
            instance.close()

    async def aclose(self) -> None:
        """Async :meth:`close`."""
        with self._lock:
            instances, self._instances = list(self._instances.values()), {}
        for instance in instances:
            await instance.aclose()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<qrplex.Client chain={' -> '.join(self.chain)}>"
