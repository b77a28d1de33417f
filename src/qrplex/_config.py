"""Configuration resolution: where each setting comes from, in one precedence chain.

Highest first, the same in the library and the CLI:

1. explicit arguments (``Client(backend=..., config={...})``, CLI flags);
2. the environment: ``QRPLEX_BACKEND``, ``QRPLEX_FALLBACK``, ``QRPLEX_<BACKEND>_<KEY>``
   (then a backend's own conventional variables, such as ``TENCENTCLOUD_SECRET_ID``);
3. the file named by ``QRPLEX_CONFIG``;
4. ``qrplex.toml``, then ``[tool.qrplex]`` in ``pyproject.toml``, in the working directory;
5. the user's ``config.toml`` in the platform config dir (``~/.config/qrplex`` on Linux);
6. built-in defaults (backend ``local``).

Every file has the same shape::

    backend = "cloudinfinite"
    fallback = ["local"]

    [backends.cloudinfinite]
    bucket = "examplebucket-1250000000"
    region = "ap-guangzhou"
"""

from __future__ import annotations

import math
import os
import stat
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._arguments import describe, short_repr
from ._backend import Setting
from ._retry import MAX_BACKOFF
from .errors import ConfigError

__all__ = [
    "DEFAULT_BACKEND",
    "ResolvedConfig",
    "Sourced",
    "config_fingerprint",
    "config_snapshot",
    "load_config",
    "user_config_path",
]

DEFAULT_BACKEND = "local"
CONFIG_ENV = "QRPLEX_CONFIG"
REDACTED = "********"


@dataclass(frozen=True, slots=True)
class Sourced:
    """A setting's value and where it came from (``"argument"``, a variable, a file, ...)."""

    value: Any
    source: str


