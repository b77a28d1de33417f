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
import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._backend import Setting
from .errors import ConfigError

__all__ = [
    "DEFAULT_BACKEND",
    "ResolvedConfig",
    "Sourced",
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


def _number(kind: type[int] | type[float], minimum: float) -> Callable[[object, str, str], Any]:
    def parse(value: object, where: str, key: str) -> Any:
        if value is None or value == "":
            return None
        number: float | None = None
        if isinstance(value, int | float | str) and not isinstance(value, bool):
            try:
                number = kind(value)
            except ValueError:
                number = None
        if number is None or not math.isfinite(number) or number < minimum:
            noun = "a whole number" if kind is int else "a number"
            raise ConfigError(f"{where}: {key!r} must be {noun} >= {minimum}, not {value!r}")
        return number

    return parse


def _as_path(value: object, where: str, key: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{where}: {key!r} must be a directory path (a string)")
    return os.path.expanduser(value)


# Top-level keys: name -> (parser, default, environment variable).
TOP_LEVEL: dict[str, tuple[Callable[[object, str, str], Any], Any, str | None]] = {
    "backend": (_as_name, DEFAULT_BACKEND, "QRPLEX_BACKEND"),
    "fallback": (_as_names, None, "QRPLEX_FALLBACK"),
    "fallback_on_auth_error": (_as_bool, False, "QRPLEX_FALLBACK_ON_AUTH_ERROR"),
    "retries": (_number(int, 0), 2, "QRPLEX_RETRIES"),
    "retry_backoff": (_number(float, 0), 0.1, "QRPLEX_RETRY_BACKOFF"),
    "deadline": (_number(float, 0), 30.0, "QRPLEX_DEADLINE"),
    "breaker_threshold": (_number(int, 1), 5, "QRPLEX_BREAKER_THRESHOLD"),
    "breaker_cooldown": (_number(float, 0), 30.0, "QRPLEX_BREAKER_COOLDOWN"),
    "cache_dir": (_as_path, None, "QRPLEX_CACHE_DIR"),
    "cache_max_mb": (_number(float, 0), 100.0, "QRPLEX_CACHE_MAX_MB"),
}


def user_config_path() -> Path:
    """The user's config file (``config.toml`` in the platform config dir)."""
    import platformdirs

    return Path(platformdirs.user_config_dir("qrplex", appauthor=False)) / "config.toml"


@dataclass(frozen=True, slots=True)
class _Layer:
    source: str
    data: Mapping[str, Any]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML: {error}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; TOML files must be saved as UTF-8") from None
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read: {error.strerror}") from None


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
        if not path.is_file():
            what = "a directory, not a file" if path.is_dir() else "no such file"
            raise ConfigError(f"{CONFIG_ENV}={named}: {what}")
        layers.append(_Layer(str(path), _read_toml(path)))
    project = cwd / "qrplex.toml"
    if project.is_file():
        layers.append(_Layer(str(project), _read_toml(project)))
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        tool = _read_toml(pyproject).get("tool", {})
        section = tool.get("qrplex") if isinstance(tool, Mapping) else None
        if section is not None:
            if not isinstance(section, Mapping):
                raise ConfigError(f"{pyproject}: [tool.qrplex] must be a table")
            layers.append(_Layer(f"{pyproject} [tool.qrplex]", section))
    if user_file is not None and user_file.is_file():
        layers.append(_Layer(str(user_file), _read_toml(user_file)))
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
            unknown = sorted(set(table) - known)
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
    env = os.environ if environ is None else environ
    base = Path.cwd() if cwd is None else Path(cwd)
    user_path = user_config_path() if user_file is True else None
    if user_file and user_file is not True:
        user_path = Path(user_file)
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
