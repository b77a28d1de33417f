"""Finds plugins through the ``qrplex`` entry-point group and collects what they register:
backends, CLI commands and symbologies (the core registers its own nine first, through the
same hook).

Each entry point is loaded on its own: one that fails to import, has a misspelled hook or fails
inside its hook is reported (a warning, and ``broken`` in ``qrplex backends``) while the others
keep working. ``QRPLEX_STRICT_PLUGINS=1`` re-raises instead, for plugin authors;
``QRPLEX_DISABLE_PLUGINS=name,...`` skips plugins by entry-point name.

Start-up: the entry points are scanned once per process (:func:`scan_entry_points`, until
:func:`reset_default_registry` or a change of ``sys.path``); a plugin that registers a
:class:`BackendDeclaration` instead of a class has its backend module imported only when the
backend is first used; the command hooks run only when the commands are asked for.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

from . import _core_plugin, _hookspecs
from ._backend import Backend, Capabilities
from ._registry_info import BackendDeclaration
from ._symbologies import Symbology
from .errors import PluginError, UnknownBackendError

if TYPE_CHECKING:
    from ._backend_info import BackendInfo
    from ._commands import Command

__all__ = ["Registry", "default_registry", "reset_default_registry", "scan_entry_points"]

STRICT_ENV = "QRPLEX_STRICT_PLUGINS"
DISABLE_ENV = "QRPLEX_DISABLE_PLUGINS"


class _PluginOrigin:
    """Which plugin (entry-point name) registered something, from which distribution.

    The registry's own records are plain classes, not dataclasses: each dataclass created at
    import costs every ``qrplex`` start-up ~0.3 ms."""

    __slots__ = ("distribution", "name", "version")

    def __init__(self, name: str, distribution: str | None, version: str | None) -> None:
        self.name = name
        self.distribution = distribution
        self.version = version

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _PluginOrigin):
            return NotImplemented
        return (self.name, self.distribution, self.version) == (
            other.name,
            other.distribution,
            other.version,
        )

    def __hash__(self) -> int:
        return hash((self.name, self.distribution, self.version))

    def __repr__(self) -> str:
        return (
            f"_PluginOrigin(name={self.name!r}, distribution={self.distribution!r}, "
            f"version={self.version!r})"
        )


class _Registered:
    """A registered backend: its class, or its declaration until the class is loaded."""

    __slots__ = ("backend", "declaration", "error", "origin", "rivals")

    def __init__(
        self,
        backend: type[Backend] | None,
        declaration: BackendDeclaration | None,
        origin: _PluginOrigin,
    ) -> None:
        self.backend = backend
        self.declaration = declaration
        self.origin = origin
        self.rivals: list[_PluginOrigin] = []
        self.error: str | None = None  # why the declared class cannot be used, once tried

    @property
    def capabilities(self) -> Capabilities:
        """The class's once it is loaded, the declaration's until then."""
        if self.backend is not None:
            return self.backend.capabilities
        assert self.declaration is not None
        return self.declaration.capabilities


class _RegisteredSymbology:
    __slots__ = ("origin", "rivals", "spec")

    def __init__(self, spec: Symbology, origin: _PluginOrigin) -> None:
        self.spec = spec
        self.origin = origin
        self.rivals: list[tuple[_PluginOrigin, Symbology]] = []


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
        self._commands_collected = False
        self._load_lock = threading.RLock()
        from . import __version__

        core = _PluginOrigin(_core_plugin.PLUGIN_NAME, "qrplex", __version__)
        self._add_plugin(_core_plugin, core)  # first: the core's symbologies come first
        if entry_points:
            for entry_point, origin in scan_entry_points():
                self._load_entry_point(entry_point, origin)
        for name, plugin in plugins:
            self._add_plugin(plugin, _PluginOrigin(name, None, None))
        self._collect()

    # -- loading ---------------------------------------------------------------------------

    def _load_entry_point(self, entry_point: _EntryPoint, origin: _PluginOrigin) -> None:
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
        from ._backend_info import BackendInfo

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

    def _collect_commands(self) -> None:
        """Run the command hooks, once: only ``qrplex --help``, a plugin's command and
        ``qrplex backends`` need them (a command's module may import a lot)."""
        with self._load_lock:
            if self._commands_collected:
                return
            self._commands_collected = True
            for impl in self._manager.hook.qrplex_register_commands.get_hookimpls():
                origin = self._origins[impl.plugin_name]
                self._call(impl.function, origin, self._add_command)

    def _add_backend(
        self, backend: type[Backend] | BackendDeclaration, origin: _PluginOrigin
    ) -> None:
        if isinstance(backend, BackendDeclaration):
            name = _check_declaration(backend)
            entry = _Registered(None, backend, origin)
        else:
            name = _check_backend_class(backend)
            entry = _Registered(backend, None, origin)
        existing = self._backends.get(name)
        if existing is None:
            self._backends[name] = entry
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

    def _entry(self, name: str) -> _Registered:
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
        return entry

    def get(self, name: str) -> type[Backend]:
        """The backend class called ``name`` (a declared backend's module is imported now).

        Raises:
            UnknownBackendError: no such backend (the message lists the installed ones).
            PluginError: two plugins register that name, or a declared backend's class
                cannot be imported or does not match its declaration.
        """
        entry = self._entry(name)
        if entry.backend is None and entry.error is None:
            with self._load_lock:
                if entry.backend is None and entry.error is None:
                    self._load_declared(name, entry)
        if entry.error is not None:
            raise PluginError(entry.error)
        assert entry.backend is not None
        return entry.backend

    def capabilities(self, name: str) -> Capabilities:
        """What backend ``name`` serves: its declaration's capabilities until its class is
        loaded (nothing is imported here), the class's after.

        Raises the same errors as :meth:`get` for an unknown or duplicated name.
        """
        return self._entry(name).capabilities

    def _load_declared(self, name: str, entry: _Registered) -> None:
        """Import a declared backend's class and check it against its declaration; a failure
        is kept in ``entry.error`` (the same error for every later use)."""
        declaration = entry.declaration
        assert declaration is not None
        where = f"plugin {entry.origin.name!r} declares backend {name!r} as {declaration.target!r}"
        try:
            backend = _import_target(declaration.target)
        except Exception as error:
            entry.error = f"{where}, which cannot be imported: {_one_line(error)}"
            return
        if not (isinstance(backend, type) and issubclass(backend, Backend)):
            entry.error = f"{where}, which is not a qrplex.Backend subclass"
            return
        if getattr(backend, "name", None) != declaration.name:
            entry.error = f"{where}, whose name is {getattr(backend, 'name', None)!r}"
            return
        if backend.capabilities != declaration.capabilities:
            # A stale declaration (the class gained a format, say) must not disable a working
            # backend: the class's capabilities are used from now on, and the author is told.
            message = (
                f"{where}, whose capabilities differ from the declaration "
                f"(declared: {_shown(declaration.capabilities)}; the class: "
                f"{_shown(backend.capabilities)})"
            )
            if self.strict:
                entry.error = f"{message}; refused ({STRICT_ENV}=1)"
                return
            warnings.warn(
                f"{message}; using the class's (set {STRICT_ENV}=1 to refuse it)",
                RuntimeWarning,
                4,
            )
        entry.backend = backend

    def infos(self) -> list[BackendInfo]:
        """One :class:`BackendInfo` per backend and per broken plugin (declared backends are
        imported, so that one that cannot be is reported as broken)."""
        from ._backend_info import BackendInfo

        self._collect_commands()  # a plugin whose command hook fails is reported too
        result = []
        for name, entry in sorted(self._backends.items()):
            error = self._duplicate_message(name, entry) if entry.rivals else None
            if error is None:
                try:
                    self.get(name)
                except PluginError as failure:
                    error = str(failure)
            result.append(
                BackendInfo(
                    name=name,
                    plugin=entry.origin.name,
                    distribution=entry.origin.distribution,
                    version=entry.origin.version,
                    capabilities=entry.capabilities,
                    status="ok" if error is None else "broken",
                    error=error,
                )
            )
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
        self._collect_commands()
        return dict(self._commands)

    def all_settings(self) -> dict[str, tuple[Any, ...]]:
        """Each usable backend's declared settings, by backend name."""
        return {name: self.get(name).settings for name in self.names()}


def _check_backend_class(backend: object) -> str:
    """The name of a registered backend class; :class:`PluginError` unless it is one."""
    if not (isinstance(backend, type) and issubclass(backend, Backend)):
        raise PluginError(
            "register() takes a qrplex.Backend subclass or a qrplex.BackendDeclaration, "
            f"not {backend!r}"
        )
    name = getattr(backend, "name", None)
    if not isinstance(name, str) or not name:
        raise PluginError(f"{backend.__qualname__} has no backend name")
    if not hasattr(backend, "capabilities"):
        raise PluginError(f"backend {name!r} declares no capabilities")
    return name


_TARGET = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*", re.ASCII)


def _check_declaration(declaration: BackendDeclaration) -> str:
    """The name of a well-formed declaration; :class:`PluginError` saying what is wrong."""
    problems = []
    if not isinstance(declaration.name, str) or not declaration.name:
        problems.append("its name must be a non-empty string")
    if not (isinstance(declaration.target, str) and _TARGET.fullmatch(declaration.target)):
        problems.append("its target must name the class as 'package.module:ClassName'")
    if not isinstance(declaration.capabilities, Capabilities):
        problems.append("its capabilities must be a qrplex.Capabilities")
    if problems:
        raise PluginError(f"backend declaration {declaration.name!r}: {'; '.join(problems)}")
    return declaration.name


def _shown(capabilities: object) -> str:
    as_dict = getattr(capabilities, "as_dict", None)
    return repr(as_dict() if callable(as_dict) else capabilities)


def _import_target(target: str) -> object:
    """The object a ``"package.module:Name"`` target names, imported now."""
    from importlib import import_module

    module_name, _, attribute = target.partition(":")
    value: object = import_module(module_name)
    for part in attribute.split("."):
        value = getattr(value, part)
    return value


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


class _EntryPoint:
    """One ``qrplex`` entry point, as :func:`scan_entry_points` found it: its name and
    ``module:attribute`` value, loaded like ``importlib.metadata.EntryPoint.load``."""

    __slots__ = ("name", "value")

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self.value = value

    def load(self) -> object:
        """Import the module and return the object the value names."""
        from importlib import import_module

        match = _VALUE.fullmatch(self.value)
        if match is None:
            raise ValueError(f"malformed entry point value {self.value!r}")
        value: object = import_module(match["module"])
        for part in filter(None, (match["attr"] or "").split(".")):
            value = getattr(value, part)
        return value

    def __repr__(self) -> str:
        return f"<EntryPoint {self.name} = {self.value}>"


_VALUE = re.compile(r"\s*(?P<module>[\w.]+)\s*(?::\s*(?P<attr>[\w.]+)\s*)?(?:\[.*\]\s*)?")
_SEPARATORS = re.compile(r"[-_.]+")

_Scan = list[tuple[_EntryPoint, _PluginOrigin]]
_scan: tuple[tuple[object, ...], _Scan] | None = None
_scan_lock = threading.Lock()


def _scan_key() -> tuple[object, ...]:
    """What the entry points depend on: ``sys.path`` and when each of its directories last
    changed (installing a distribution adds a ``.dist-info`` directory to one of them)."""
    key: list[object] = []
    for entry in sys.path:
        try:
            key.append((entry, os.stat(entry or ".").st_mtime_ns))
        except (OSError, ValueError, TypeError):
            key.append((entry, None))
    return tuple(key)


def scan_entry_points() -> _Scan:
    """The ``qrplex`` entry points with the plugin origin of each, scanned once per process:
    again only after :func:`reset_default_registry`, or when ``sys.path`` or one of its
    directories changed."""
    global _scan
    key = _scan_key()
    with _scan_lock:
        if _scan is not None and _scan[0] == key:
            return _scan[1]
    found = _read_entry_points()
    with _scan_lock:
        _scan = (key, found)
    return found


def _read_entry_points() -> _Scan:
    """The scan itself: :func:`_scan_directories`, or ``importlib.metadata`` where that
    declines (a zip file on ``sys.path``, a finder of distributions of its own)."""
    found = _scan_directories()
    if found is not None:
        return found
    from importlib import metadata

    result: _Scan = []
    for entry_point in metadata.entry_points(group=_hookspecs.PROJECT_NAME):
        dist = entry_point.dist
        origin = _PluginOrigin(
            entry_point.name,
            dist.metadata["Name"] if dist is not None else None,
            dist.version if dist is not None else None,
        )
        result.append((_EntryPoint(entry_point.name, entry_point.value), origin))
    return result


def _scan_directories() -> _Scan | None:
    """The ``qrplex`` entry points of the ``*.dist-info`` / ``*.egg-info`` directories in
    the directories on ``sys.path``, as ``importlib.metadata.entry_points`` finds them (same
    order; a distribution found twice counts once, the first on ``sys.path``), without
    importing it: ``importlib.metadata`` (email, zipfile, csv, pathlib...) was a third of
    ``qrplex make``'s start-up. Only the few distributions with a ``[qrplex]`` section have
    their metadata read. ``None`` when something on ``sys.path`` or ``sys.meta_path`` needs
    ``importlib.metadata`` itself (a zip file, a custom finder of distributions)."""
    from importlib.machinery import PathFinder

    for finder in sys.meta_path:
        if finder is PathFinder or not hasattr(finder, "find_distributions"):
            continue
        if type(finder).__qualname__ == "MetadataPathFinder" and type(finder).__module__.startswith(
            "importlib_metadata"
        ):
            continue  # the importlib_metadata backport's: sys.path again, as PathFinder
        return None
    group = f"[{_hookspecs.PROJECT_NAME}]"
    seen: set[str] = set()
    found: _Scan = []
    for entry in sys.path:
        root = entry or "."
        if root.lower().endswith(".egg"):
            return None  # an egg's EGG-INFO: importlib.metadata reads those
        try:
            names = os.listdir(root)
        except NotADirectoryError:
            return None  # a zip file: importlib.metadata reads those
        except (OSError, TypeError, ValueError):
            continue
        for name in names:
            stem, dot, suffix = name.rpartition(".")
            if not dot or suffix.lower() not in ("dist-info", "egg-info"):
                continue
            normalized = _SEPARATORS.sub("_", stem.partition("-")[0]).lower()
            if normalized in seen:
                continue
            seen.add(normalized)
            info = os.path.join(root, name)
            try:
                with open(os.path.join(info, "entry_points.txt"), encoding="utf-8") as handle:
                    text = handle.read()
            except (OSError, UnicodeDecodeError):
                continue  # unreadable: no plugin of ours can be in it
            if group not in text:
                continue
            points = _group_entries(text, group)
            if points:
                dist_name, version = _name_and_version(info)
                for point_name, value in points:
                    origin = _PluginOrigin(point_name, dist_name, version)
                    found.append((_EntryPoint(point_name, value), origin))
    return found


def _group_entries(text: str, group: str) -> list[tuple[str, str]]:
    """``(name, value)`` of each line of the section ``group`` of an ``entry_points.txt``."""
    entries = []
    inside = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            inside = line == group
            continue
        if inside:
            name, equals, value = line.partition("=")
            if equals:
                entries.append((name.strip(), value.strip()))
    return entries


def _name_and_version(info: str) -> tuple[str | None, str | None]:
    """``Name`` and ``Version`` from the header of ``METADATA`` (else ``PKG-INFO``)."""
    for filename in ("METADATA", "PKG-INFO"):
        try:
            with open(os.path.join(info, filename), encoding="utf-8") as handle:
                header = handle.read().split("\n\n", 1)[0]  # the body may be long
        except (OSError, UnicodeDecodeError):
            continue
        fields: dict[str, str] = {}
        for line in header.splitlines():
            key, colon, value = line.partition(":")
            if colon and key in ("Name", "Version"):
                fields.setdefault(key, value.strip())
        return fields.get("Name"), fields.get("Version")
    return None, None


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
    """Forget the process-wide registry and entry-point scan (the next use rescans)."""
    global _default, _scan
    with _default_lock:
        _default = None
    with _scan_lock:
        _scan = None


def _after_fork_in_child() -> None:
    """A forked child has only the thread that forked: a lock another thread of the parent
    held at that moment (building the registry, importing a declared backend) would stay
    locked in the child for ever. The child gets fresh ones; what they protect is either
    done (and kept) or done again."""
    global _default_lock, _scan_lock
    _default_lock = threading.Lock()
    _scan_lock = threading.Lock()
    if _default is not None:
        _default._load_lock = threading.RLock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
