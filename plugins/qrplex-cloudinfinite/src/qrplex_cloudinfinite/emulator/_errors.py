"""The service's error answers, as exceptions the app turns into XML."""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["ServiceError"]


class ServiceError(Exception):
    """An error answer: HTTP status, COS/CI code, message and extra ``<Error>`` fields.

    Never put a secret key in one: its fields are sent to the client.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        extra: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.extra = dict(extra or {})
        self.headers = dict(headers or {})


def invalid_argument(message: str) -> ServiceError:
    """400 ``InvalidArgument``."""
    return ServiceError(400, "InvalidArgument", message)


def access_denied(message: str, **extra: str) -> ServiceError:
    """403 ``AccessDenied``."""
    return ServiceError(403, "AccessDenied", message, extra=extra)
