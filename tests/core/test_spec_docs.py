"""The docs of ``qrplex.spec`` run: the examples print what the pages say, and the plugin
guide's backend (which imports the charset policy from ``qrplex.spec``) draws codes that the
core accepts and a reader decodes."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

import qrplex
from qrplex._checks import check_rendering
from qrplex._validation import validate_request

DOCS = Path(__file__).resolve().parents[2] / "docs"
_BLOCK = re.compile(r"```(\w+)\n(.*?)```", re.DOTALL)


def _examples(page: str) -> list[tuple[str, str | None]]:
    """``(python source, expected output or None)`` for each python block that uses spec."""
    blocks = _BLOCK.findall((DOCS / page).read_text("utf-8"))
    examples = []
    for index, (language, body) in enumerate(blocks):
        if language != "python" or "spec" not in body:
            continue
        following = blocks[index + 1] if index + 1 < len(blocks) else None
        expected = following[1] if following and following[0] == "text" else None
        examples.append((body, expected))
    return examples


@pytest.mark.parametrize("page", ["spec.md", "symbologies.md"])
def test_the_examples_print_what_the_page_says(
    page: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    examples = _examples(page)
    assert examples
    monkeypatch.chdir(tmp_path)
    qrplex.generate("hello").save("qr.png")  # the file the sniffing example reads
    for source, expected in examples:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(source, f"{page} example", "exec"), {})
        if expected is not None:
            assert out.getvalue() == expected, source


@pytest.fixture(scope="module")
def guide_backend(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    """The plugin guide's ``_backend.py``, as a third party would copy it."""
    guide = (DOCS / "plugins.md").read_text("utf-8")
    section = guide[guide.index("## The backend class") :]
    source = _BLOCK.search(section)
    assert source is not None
    assert source.group(1) == "python"
    assert "from qrplex import spec" in source.group(2)
    assert "_charset_policy" not in guide  # imported, not copied
    path = tmp_path_factory.mktemp("acme") / "acme_backend.py"
    path.write_text(source.group(2), "utf-8")
    spec = importlib.util.spec_from_file_location("acme_backend", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["acme_backend"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("content", ["12345", "HELLO WORLD", "hello", "ÄÖÜ", "日本語 😀"])
@pytest.mark.parametrize("format", ["png", "svg"])
def test_the_guides_backend_draws_what_the_core_planned(
    guide_backend: ModuleType, content: str, format: str
) -> None:
    from qrplex.testing import decode

    backend = guide_backend.AcmeBackend({"color": "#000000"})
    request = validate_request(
        content, symbology="qr", format=format, width=300, options={"error": "Q"}
    )
    rendering = backend.render(request)
    check_rendering(rendering, request, "acme")
    if format == "png":
        assert decode(rendering.data) == content
    hand_made = qrplex.CodeRequest(content, "qr", format, 300, {"error": "Q"})
    assert backend.render(hand_made).data == rendering.data  # planned with qrplex.spec


def test_the_guides_symbology_plugin_registers_validates_draws_and_reads() -> None:
    from qrplex._registry import Registry

    guide = (DOCS / "plugins.md").read_text("utf-8")
    section = guide[guide.index("## Adding a symbology") :]
    block = _BLOCK.search(section)
    assert block is not None
    plugin = ModuleType("acme_dots")
    exec(compile(block.group(2), "plugins.md example", "exec"), plugin.__dict__)
    registry = Registry(entry_points=False, plugins=[("dots", plugin)])
    assert list(registry.symbologies())[-1] == "dots"
    with pytest.raises(qrplex.InvalidContentError, match="1 to 8 bits"):
        validate_request(
            "2", symbology="dots", format="png", width=None, options={}, registry=registry
        )
    with qrplex.Client(backend="dots", fallback=[], registry=registry) as client:
        for content, width in [("101", None), ("10110001", 14), ("1", 301)]:
            image = client.generate(content, symbology="dots", width=width)
            assert image.content == content.rjust(8, "0")
            assert plugin.read(image) == image.content  # the guide's reader reads it back
