"""The base class every backend implements, and the data it declares about itself."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from ._model import CodeRequest, Rendering

__all__ = ["Backend", "Capabilities", "Setting"]


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What a backend can serve, as data (shown by ``qrplex backends``).

    Attributes:
        symbologies: symbology names it renders (``"qr"``, ``"ean13"``, ...).
        formats: output formats it writes (``"png"``, ``"svg"``).
        options: request options it honours (``"error"``, ``"height"``, ...). A request that
            sets an option outside this set is unsupported by the backend.
        max_width: the largest ``width`` it accepts, if it has a limit.
        network: whether it calls a remote service (and so may be slow, fail or cost money).
    """

    symbologies: frozenset[str]
    formats: frozenset[str]
    options: frozenset[str] = frozenset()
    max_width: int | None = None
    network: bool = False

    def refusal(self, request: CodeRequest, user_options: Iterable[str] = ()) -> str | None:
        """Why this backend cannot serve ``request``, or ``None`` if it can.

        ``user_options`` are the options the caller set explicitly; defaults the core filled
        in (such as the QR error level) do not make a request unsupported.
        """
        if request.symbology not in self.symbologies:
            served = ", ".join(sorted(self.symbologies))
            return f"symbology {request.symbology!r} (it has: {served})"
        if request.format not in self.formats:
            return f"format {request.format!r} (it has: {', '.join(sorted(self.formats))})"
        extra = sorted(set(user_options) - self.options)
        if extra:
            honoured = ", ".join(sorted(self.options)) or "none"
            return f"option {extra[0]!r} (it honours: {honoured})"
        too_wide = self.max_width is not None and (request.width or 0) > self.max_width
        if too_wide:
            return f"width {request.width} (its maximum is {self.max_width})"
        return None

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready view, sorted for stable output."""
        return {
            "symbologies": sorted(self.symbologies),
            "formats": sorted(self.formats),
            "options": sorted(self.options),
            "max_width": self.max_width,
            "network": self.network,
        }


@dataclass(frozen=True, slots=True)
class Setting:
    """One configuration key a backend reads from ``[backends.<name>]``.

    The same key is read from the environment as ``QRPLEX_<BACKEND>_<KEY>`` and, at lower
    precedence, from the variables named in ``env`` (for example Tencent's
    ``TENCENTCLOUD_SECRET_ID``).

    Attributes:
        name: the key, lowercase (``"secret_id"``).
        description: one line shown by ``qrplex config`` and in error messages.
        secret: never shown, logged or put in an error message; ``qrplex config`` redacts it.
        env: other environment variables that supply it, in order of preference.
        default: the value when nothing sets it.
    """

    name: str
    description: str
    secret: bool = False
    env: tuple[str, ...] = ()
    default: Any = None


class Backend(abc.ABC):
    """A code generator that qrplex can route requests to.

    A plugin subclasses this, sets the three class attributes and implements :meth:`render`,
    then registers the class from its ``qrplex_register_backends`` hook. The core validates
    every request before a backend sees it, so :meth:`render` receives only requests that are
    valid and that ``capabilities`` says it serves.

    Instances are created lazily by a :class:`qrplex.Client`, one per client, with the
    resolved settings for this backend, and closed with it. Raise
    :class:`qrplex.errors.ConfigError` from ``__init__`` when a required setting is missing.
    """

    name: ClassVar[str]
    """The name users select it by (``backend="local"``)."""

    capabilities: ClassVar[Capabilities]
    """What it can serve."""

    settings: ClassVar[tuple[Setting, ...]] = ()
    """The configuration keys it reads."""

    def __init__(self, config: Mapping[str, Any]) -> None:
        """Create the backend with its resolved settings (``{key: value}``)."""
        self.config = dict(config)

    @abc.abstractmethod
    def render(self, request: CodeRequest) -> Rendering:
        """Render one valid request; raise a :class:`qrplex.errors.BackendError` on failure."""

    async def arender(self, request: CodeRequest) -> Rendering:
        """Async :meth:`render`. The default runs :meth:`render` in a worker thread;
        backends with native async I/O override it."""
        import asyncio

        return await asyncio.to_thread(self.render, request)

    def close(self) -> None:  # noqa: B027 - optional hook, empty by design
        """Release resources (connection pools, ...). Called by ``Client.close()``."""

    async def aclose(self) -> None:
        """Async :meth:`close`."""
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} backend {self.name!r}>"
