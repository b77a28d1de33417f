"""``qrplex.Client``: resolved config, backend instances, and the fallback chain."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from ._arguments import (
    MAX_CONCURRENCY,
    MAX_PROCESSES,
    backend_argument,
    batch_items,
    describe,
    flag_argument,
    item_arguments,
    whole_number_argument,
)
from ._backend import Backend
from ._breaker import CircuitBreaker
from ._config import ResolvedConfig, load_config
from ._model import CodeImage, CodeRequest, Rendering
from ._retry import RetryPolicy
from ._routing import RoutePlan, run_async, run_sync
from ._validation import validate_request
from ._verify import check_verifiable, verify_rendering
from .errors import (
    BackendError,
    ConfigError,
    InvalidOptionError,
    QrplexError,
    VerificationError,
)

if TYPE_CHECKING:
    from ._cache import FileCache
    from ._registry import Registry
    from ._registry_info import BackendInfo

__all__ = ["Client"]

logger = logging.getLogger("qrplex")

_WARN_INTERVAL = 60.0
_MAX_PLANS = 64
"""Routing plans a client keeps (one per backend choice, option names and ``verify``)."""

_PlanKey = tuple[str | None, frozenset[str], bool]


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

    Raises:
        ConfigError: an argument has the wrong type, or the configuration is malformed
            (the message names the argument or the file, the key and what is allowed).
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
        if config is not None and not isinstance(config, Mapping):
            raise ConfigError(
                "config must be a mapping in the shape of a config file "
                f'(e.g. {{"retries": 2}}), not {describe(config, show_text=False)}'
            )
        if registry is not None:
            from ._registry import Registry

            if not isinstance(registry, Registry):
                raise ConfigError(
                    f"registry must be a qrplex Registry, not {describe(registry, show_text=False)}"
                )
        explicit = dict(config or {})
        if backend is not None:
            explicit["backend"] = backend
        if fallback is not None:
            explicit["fallback"] = _fallback_argument(fallback)
        self.config: ResolvedConfig = load_config(
            explicit, environ=environ, cwd=cwd, user_file=user_config
        )
        # What a worker process needs to rebuild an equivalent client (generate_many).
        self._spec = (explicit, None if environ is None else dict(environ), cwd, user_config)
        self._registry = registry
        self._private_registry = registry is not None
        self._instances: dict[str, Backend] = {}
        self._lock = threading.Lock()
        self._breakers: dict[str, CircuitBreaker] = {}
        self._cache: FileCache | None = None
        self._last_warning: dict[tuple[str, str], float] = {}
        self._checked = False
        self._plans: dict[_PlanKey, tuple[ResolvedConfig, Registry | None, RoutePlan]] = {}

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

    def check(self, backend: str | None = None) -> None:
        """Check the chain (or ``backend`` alone) up front: every backend is installed and
        its configuration is complete, so a mistake shows at start-up rather than during an
        outage, when a fallback is first needed.

        Raises:
            UnknownBackendError: a backend of the chain is not installed.
            ConfigError: a backend's settings are malformed or incomplete.
        """
        for name in (backend,) if backend is not None else self.chain:
            self.backend(name)

    def backends(self) -> list[BackendInfo]:
        """Every installed backend (and broken plugin) with its capabilities, status and
        this client's circuit-breaker state for it."""
        states = self.circuit_states()
        return [
            replace(info, circuit=states.get(info.name, "closed")) if info.ok else info
            for info in self.registry.infos()
        ]

    def breaker(self, name: str) -> CircuitBreaker:
        """This client's circuit breaker for backend ``name``."""
        with self._lock:
            breaker = self._breakers.get(name)
            if breaker is None:
                breaker = CircuitBreaker(
                    int(self.config.get("breaker_threshold")),
                    float(self.config.get("breaker_cooldown")),
                )
                self._breakers[name] = breaker
            return breaker

    def circuit_states(self) -> dict[str, str]:
        """The circuit-breaker state of every backend this client has called."""
        with self._lock:
            breakers = dict(self._breakers)
        return {name: breaker.state.value for name, breaker in breakers.items()}

    # -- generation ----------------------------------------------------------------------

    def generate(
        self,
        content: str,
        *,
        symbology: str = "qr",
        format: str = "png",
        width: int | None = None,
        backend: str | None = None,
        verify: bool = False,
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
            verify: decode the image (zxing-cpp, ``qrplex[verify]``) and treat one that
                does not read back as the content as a failed attempt (the next backend in
                the chain is tried; :class:`VerificationError` if none succeeds). PNG only.
            **options: symbology options: ``error="L"|"M"|"Q"|"H"`` for QR codes,
                ``height=`` (pixels) for barcodes.

        Returns:
            The :class:`CodeImage`; ``image.backend`` names who made it and
            ``image.attempts`` lists what failed first.

        Raises:
            InvalidRequestError: the content or an option is invalid (before any backend runs).
            UnsupportedError: no backend in the chain serves this request.
            BackendError: the backend failed: its own error (with ``attempts``) when one
                backend was tried, ``AllBackendsFailedError`` when several were.
        """
        request = self._request(content, symbology, format, width, backend, verify, options)
        cached = self._cached(request, backend, verify)
        if cached is not None:
            return cached
        image = run_sync(request, self._plan(backend, options, verify))
        self._store(request, image, backend)
        return image

    async def agenerate(
        self,
        content: str,
        *,
        symbology: str = "qr",
        format: str = "png",
        width: int | None = None,
        backend: str | None = None,
        verify: bool = False,
        **options: Any,
    ) -> CodeImage:
        """Async :meth:`generate`, with the same arguments, result and errors."""
        request = self._request(content, symbology, format, width, backend, verify, options)
        if self.cache is None:
            return await run_async(request, self._plan(backend, options, verify))
        import asyncio  # the cache reads and writes files: keep that off the event loop

        cached = await asyncio.to_thread(self._cached, request, backend, verify)
        if cached is not None:
            return cached
        image = await run_async(request, self._plan(backend, options, verify))
        await asyncio.to_thread(self._store, request, image, backend)
        return image

    def _request(
        self,
        content: object,
        symbology: str,
        format: str,
        width: int | None,
        backend: str | None,
        verify: bool,
        options: Mapping[str, Any],
    ) -> CodeRequest:
        """The validated request of a ``generate`` / ``agenerate`` call."""
        _check_call(backend, verify)
        request = validate_request(
            content,
            symbology=symbology,
            format=format,
            width=width,
            options=options,
            registry=self.registry,  # its symbologies, as its backends
        )
        if verify:
            check_verifiable(request)
        return request

    def generate_many(
        self,
        requests: Iterable[str | Mapping[str, Any]],
        *,
        concurrency: int = 8,
        processes: int | None = None,
        executor: Executor | None = None,
    ) -> list[CodeImage | QrplexError]:
        """Generate many codes with at most ``concurrency`` in flight.

        Each request is a content string or a mapping of :meth:`generate`'s keyword
        arguments (``{"content": ..., "symbology": ..., "width": ...}``). Results come in
        input order; a request that fails gives its :class:`QrplexError` in its place
        instead of aborting the batch.

        Threads suit network backends (they wait on I/O). Local rendering is CPU-bound
        Python, which threads cannot run in parallel: pass ``processes=N`` (``0`` for one per
        core) to spread the work over worker processes, or any
        :class:`concurrent.futures.Executor` as ``executor`` (a process pool, a Dask
        client's ``get_executor()``). Work is then shipped in partitions of items; each
        worker builds a client from the same configuration once (circuit breakers are then
        per worker), its secrets coming from the worker's environment or config files, never
        from the task.

        ``concurrency`` is a whole number from 1 to 1024; ``processes`` is ``None`` or from
        0 to 256.

        Raises:
            InvalidOptionError: ``requests`` is not an iterable of items, ``concurrency`` /
                ``processes`` is not a whole number in its range, both ``processes`` and
                ``executor`` are given, or a client with its own ``registry=`` is asked to
                use worker processes.
        """
        from ._engine import map_items

        whole_number_argument("concurrency", concurrency, 1, MAX_CONCURRENCY)
        if processes is not None:
            whole_number_argument("processes", processes, 0, MAX_PROCESSES)
        if executor is not None:
            if processes is not None:
                raise InvalidOptionError("give processes= or executor=, not both")
            if not isinstance(executor, Executor):
                raise InvalidOptionError(
                    "executor must be a concurrent.futures.Executor (a process pool, a Dask "
                    f"client's get_executor()), not {describe(executor, show_text=False)}"
                )
        items = batch_items(requests)
        return map_items(
            self, items, concurrency=concurrency, processes=processes, executor=executor
        )

    async def agenerate_many(
        self, requests: Iterable[str | Mapping[str, Any]], *, concurrency: int = 16
    ) -> list[CodeImage | QrplexError]:
        """Async :meth:`generate_many`: at most ``concurrency`` (1 to 1024) requests in
        flight."""
        import asyncio

        whole_number_argument("concurrency", concurrency, 1, MAX_CONCURRENCY)
        items = batch_items(requests)
        gate = asyncio.Semaphore(concurrency)

        async def one(item: str | Mapping[str, Any]) -> CodeImage | QrplexError:
            async with gate:
                try:
                    return await self.agenerate(**item_arguments(item))
                except QrplexError as error:
                    return error

        return list(await asyncio.gather(*(one(item) for item in items)))

    # -- routing helpers -----------------------------------------------------------------

    def _plan(
        self, backend: str | None, options: Mapping[str, Any], verify: bool = False
    ) -> RoutePlan:
        """The routing plan of a call; the same for every call with the same backend choice,
        option names and ``verify``, so it is made once each (the configuration and the
        registry it reads are fixed: a plan made from others is never reused)."""
        key = (backend, frozenset(options), verify)
        cached = self._plans.get(key)
        if cached is not None and cached[0] is self.config and cached[1] is self._registry:
            return cached[2]
        if backend is None and not self._checked:
            self.check()
            self._checked = True
        plan = self._new_plan(backend, key[1], verify)
        if len(self._plans) >= _MAX_PLANS:
            self._plans.clear()  # a caller cycling through option names: start over
        self._plans[key] = (self.config, self._registry, plan)
        return plan

    def _new_plan(self, backend: str | None, options: frozenset[str], verify: bool) -> RoutePlan:
        return RoutePlan(
            chain=(backend,) if backend is not None else self.chain,
            user_options=options,
            policy=RetryPolicy(
                retries=int(self.config.get("retries")),
                backoff=float(self.config.get("retry_backoff")),
            ),
            deadline=self.config.get("deadline"),
            fallback_on_auth_error=bool(self.config.get("fallback_on_auth_error")),
            breaker=self.breaker,
            backend_class=self.registry.get,
            backend=self.backend,
            on_fallback=self._warn,
            verify=verify,
            symbologies=self.registry.symbologies,
            spares=self._spares if backend is None and self.config.fallback is None else None,
        )

    def _spares(self) -> tuple[str, ...]:
        """The installed backends outside the chain that need no network, by name: where
        capability routing sends a request no backend of the chain declares."""
        registry, chain = self.registry, self.chain
        return tuple(  # names() leaves out a name two plugins register: never picked silently
            name
            for name in registry.names()
            if name not in chain and not registry.get(name).capabilities.network
        )

    @property
    def cache(self) -> FileCache | None:
        """The on-disk cache, when ``cache_dir`` is configured."""
        directory = self.config.get("cache_dir")
        if directory is None:
            return None
        if self._cache is None:
            from ._cache import FileCache

            max_bytes = int(float(self.config.get("cache_max_mb")) * 1024 * 1024)
            self._cache = FileCache(directory, max_bytes)
        return self._cache

    def _cached(self, request: CodeRequest, backend: str | None, verify: bool) -> CodeImage | None:
        cache = self.cache
        if cache is None:
            return None
        image = cache.get(request, backend, self.registry.symbologies())
        if image is not None and verify:
            rendering = Rendering(image.data, image.media_type, image.width, image.height)
            try:
                verify_rendering(rendering, request, image.backend)
            except VerificationError:
                return None  # generate afresh, and verified
        return image

    def _store(self, request: CodeRequest, image: CodeImage, backend: str | None) -> None:
        cache = self.cache
        if cache is not None:
            cache.put(request, image, backend)

    def _warn(self, name: str, error: BackendError) -> None:
        key = (name, type(error).__name__)
        now = time.monotonic()
        with self._lock:
            last = self._last_warning.get(key)
            if last is not None and now - last < _WARN_INTERVAL:
                return
            self._last_warning[key] = now
        logger.warning("backend %s failed: %s", name, error)

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


def _fallback_argument(fallback: object) -> object:
    """``Client(fallback=...)`` as a list of names; a value of the wrong type is passed on
    unchanged, for the config parser to refuse with a message naming ``fallback``."""
    if isinstance(fallback, str):
        return [fallback]
    if isinstance(fallback, Iterable) and not isinstance(fallback, Mapping | bytes | bytearray):
        return list(fallback)
    return fallback


def _check_call(backend: object, verify: object) -> None:
    """Check ``generate()``'s own arguments (the request is checked by validation)."""
    backend_argument(backend)
    flag_argument("verify", verify)
