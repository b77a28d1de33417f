"""Fixtures that install throwaway plugins through real entry points (a ``.dist-info`` on
``sys.path``, as pip would leave it)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

GOOD_PLUGIN = '''
import io
from collections.abc import Callable

import segno

import qrplex


class AcmeBackend(qrplex.Backend):
    """A third party's backend: QR codes through segno's own writer."""

    name = "acme"
    capabilities = qrplex.Capabilities(
        symbologies=frozenset({"qr"}), formats=frozenset({"png"})
    )
    settings = (qrplex.Setting("scale", "pixels per module", default=5),)

    def render(self, request: qrplex.CodeRequest) -> qrplex.Rendering:
        scale = int(self.config["scale"])
        code = segno.make(
            request.content, error=request.options["error"], micro=False, boost_error=False
        )
        out = io.BytesIO()
        code.save(out, kind="png", scale=scale, border=4)
        width, height = code.symbol_size(scale=scale, border=4)
        return qrplex.Rendering(out.getvalue(), "image/png", width, height)


@qrplex.hookimpl
def qrplex_register_backends(register: Callable[[type[qrplex.Backend]], None]) -> None:
    register(AcmeBackend)
'''


def _install_plugin(
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    distribution: str,
    entry_name: str,
    module: str,
    source: str,
    entry_target: str | None = None,
) -> None:
    """Write ``module`` and a ``<distribution>-1.0.dist-info`` with a ``qrplex`` entry point
    under ``root`` and put ``root`` on ``sys.path``, as pip would."""
    (root / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    info = root / f"{distribution.replace('-', '_')}-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {distribution}\nVersion: 1.0\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        f"[qrplex]\n{entry_name} = {entry_target or module}\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(root))


class PluginInstaller:
    """Installs plugins into a fresh directory on ``sys.path``."""

    good_plugin = GOOD_PLUGIN

    def __init__(self, root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.root = root
        self.monkeypatch = monkeypatch

    def __call__(
        self,
        *,
        distribution: str,
        entry_name: str,
        module: str,
        source: str = GOOD_PLUGIN,
        entry_target: str | None = None,
    ) -> None:
        _install_plugin(
            self.root,
            self.monkeypatch,
            distribution=distribution,
            entry_name=entry_name,
            module=module,
            source=source,
            entry_target=entry_target,
        )


@pytest.fixture
def install_plugin(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> PluginInstaller:
    """Install a throwaway plugin distribution for this test only."""
    return PluginInstaller(tmp_path_factory.mktemp("site"), monkeypatch)
