"""The public API end to end with the default local backend."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

import qrplex
from qrplex.testing import decode


def test_generate_returns_a_truthful_code_image(tmp_path: Path) -> None:
    image = qrplex.generate("https://example.com", width=290)
    assert (image.media_type, image.symbology, image.backend) == ("image/png", "qr", "local")
    assert (image.width, image.height) == (290, 290)
    assert image.content == "https://example.com"
    assert image.attempts == ()
    assert decode(image.data) == "https://example.com"
    target = tmp_path / "qr.png"
    image.save(target)
    assert target.read_bytes() == image.data
    assert image.data_uri().startswith("data:image/png;base64,iVBORw0KGgo")
    assert "bytes=" in repr(image)
    assert "local" in repr(image)


def test_ean13_check_digit_is_computed_and_reported() -> None:
    image = qrplex.generate("590123412345", symbology="ean13", width=300)
    assert image.content == "5901234123457"
    assert decode(image.data) == "5901234123457"
    assert image.width == 300


def test_svg_output() -> None:
    image = qrplex.generate("svg please", format="svg", width=250)
    assert image.media_type == "image/svg+xml"
    assert image.data.lstrip().startswith((b"<?xml", b"<svg"))
    assert image.width == 250


def test_client_is_reusable_and_a_context_manager() -> None:
    with qrplex.Client() as client:
        first = client.generate("one")
        second = client.generate("two", symbology="code128", width=400)
        assert client.backend("local") is client.backend("local")
    assert decode(first.data) == "one"
    assert decode(second.data) == "two"


def test_async_generate_mirrors_sync() -> None:
    async def main() -> list[qrplex.CodeImage]:
        async with qrplex.Client() as client:
            return list(await asyncio.gather(*(client.agenerate(f"n{i}") for i in range(4))))

    images = asyncio.run(main())
    assert [decode(i.data) for i in images] == ["n0", "n1", "n2", "n3"]
    assert decode(asyncio.run(qrplex.agenerate("module level")).data) == "module level"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"content": ""}, qrplex.InvalidContentError, "empty"),
        ({"content": "12345678901", "symbology": "ean13"}, qrplex.InvalidContentError, "12"),
        (
            {"content": "5901234123458", "symbology": "ean13"},
            qrplex.InvalidContentError,
            "check digit",
        ),
        ({"content": "abc", "symbology": "ean13"}, qrplex.InvalidContentError, "digit"),
        ({"content": "x" * 3000}, qrplex.InvalidContentError, "2331"),
        ({"content": "x" * 3000, "error": "H"}, qrplex.InvalidContentError, "1273"),
        ({"content": "x", "symbology": "maxicode"}, qrplex.InvalidOptionError, "qr, microqr"),
        ({"content": "x", "format": "gif"}, qrplex.InvalidOptionError, "png, svg"),
        ({"content": "x", "width": 20}, qrplex.InvalidOptionError, "29"),
        ({"content": "x", "error": "Z"}, qrplex.InvalidOptionError, "L, M, Q, H"),
        ({"content": "x", "colour": "red"}, qrplex.InvalidOptionError, "error"),
        ({"content": "héllo", "symbology": "code39"}, qrplex.InvalidContentError, "Code 39"),
        (
            {"content": "x" * 5000, "symbology": "code128"},
            qrplex.InvalidContentError,
            "at most 10000 px",
        ),
    ],
)
def test_bad_input_gets_a_typed_error(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message) as caught:
        qrplex.generate(**kwargs)  # type: ignore[arg-type]
    assert isinstance(caught.value, qrplex.QrplexError)
    assert isinstance(caught.value, ValueError)


def test_unsupported_request_names_what_the_backend_supports() -> None:
    with pytest.raises(qrplex.UnsupportedError, match="cloudinfinite does not support format"):
        qrplex.generate("x", format="svg", backend="cloudinfinite")


def test_errors_form_one_tree() -> None:
    for name in qrplex.errors.__all__:
        assert issubclass(getattr(qrplex.errors, name), qrplex.QrplexError)
        assert getattr(qrplex, name) is getattr(qrplex.errors, name)


def test_import_loads_nothing_but_the_package_module() -> None:
    import subprocess
    import sys

    code = (
        "import sys, qrplex; "
        "print(sorted(m for m in sys.modules if m.startswith(('pluggy', 'qrplex', 'segno', "
        "'typing'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['qrplex']"


def test_lazy_names_resolve_on_first_use() -> None:
    import subprocess
    import sys

    code = (
        "import qrplex; "
        "print(qrplex.errors.QrplexError is qrplex.QrplexError, 'Client' in dir(qrplex), "
        "qrplex.hookimpl.project_name)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "qrplex"]
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        qrplex.nope  # type: ignore[attr-defined]  # noqa: B018