def _as_name(value: object, where: str, key: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: {key!r} must be a backend name (a non-empty string)")
    return value.strip()


def _as_names(value: object, where: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, Sequence) and all(isinstance(v, str) for v in value):
        return tuple(v.strip() for v in value if v.strip())
    raise ConfigError(f'{where}: {key!r} must be a list of backend names, e.g. ["local"]')


def _as_bool(value: object, where: str, key: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in {"1", "true", "yes", "on"}:
        return True
    if isinstance(value, str) and value.strip().lower() in {"0", "false", "no", "off", ""}:
        return False
    raise ConfigError(f"{where}: {key!r} must be true or false")


def _number(
    kind: type[int] | type[float], minimum: float, maximum: float, unit: str = ""
) -> Callable[[object, str, str], Any]:
    """A parser of a bounded number: a whole number (``int``, or a string of one, as the
    environment gives) or any finite number (``float``). Booleans, ``1.5`` for a whole
    number, NaN, infinities and anything outside ``[minimum, maximum]`` are refused."""
    noun = "a whole number" if kind is int else "a number"
    allowed = f"{noun}{unit} from {_plain(minimum)} to {_plain(maximum)}"

    def parse(value: object, where: str, key: str) -> Any:
        if value is None or value == "":
            return None
        number = _to_number(kind, value)
        if number is None or not minimum <= number <= maximum:
            raise ConfigError(f"{where}: {key!r} must be {allowed}, not {short_repr(value)}")
        return number

    return parse


def _plain(number: float) -> str:
    """``30`` for ``30.0``, ``0.5`` for ``0.5``."""
    return str(int(number)) if float(number).is_integer() else str(number)


def _to_number(kind: type[int] | type[float], value: object) -> int | float | None:
    """``value`` as a finite ``kind``, or ``None`` when it is not one."""
    if isinstance(value, bool):
        return None
    try:
        if kind is int:
            if isinstance(value, int):
                return value
            return int(value.strip()) if isinstance(value, str) else None
        if isinstance(value, int | float):
            number = float(value)
        elif isinstance(value, str):
            number = float(value.strip())
        else:
            return None
    except (ValueError, OverflowError):  # not a number, or an int beyond any float
        return None
    return number if math.isfinite(number) else None


def _as_path(value: object, where: str, key: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or "\0" in value:
        raise ConfigError(f"{where}: {key!r} must be a directory path (a string)")
    return os.path.expanduser(value)


DAY = 86_400.0
"""Seconds in a day: the longest deadline and breaker cooldown."""

MAX_RETRIES = 100
MAX_RETRY_BACKOFF = MAX_BACKOFF  # a first wait longer than the longest wait means nothing
MAX_BREAKER_THRESHOLD = 1_000_000_000  # the conformance kit uses it as "no breaker"
MAX_CACHE_MB = 1_048_576.0  # 1 TiB
MAX_CONFIG_BYTES = 1 << 20  # the message below says 1 MiB
"""The largest config file read (1 MiB); a bigger one is refused, not parsed."""

# Top-level keys: name -> (parser, default, environment variable).
TOP_LEVEL: dict[str, tuple[Callable[[object, str, str], Any], Any, str | None]] = {
    "backend": (_as_name, DEFAULT_BACKEND, "QRPLEX_BACKEND"),
    "fallback": (_as_names, None, "QRPLEX_FALLBACK"),
    "fallback_on_auth_error": (_as_bool, False, "QRPLEX_FALLBACK_ON_AUTH_ERROR"),
    "retries": (_number(int, 0, MAX_RETRIES), 2, "QRPLEX_RETRIES"),
    "retry_backoff": (
        _number(float, 0, MAX_RETRY_BACKOFF, " of seconds"),
        0.1,
        "QRPLEX_RETRY_BACKOFF",
    ),
    "deadline": (_number(float, 0, DAY, " of seconds"), 30.0, "QRPLEX_DEADLINE"),
    "breaker_threshold": (
        _number(int, 1, MAX_BREAKER_THRESHOLD),
        5,
        "QRPLEX_BREAKER_THRESHOLD",
    ),
    "breaker_cooldown": (_number(float, 0, DAY, " of seconds"), 30.0, "QRPLEX_BREAKER_COOLDOWN"),
    "cache_dir": (_as_path, None, "QRPLEX_CACHE_DIR"),
    "cache_max_mb": (_number(float, 0, MAX_CACHE_MB, " of MB"), 100.0, "QRPLEX_CACHE_MAX_MB"),
}


def user_config_path(environ: Mapping[str, str] | None = None) -> Path:
    """The user's config file (``config.toml`` in the platform config dir).

    On Linux the directory is found without importing platformdirs (a few milliseconds of
    every start-up) where its answer is plain XDG: ``$XDG_CONFIG_HOME/qrplex`` when that is
    an absolute path, ``$HOME/.config/qrplex`` when it is unset or empty and ``HOME`` is
    absolute. Anything else (other platforms, a relative ``XDG_CONFIG_HOME``, no ``HOME``)
    is platformdirs' to answer.
    """
    env = os.environ if environ is None else environ
    quick = _xdg_config_dir(env) if sys.platform == "linux" else None
    if quick is not None:
        return Path(quick) / "config.toml"
    import platformdirs

    return Path(platformdirs.user_config_dir("qrplex", appauthor=False)) / "config.toml"


def _xdg_config_dir(env: Mapping[str, str]) -> str | None:
    """``qrplex``'s XDG config directory, or ``None`` when platformdirs must decide."""
    if "ANDROID_DATA" in env:
        return None  # platformdirs has rules of its own for Android
    xdg = env.get("XDG_CONFIG_HOME", "")
    if os.path.isabs(xdg):
        return os.path.join(xdg, "qrplex")
    home = env.get("HOME", "")
    if xdg == "" and os.path.isabs(home):
        return os.path.join(home, ".config", "qrplex")
    return None


class _Layer:
    """One source of settings (a file, the arguments): where from, and its table. A plain
    class, not a dataclass: creating a dataclass costs every ``qrplex`` start-up ~0.3 ms."""

    __slots__ = ("data", "source")

    def __init__(self, source: str, data: Mapping[str, Any]) -> None:
        self.source = source
        self.data = data

    def __repr__(self) -> str:
        return f"_Layer(source={self.source!r}, data=...)"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Layer):
            return NotImplemented
        return (self.source, self.data) == (other.source, other.data)

    __hash__ = None  # type: ignore[assignment]


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _not_regular(mode: int) -> str | None:
    """What a file that is not a regular file is (``"a FIFO (named pipe)"``, ...)."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _read_toml(path: Path, label: str, *, required: bool) -> dict[str, Any] | None:
    """The TOML document at ``path``; ``None`` when it does not exist and is not
    ``required``. ``label`` names the file in messages.

    Only a regular file of at most :data:`MAX_CONFIG_BYTES` is read: anything else (a
    directory, a FIFO that would block, a device) is a :class:`ConfigError` saying what it is.
    """
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError) as error:
        if os.path.lexists(path):
            raise ConfigError(f"{label}: a symbolic link to a missing file") from None
        if required:
            reason = "no such file" if isinstance(error, FileNotFoundError) else error.strerror
            raise ConfigError(f"{label}: {reason}") from None
        return None
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not a valid path"
        raise ConfigError(f"{label}: cannot be read: {reason}") from None
    kind = _not_regular(info.st_mode)
    if kind is not None:
        raise ConfigError(f"{label}: is {kind}, not a regular file")
    try:
        # O_NONBLOCK: if it was swapped for a FIFO since the stat, opening must not block.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as handle:
            kind = _not_regular(os.fstat(fd).st_mode)
            if kind is not None:
                raise ConfigError(f"{label}: is {kind}, not a regular file")
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise ConfigError(f"{label}: cannot be read: {error.strerror}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{label}: larger than 1 MiB, too large for a config file")
    import tomllib  # only when a config file exists: a few milliseconds of start-up

    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(f"{label}: not UTF-8 text; TOML files must be saved as UTF-8") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{label}: not valid TOML: {error}") from None
    except RecursionError:
        raise ConfigError(f"{label}: not valid TOML: nested too deeply") from None


def _check_layer(layer: _Layer) -> _Layer:
    allowed = {*TOP_LEVEL, "backends"}
    for key, value in layer.data.items():
        if key not in allowed:
            raise ConfigError(
                f"{layer.source}: unknown key {key!r}; allowed keys: {', '.join(sorted(allowed))}"
            )
        if key == "backends":
            if not isinstance(value, Mapping) or not all(
                isinstance(table, Mapping) for table in value.values()
            ):
                raise ConfigError(
                    f"{layer.source}: 'backends' must hold one table per backend, "
                    "e.g. [backends.cloudinfinite]"
                )
        else:
            TOP_LEVEL[key][0](value, layer.source, key)
    return layer


def _file_layers(environ: Mapping[str, str], cwd: Path, user_file: Path | None) -> list[_Layer]:
    layers: list[_Layer] = []
    named = environ.get(CONFIG_ENV, "").strip()
    if named:
        path = Path(named).expanduser()
        data = _read_toml(path, f"{CONFIG_ENV}={named}", required=True)
        layers.append(_Layer(str(path), data or {}))
    project = cwd / "qrplex.toml"
    data = _read_toml(project, str(project), required=False)
    if data is not None:
        layers.append(_Layer(str(project), data))
    pyproject = cwd / "pyproject.toml"
    data = _read_toml(pyproject, str(pyproject), required=False)
    if data is not None:
        tool = data.get("tool", {})
        section = tool.get("qrplex") if isinstance(tool, Mapping) else None
        if section is not None:
            if not isinstance(section, Mapping):
                raise ConfigError(f"{pyproject}: [tool.qrplex] must be a table")
            layers.append(_Layer(f"{pyproject} [tool.qrplex]", section))
    if user_file is not None:
        data = _read_toml(user_file, str(user_file), required=False)
        if data is not None:
            layers.append(_Layer(str(user_file), data))
    return [_check_layer(layer) for layer in layers]


@dataclass(frozen=True)
class ResolvedConfig:
    """Every setting with its source, resolved once per :class:`qrplex.Client`."""

    values: Mapping[str, Sourced]
    """Top-level settings (``backend``, ``fallback``, ...)."""

    layers: tuple[_Layer, ...] = field(repr=False)  # may hold secrets
    """The explicit and file layers, highest precedence first (for backend tables)."""

    environ: Mapping[str, str] = field(repr=False)  # the whole environment: secrets too

    @property
    def backend(self) -> str:
        """The primary backend's name."""
        return str(self.values["backend"].value)

    @property
    def fallback(self) -> tuple[str, ...] | None:
        """The fallback chain, or ``None`` when nothing set it (the client picks a default)."""
        value = self.values["fallback"].value
        return None if value is None else tuple(value)

    def get(self, key: str) -> Any:
        """A top-level setting's value."""
        return self.values[key].value

    def backend_settings(self, name: str, settings: Sequence[Setting]) -> dict[str, Sourced]:
        """The resolved settings of backend ``name``, with sources.

        Raises:
            ConfigError: a ``[backends.<name>]`` table has a key the backend does not read.
        """
        known = {s.name for s in settings}
        for layer in self.layers:
            table = layer.data.get("backends", {}).get(name, {})
            unknown = sorted(set(table) - known, key=str)
            if unknown:
                allowed = ", ".join(sorted(known)) or "none"
                raise ConfigError(
                    f"{layer.source}: [backends.{name}] has unknown key {unknown[0]!r}; "
                    f"backend {name!r} reads: {allowed}"
                )
        prefix = f"QRPLEX_{name.upper().replace('-', '_')}_"
        resolved: dict[str, Sourced] = {}
        for setting in settings:
            resolved[setting.name] = self._backend_value(name, setting, prefix)
        return resolved

    def _backend_value(self, name: str, setting: Setting, prefix: str) -> Sourced:
        explicit = [layer for layer in self.layers if layer.source == "argument"]
        files = [layer for layer in self.layers if layer.source != "argument"]
        for layer in explicit:
            table = layer.data.get("backends", {}).get(name, {})
            if setting.name in table:
                return Sourced(table[setting.name], layer.source)
        for variable in (prefix + setting.name.upper(), *setting.env):
            if self.environ.get(variable, "") != "":
                return Sourced(self.environ[variable], f"environment variable {variable}")
        for layer in files:
            table = layer.data.get("backends", {}).get(name, {})
            if setting.name in table:
                return Sourced(table[setting.name], layer.source)
        return Sourced(setting.default, "default")


def _kind(value: object) -> str:
    return describe(value, show_text=False)


def _checked_environ(environ: object) -> Mapping[str, str]:
    """``environ`` if it maps strings to strings, like ``os.environ``."""
    if not isinstance(environ, Mapping):
        raise ConfigError(
            f"environ must be a mapping of strings, like os.environ, not {_kind(environ)}"
        )
    for name, value in environ.items():
        if not isinstance(name, str):
            raise ConfigError(f"environ: variable names must be strings, not {_kind(name)}")
        if not isinstance(value, str):
            # The value is not shown: it may be a secret.
            raise ConfigError(
                f"environ: the value of {name} must be a string, not {type(value).__name__}"
            )
    return environ


def load_config(
    explicit: Mapping[str, Any] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    user_file: str | os.PathLike[str] | bool | None = True,
) -> ResolvedConfig:
    """Resolve configuration from every source (see the module docstring for the order).

    Args:
        explicit: settings given in code, in the same shape as a config file; ``None`` values
            are ignored (so a CLI can pass its unset flags straight through).
        environ: the environment (default ``os.environ``).
        cwd: where ``qrplex.toml`` / ``pyproject.toml`` are looked for (default: the
            working directory).
        user_file: the user config file; ``True`` for the platform default, ``False``/
            ``None`` for none.

    Raises:
        ConfigError: a file is malformed or a value has the wrong type; the message names
            the file, the key and the problem.
    """
    env = os.environ if environ is None else _checked_environ(environ)
    if cwd is not None and not isinstance(cwd, str | os.PathLike):
        raise ConfigError(f"cwd must be a directory path (str or os.PathLike), not {_kind(cwd)}")
    base = Path.cwd() if cwd is None else Path(cwd)
    if not isinstance(user_file, bool | str | os.PathLike | None):
        raise ConfigError(f"user_config must be True, False or a file path, not {_kind(user_file)}")
    user_path = user_config_path() if user_file is True else None
    if user_file and user_file is not True:
        user_path = Path(user_file)
    if explicit is not None and not isinstance(explicit, Mapping):
        raise ConfigError(
            "config must be a mapping in the shape of a config file "
            f'(e.g. {{"backend": "local", "retries": 2}}), not {_kind(explicit)}'
        )
    given = {k: v for k, v in (explicit or {}).items() if v is not None}
    explicit_layer = _check_layer(_Layer("argument", given))
    files = _file_layers(env, base, user_path)
    layers = (explicit_layer, *files)
    values: dict[str, Sourced] = {}
    for key, (parse, default, variable) in TOP_LEVEL.items():
        if key in explicit_layer.data:
            values[key] = Sourced(parse(explicit_layer.data[key], "argument", key), "argument")
        elif variable and env.get(variable, "").strip():
            source = f"environment variable {variable}"
            values[key] = Sourced(parse(env[variable], source, key), source)
        else:
            layer = next((layer for layer in files if key in layer.data), None)
            if layer is not None:
                values[key] = Sourced(parse(layer.data[key], layer.source, key), layer.source)
            else:
                values[key] = Sourced(default, "default")
    return ResolvedConfig(values=values, layers=layers, environ=env)


RECENT_NS = 2_000_000_000
"""A config file changed less than this long ago (2 s) is read again on every call: a file
rewritten twice within one tick of the file system's clock, at the same size, would look
unchanged (git's "racy" index entries, handled the same way)."""


def config_fingerprint() -> tuple[object, ...] | None:
    """What :func:`load_config` with its defaults (``os.environ``, the working directory, the
    user's config file) depends on, cheaply: a hash of the whole environment (every variable
    the configuration, the backends' settings and their HTTP clients read: ``QRPLEX_*``,
    ``TENCENTCLOUD_*``, ``XDG_CONFIG_HOME``, ``HOME``, proxies, CA bundles...), the working
    directory, and ``os.stat`` (device, inode, size, modification and change times) of every
    config file it would read, those that do not exist included. Equal fingerprints mean an
    equal configuration: a file rewritten in place at the same size and dated back with
    ``os.utime`` still has a new change time, a file replaced by a rename a new inode, and a
    symbolic link pointed elsewhere the stat of its new target.

    ``None`` (do not reuse anything) while a config file changed within :data:`RECENT_NS`.
    Only a hash of the environment is kept, never a value: the fingerprint holds no secret.
    """
    return _fingerprint(_environ_items(), os.environ)


def config_snapshot() -> tuple[tuple[object, ...] | None, dict[str, str]]:
    """:func:`config_fingerprint` and a copy of the environment it hashed, taken together:
    a client built from that copy (``Client(environ=...)``) has exactly the configuration the
    fingerprint stands for, even if another thread changes ``os.environ`` meanwhile."""
    items = _environ_items()
    decode_key = getattr(os.environ, "decodekey", None)
    decode_value = getattr(os.environ, "decodevalue", None)
    if _RAW and callable(decode_key) and callable(decode_value):
        environ = {decode_key(k): decode_value(v) for k, v in items}
    else:
        environ = dict(items)
    return _fingerprint(items, environ), environ


_RAW = isinstance(getattr(os.environ, "_data", None), dict)
"""Whether :func:`_environ_items` reads ``os.environ``'s raw (encoded) mapping."""


def _environ_items() -> tuple[tuple[Any, Any], ...]:
    data = getattr(os.environ, "_data", None)  # CPython: the raw mapping, ~10x faster to hash
    return tuple(data.items()) if isinstance(data, dict) else tuple(os.environ.items())


def _fingerprint(
    items: tuple[tuple[Any, Any], ...], environ: Mapping[str, str]
) -> tuple[object, ...] | None:
    """The fingerprint of ``items`` (the environment), ``environ`` being the same environment
    decoded: the config files it names are those stat'ed."""
    try:
        cwd = os.getcwd()
    except OSError:
        return None  # the working directory was removed: load_config will say so
    named = environ.get(CONFIG_ENV, "").strip()
    candidates = [
        os.path.expanduser(named) if named else None,
        os.path.join(cwd, "qrplex.toml"),
        os.path.join(cwd, "pyproject.toml"),
        str(user_config_path(environ)),
    ]
    files: list[object] = []
    now = None
    for candidate in candidates:
        if candidate is None:
            files.append(None)
            continue
        try:
            info = os.stat(candidate)
        except (OSError, ValueError):
            files.append((candidate, None))
            continue
        if now is None:
            import time

            now = time.time_ns()
        if now - info.st_mtime_ns < RECENT_NS:
            return None
        files.append(
            (
                candidate,
                info.st_dev,
                info.st_ino,
                info.st_size,
                info.st_mtime_ns,
                info.st_ctime_ns,
            )
        )
    return (hash(items), cwd, tuple(files))
