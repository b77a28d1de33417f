"""Module-level functions: one-off generation and introspection with default settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._model import CodeImage
    from ._registry_info import BackendInfo

__all__ = ["agenerate", "backends", "generate", "symbologies"]


def generate(
    content: str,
    *,
    symbology: str = "qr",
    format: str = "png",
    width: int | None = None,
    backend: str | None = None,
    verify: bool = False,
    **options: Any,
) -> CodeImage:
    """Generate one code with settings from the environment and config files.

    Equivalent to ``with Client() as c: c.generate(...)``; create a :class:`qrplex.Client`
    to reuse connections and settings across many calls. See
    :meth:`qrplex.Client.generate` for the arguments and errors.

    >>> qrplex.generate("https://example.com").save("qr.png")
    >>> qrplex.generate("590123412345", symbology="ean13", width=300).content
    '5901234123457'
    """
    from ._client import Client

    with Client() as client:
        return client.generate(
            content,
            symbology=symbology,
            format=format,
            width=width,
            backend=backend,
            verify=verify,
            **options,
        )


async def agenerate(
    content: str,
    *,
    symbology: str = "qr",
    format: str = "png",
    width: int | None = None,
    backend: str | None = None,
    verify: bool = False,
    **options: Any,
) -> CodeImage:
    """Async :func:`generate`."""
    from ._client import Client

    async with Client() as client:
        return await client.agenerate(
            content,
            symbology=symbology,
            format=format,
            width=width,
            backend=backend,
            verify=verify,
            **options,
        )


def backends() -> list[BackendInfo]:
    """Every installed backend, and every plugin that failed to load, with its status."""
    from ._registry import default_registry

    return default_registry().infos()


def symbologies() -> list[str]:
    """The names of the symbologies qrplex knows: the core's nine, then those installed
    plugins add (backends support subsets of them)."""
    from ._validation import registered_symbologies

    return list(registered_symbologies())
