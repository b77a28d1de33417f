"""Finds plugins through the ``qrplex`` entry-point group and collects what they register:
backends, CLI commands and symbologies (the core registers its own nine first, through the
same hook).

Each entry point is loaded on its own: one that fails to import, has a misspelled hook or fails
inside its hook is reported (a warning, and ``broken`` in ``qrplex backends``) while the others
keep working. ``QRPLEX_STRICT_PLUGINS=1`` re-raises instead, for plugin authors;
``QRPLEX_DISABLE_PLUGINS=name,...`` skips plugins by entry-point name.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from . import _core_plugin, _hookspecs
from ._backend import Backend
from ._commands import Command
from ._registry_info import BackendInfo
from ._symbologies import Symbology
from .errors import PluginError, UnknownBackendError

__all__ = ["Registry", "default_registry", "reset_default_registry"]

STRICT_ENV = "QRPLEX_STRICT_PLUGINS"
DISABLE_ENV = "QRPLEX_DISABLE_PLUGINS"


@dataclass(frozen=True, slots=True)
class _PluginOrigin:
    name: str
    distribution: str | None
    version: str | None


@dataclass(slots=True)
class _Registered:
    backend: type[Backend]
    origin: _PluginOrigin
    rivals: list[_PluginOrigin] = field(default_factory=list)


@dataclass(slots=True)
class _RegisteredSymbology:
    spec: Symbology
    origin: _PluginOrigin
    rivals: list[tuple[_PluginOrigin, Symbology]] = field(default_factory=list)


_SYMBOLOGY_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


class Registry:
    """The backends, commands and symbologies that plugins registered.

    Args:
        entry_points: load plugins from the ``qrplex`` entry-point group (the normal way).
        plugins: extra plugin objects (modules or classes with hookimpls) to register, for
            tests and embedding; each as ``(name, plugin)``.
        environ: where ``QRPLEX_STRICT_PLUGINS`` / ``QRPLEX_DISABLE_PLUGINS`` are read.
    """

    def __init__(
        self,
        *,
        entry_points: bool = True,
        plugins: Iterable[tuple[str, object]] = (),
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self.strict = env.get(STRICT_ENV, "").strip().lower() in {"1", "true", "yes", "on"}
        self.disabled = frozenset(
            name.strip() for name in env.get(DISABLE_ENV, "").split(",") if name.strip()
        )
        self._manager = pluggy.PluginManager(_hookspecs.PROJECT_NAME)
        self._manager.add_hookspecs(_hookspecs)
        self._backends: dict[str, _Registered] = {}
        self._commands: dict[str, Command] = {}
        self._broken: list[BackendInfo] = []
        self._origins: dict[str, _PluginOrigin] = {}
        self._symbologies: dict[str, _RegisteredSymbology] = {}
        from . import __version__

        core = _PluginOrigin(_core_plugin.PLUGIN_NAME, "qrplex", __version__)
        self._add_plugin(_core_plugin, core)  # first: the core's symbologies come first
        if entry_points:
            for entry_point in metadata.entry_points(group=_hookspecs.PROJECT_NAME):
                self._load_entry_point(entry_point)
        for name, plugin in plugins:
            self._add_plugin(plugin, _PluginOrigin(name, None, None))
        self._collect()

    # -- loading ---------------------------------------------------------------------------

    def _load_entry_point(self, entry_point: metadata.EntryPoint) -> None:
        dist = entry_point.dist
        origin = _PluginOrigin(
            entry_point.name,
            dist.metadata["Name"] if dist is not None else None,
            dist.version if dist is not None else None,
        )
        if origin.name in self.disabled:
            return
        try:
            plugin = entry_point.load()
        except Exception as error:
            self._fail(origin, f"cannot be imported: {_one_line(error)}", error)
            return
        self._add_plugin(plugin, origin)

    def _add_plugin(self, plugin: object, origin: _PluginOrigin) -> None:
        try:
            self._manager.register(plugin, name=origin.name)
        except Exception as error:
            self._fail(origin, f"cannot be registered: {_one_line(error)}", error)
            return
        try:
            self._manager.check_pending()
        except pluggy.PluginValidationError as error:
            self._manager.unregister(name=origin.name)
            self._fail(origin, f"has an unknown hook: {_one_line(error)}", error)
            return
        self._origins[origin.name] = origin

    def _fail(self, origin: _PluginOrigin, why: str, error: BaseException) -> None:
        message = f"qrplex plugin {origin.name!r} {why}"
        if self.strict:
            raise PluginError(message) from error
        warnings.warn(
            f"{message} (set {STRICT_ENV}=1 to raise, or {DISABLE_ENV}={origin.name} to skip it)",
            RuntimeWarning,
            stacklevel=4,
        )
        self._broken.append(
            BackendInfo(
                name=origin.name,
                plugin=origin.name,
                distribution=origin.distribution,
                version=origin.version,
                capabilities=None,
                status="broken",
                error=why,
            )
        )

    def _collect(self) -> None:
        hooks = self._manager.hook
        for impl in hooks.qrplex_register_backends.get_hookimpls():
            origin = self._origins[impl.plugin_name]
            self._call(impl.function, origin, functools.partial(self._add_backend, origin=origin))
        for impl in hooks.qrplex_register_commands.get_hookimpls():
            origin = self._origins[impl.plugin_name]
            self._call(impl.function, origin, self._add_command)
        # In registration order: the core (registered first) comes first.
        for impl in hooks.qrplex_register_symbologies.get_hookimpls():
            origin = self._origins[impl.plugin_name]
            self._call(impl.function, origin, functools.partial(self._add_symbology, origin=origin))

    def _call(
        self,
        hook: Callable[..., object],
        origin: _PluginOrigin,
        register: Callable[[Any], None],
    ) -> None:
        try:
            hook(register=register)
        except Exception as error:
            self._fail(origin, f"failed while registering: {_one_line(error)}", error)

    def _add_backend(self, backend: type[Backend], origin: _PluginOrigin) -> None:
        if not (isinstance(backend, type) and issubclass(backend, Backend)):
            raise PluginError(f"register() takes a qrplex.Backend subclass, not {backend!r}")
        name = getattr(backend, "name", None)
        if not isinstance(name, str) or not name:
            raise PluginError(f"{backend.__qualname__} has no backend name")
        if not hasattr(backend, "capabilities"):
            raise PluginError(f"backend {name!r} declares no capabilities")
        existing = self._backends.get(name)
        if existing is None:
            self._backends[name] = _Registered(backend, origin)
            return
        existing.rivals.append(origin)
        if self.strict:
            raise PluginError(self._duplicate_message(name, existing))

    def _add_symbology(self, spec: Symbology, origin: _PluginOrigin) -> None:
        _check_symbology_spec(spec)
        existing = self._symbologies.get(spec.name)
        if existing is None:
            self._symbologies[spec.name] = _RegisteredSymbology(spec, origin)
            return
        if existing.spec == spec and all(rival == spec for _, rival in existing.rivals):
            return  # the same spec again (one object shared by two plugins): no conflict
        existing.rivals.append((origin, spec))
        if self.strict:
            raise PluginError(self._symbology_message(spec.name, existing))

    @staticmethod
    def _symbology_message(name: str, entry: _RegisteredSymbology) -> str:
        plugins = " and ".join(
            repr(o.name) + (f" ({o.distribution})" if o.distribution else "")
            for o in (entry.origin, *(origin for origin, _ in entry.rivals))
        )
        return (
            f"symbology {name!r} is registered differently by plugins {plugins}; uninstall "
            f"one, or skip one with {DISABLE_ENV}=<plugin>"
        )

    def _add_command(self, command: Command) -> None:
        if command.name in self._commands:
            raise PluginError(f"two plugins register the command {command.name!r}")
        self._commands[command.name] = command

    @staticmethod
    def _duplicate_message(name: str, entry: _Registered) -> str:
        plugins = " and ".join(
            repr(o.name) + (f" ({o.distribution})" if o.distribution else "")
            for o in (entry.origin, *entry.rivals)
        )
        return (
            f"backend {name!r} is registered by both plugins {plugins}; uninstall one, "
            f"or skip one with {DISABLE_ENV}=<plugin>"
        )

    # -- queries ---------------------------------------------------------------------------

    def names(self) -> list[str]:
        """Names of the usable backends, sorted."""
        return sorted(n for n, e in self._backends.items() if not e.rivals)

    def get(self, name: str) -> type[Backend]:
        """The backend class called ``name``.

        Raises:
            UnknownBackendError: no such backend (the message lists the installed ones).
            PluginError: two plugins register that name.
        """
        entry = self._backends.get(name)
        if entry is None:
            installed = ", ".join(self.names()) or "none"
            broken = [b.name for b in self._broken]
            hint = f"; broken plugins: {', '.join(broken)}" if broken else ""
            raise UnknownBackendError(
                f"unknown backend {name!r}; installed backends: {installed}{hint}"
            )
        if entry.rivals:
            raise PluginError(self._duplicate_message(name, entry))
        return entry.backend

    def infos(self) -> list[BackendInfo]:
        """One :class:`BackendInfo` per backend and per broken plugin."""
        result = [
            BackendInfo(
                name=name,
                plugin=entry.origin.name,
                distribution=entry.origin.distribution,
                version=entry.origin.version,
                capabilities=entry.backend.capabilities,
                status="broken" if entry.rivals else "ok",
                error=self._duplicate_message(name, entry) if entry.rivals else None,
            )
            for name, entry in sorted(self._backends.items())
        ]
        conflicts = [
            BackendInfo(
                name=f"symbology {name}",
                plugin=entry.origin.name,
                distribution=entry.origin.distribution,
                version=entry.origin.version,
                capabilities=None,
                status="broken",
                error=self._symbology_message(name, entry),
            )
            for name, entry in self._symbologies.items()
            if entry.rivals
        ]
        return result + list(self._broken) + conflicts

    def symbologies(self) -> dict[str, Symbology]:
        """The usable symbologies by name: the core's nine, then the plugins' in the order
        they were registered (a name registered differently twice is left out)."""
        return {n: e.spec for n, e in self._symbologies.items() if not e.rivals}

    def symbology_origin(self, name: str) -> str | None:
        """The plugin that registered the symbology ``name`` (``"qrplex"`` for the core's)."""
        entry = self._symbologies.get(name)
        return None if entry is None else entry.origin.name

    def symbology_conflict(self, name: str) -> str | None:
        """The message naming the plugins that register ``name`` differently, or ``None``."""
        entry = self._symbologies.get(name)
        if entry is None or not entry.rivals:
            return None
        return self._symbology_message(name, entry)

    def commands(self) -> dict[str, Command]:
        """CLI subcommands that plugins registered, by name."""
        return dict(self._commands)

    def all_settings(self) -> dict[str, tuple[Any, ...]]:
        """Each usable backend's declared settings, by backend name."""
        return {name: self._backends[name].backend.settings for name in self.names()}


def _check_symbology_spec(spec: object) -> None:
    """Raise :class:`PluginError` unless ``spec`` is a well-formed :class:`Symbology`."""
    if not isinstance(spec, Symbology):
        raise PluginError(f"register() takes a qrplex.spec.Symbology, not {spec!r}")
    problems = []
    if not (isinstance(spec.name, str) and _SYMBOLOGY_NAME.fullmatch(spec.name)):
        problems.append("its name must be 1 to 32 of a-z, 0-9, _ and -, starting with a letter")
    if not (isinstance(spec.title, str) and spec.title.strip()):
        problems.append("its title must be a non-empty string")
    if spec.dimension not in (1, 2):
        problems.append("its dimension must be 1 (linear) or 2 (matrix)")
    for side in ("quiet_left", "quiet_right"):
        value = getattr(spec, side)
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
            problems.append(f"its {side} must be an integer from 0 to 100 modules")
    if spec.options is not None and not (
        isinstance(spec.options, tuple) and all(isinstance(o, str) for o in spec.options)
    ):
        problems.append("its options must be a tuple of option names")
    for hook in ("content", "modules"):
        if getattr(spec, hook) is not None and not callable(getattr(spec, hook)):
            problems.append(f"its {hook} must be callable or None")
    if not (isinstance(spec.examples, tuple) and all(isinstance(e, str) for e in spec.examples)):
        problems.append("its examples must be a tuple of strings")
    if problems:
        raise PluginError(f"symbology {spec.name!r} is not valid: {'; '.join(problems)}")


_default: Registry | None = None
_default_lock = threading.Lock()


def default_registry() -> Registry:
    """The process-wide registry, built from entry points on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Registry()
        return _default


def reset_default_registry() -> None:
    """Forget the process-wide registry (the next use rescans entry points)."""
    global _default
    with _default_lock:
        _default = None
