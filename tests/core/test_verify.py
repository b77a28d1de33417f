"""``verify=True``: an image that does not read back as the content is never returned."""

from __future__ import annotations

import io
from typing import Any

import pytest
import segno

import qrplex
from qrplex._registry import Registry
from qrplex.testing import decode


class ShoutingBackend(qrplex.Backend):
    """A plugin backend with a real defect: it upper-cases what it encodes."""

    name = "shouting"
    capabilities = qrplex.Capabilities(frozenset({"qr"}), frozenset({"png"}))

    def render(self, request: qrplex.CodeRequest) -> qrplex.Rendering:
        code = segno.make(request.content.upper(), micro=False, mode="byte")
        out = io.BytesIO()
        code.save(out, kind="png", scale=4, border=4)
        width, height = code.symbol_size(scale=4, border=4)
        return qrplex.Rendering(out.getvalue(), "image/png", width, height)


class ShoutingPlugin:
    @staticmethod
    @qrplex.hookimpl
    def qrplex_register_backends(register: Any) -> None:
        register(ShoutingBackend)


def client(**kwargs: Any) -> qrplex.Client:
    registry = Registry(plugins=[("shouting", ShoutingPlugin)])
    return qrplex.Client(registry=registry, **kwargs)


def test_a_good_image_passes_verification() -> None:
    image = qrplex.generate("verified", verify=True, width=300)
    assert decode(image.data) == "verified"
    ean = qrplex.generate("590123412345", symbology="ean13", verify=True)
    assert ean.content == "5901234123457"


def test_a_misencoded_image_is_refused() -> None:
    with client(backend="shouting", fallback=[]) as c:
        assert decode(c.generate("quiet please").data) == "QUIET PLEASE"  # the defect
        with pytest.raises(qrplex.VerificationError, match="reads back as 'QUIET PLEASE'"):
            c.generate("quiet please", verify=True)


def test_verification_failure_falls_back_like_a_bad_response() -> None:
    with client(backend="shouting", fallback=["local"]) as c:
        image = c.generate("quiet please", verify=True)
    assert image.backend == "local"
    assert decode(image.data) == "quiet please"
    assert [a.error_type for a in image.attempts] == ["VerificationError"]


def test_content_that_survives_the_defect_passes() -> None:
    with client(backend="shouting", fallback=[]) as c:
        assert c.generate("ALREADY LOUD", verify=True).backend == "shouting"


def test_verify_needs_a_raster_format() -> None:
    with pytest.raises(qrplex.InvalidOptionError, match="format='png'"):
        qrplex.generate("x", format="svg", verify=True)


class TruncatingBackend(ShoutingBackend):
    """A plugin backend with another real defect: it cuts its PNGs short."""

    name = "truncating"

    def render(self, request: qrplex.CodeRequest) -> qrplex.Rendering:
        good = super().render(request)
        return qrplex.Rendering(good.data[:-40], good.media_type, good.width, good.height)


class TruncatingPlugin:
    @staticmethod
    @qrplex.hookimpl
    def qrplex_register_backends(register: Any) -> None:
        register(TruncatingBackend)


def test_a_truncated_png_is_never_returned_even_without_verify() -> None:
    registry = Registry(plugins=[("truncating", TruncatingPlugin)])
    with qrplex.Client(backend="truncating", fallback=["local"], registry=registry) as c:
        image = c.generate("CUT SHORT")
    assert image.backend == "local"
    assert [a.error_type for a in image.attempts] == ["BadResponseError"]
    assert "runs past the end of the file" in image.attempts[0].message
