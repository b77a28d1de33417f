"""Every error qrplex raises, in one tree.

Catch at the level you care about::

    QrplexError                       anything qrplex raises on purpose
    ├── InvalidRequestError           the request itself is wrong (also a ValueError);
    │   │                             raised before any backend runs, never worth a retry
    │   ├── InvalidContentError       content a symbology cannot carry: empty, bad characters,
    │   │                             wrong length or check digit, over capacity
    │   └── InvalidOptionError        an option or width that is not allowed (width too small, ...)
    ├── UnsupportedError              a backend cannot serve this symbology / format / option
    │                                 (also a ValueError); lists what it can serve
    ├── UnknownBackendError           no backend of that name (also a LookupError); lists the
    │                                 installed ones
    ├── ConfigError                   malformed config or a missing setting; names the file,
    │                                 key and problem
    ├── PluginError                   a plugin failed to load or register (duplicate backend
    │                                 names, misspelled hooks, ...)
    └── BackendError                  a failure inside a backend while it was serving a request;
        │                             carries ``backend``, and where known ``status``,
        │                             ``code``, ``request_id``
        ├── BackendUnavailableError   transport errors, timeouts, 5xx, throttling: transient
        ├── BackendAuthError          credentials rejected (wrong key, expired signature, ...)
        ├── BackendRejectedError      the service refused a request the core let through
        ├── BadResponseError          the service answered with something unusable
        │   └── VerificationError     ``verify=True``: the image does not read back as the
        │                             content
        └── AllBackendsFailedError    backends of the fallback chain failed, more than one;
                                      ``attempts`` lists every try (when only one backend
                                      was tried, its own error is raised, with ``attempts``)

No message or ``repr`` of any of these ever contains a secret: backends redact what a service
says before putting it in a :class:`BackendError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._model import Attempt

__all__ = [
    "AllBackendsFailedError",
    "BackendAuthError",
    "BackendError",
    "BackendRejectedError",
    "BackendUnavailableError",
    "BadResponseError",
    "ConfigError",
    "InvalidContentError",
    "InvalidOptionError",
    "InvalidRequestError",
    "PluginError",
    "QrplexError",
    "UnknownBackendError",
    "UnsupportedError",
    "VerificationError",
]


class QrplexError(Exception):
    """Base class of every error qrplex raises on purpose."""


class InvalidRequestError(QrplexError, ValueError):
    """The request is wrong in itself; no backend could serve it."""


class InvalidContentError(InvalidRequestError):
    """The content cannot be carried by the chosen symbology."""


class InvalidOptionError(InvalidRequestError):
    """An option (width, error level, ...) has a value that is not allowed."""


class UnsupportedError(QrplexError, ValueError):
    """The chosen backend cannot serve this symbology, format or option."""


class UnknownBackendError(QrplexError, LookupError):
    """No backend of the requested name is installed."""


class ConfigError(QrplexError):
    """Configuration is malformed, or a required setting is missing."""


class PluginError(QrplexError):
    """A plugin could not be loaded or registered."""


class BackendError(QrplexError):
    """A backend failed while serving a request.

    Attributes:
        backend: name of the backend that failed.
        status: HTTP status, when the failure came from an HTTP service.
        code: the service's own error code (``SignatureDoesNotMatch``, ...).
        request_id: the service's request id, to quote to its support.
    """

    transient: bool = False
    """Whether trying again later may succeed (used by routing and retries)."""

    def __init__(
        self,
        message: str,
        *,
        backend: str,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        self.message = message
        self.backend = backend
        self.status = status
        self.code = code
        self.request_id = request_id
        self.attempts: tuple[Attempt, ...] = ()
        """Every failed attempt of the call that raised it (retries included)."""
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only arguments: rebuild through __dict__ so errors cross process pools.
        return (_rebuild, (type(self), self.__dict__))

    def __str__(self) -> str:
        details = [
            f"{label} {value}"
            for label, value in (
                ("HTTP", self.status),
                ("code", self.code),
                ("request id", self.request_id),
            )
            if value is not None
        ]
        suffix = f" ({', '.join(details)})" if details else ""
        return f"{self.backend}: {self.message}{suffix}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class BackendUnavailableError(BackendError):
    """The backend could not be reached or is overloaded; worth trying again or elsewhere."""

    transient = True

    def __init__(
        self,
        message: str,
        *,
        backend: str,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, backend=backend, status=status, code=code, request_id=request_id)
        self.retry_after = retry_after
        """Seconds the service asked us to wait (``Retry-After``), if it said."""


class BackendAuthError(BackendError):
    """The backend rejected the credentials or the request signature."""


class BackendRejectedError(BackendError):
    """The service refused the request as invalid (HTTP 400 and the like)."""


class BadResponseError(BackendError):
    """The backend answered, but with something that is not a usable image."""


class VerificationError(BadResponseError):
    """``verify=True`` and the image does not decode to the content (falls back like any
    bad response)."""


class AllBackendsFailedError(BackendError):
    """Every backend that could serve the request failed; ``attempts`` says how."""

    def __init__(self, attempts: tuple[Attempt, ...]) -> None:
        backends = list(dict.fromkeys(a.backend for a in attempts))
        summaries = []
        for name in backends:
            mine = [a for a in attempts if a.backend == name]
            last = mine[-1]
            tries = f"{len(mine)} attempts, last " if len(mine) > 1 else ""
            summaries.append(f"{tries}{last.error_type}: {last.message}")
        super().__init__(
            f"every backend failed ({'; '.join(summaries)})", backend=" -> ".join(backends)
        )
        self.attempts = attempts
        self.transient = any(a.transient for a in attempts)

    def __str__(self) -> str:
        return self.message


def _rebuild(cls: type[BackendError], state: dict[str, Any]) -> BackendError:
    error = cls.__new__(cls)
    Exception.__init__(error, state.get("message", ""))
    error.__dict__.update(state)
    return error
