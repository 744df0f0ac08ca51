"""Qt fixtures: cores and main windows (the one offscreen QApplication, `qapp`, is in tests/conftest.py)."""

from __future__ import annotations

import pytest

from console.core import Core
from console.settings import Settings


@pytest.fixture
def make_core(tmp_path):
    cores = []

    def make(plugin_dirs=(), **settings) -> Core:
        s = Settings(plugin_dirs=[str(p) for p in plugin_dirs], **settings)
        core = Core(s, load_plugins=bool(plugin_dirs), entry_point_plugins=False)
        core.plugins.discover(folders=list(plugin_dirs), entry_points=False)
        core.plugins.activate_all()
        cores.append(core)
        return core

    yield make
    for core in cores:
        core.plugins.deactivate_all()
        core.bus.close()


@pytest.fixture
def window(qapp, qtbot, make_core, tmp_path):
    from widgets.layouts import LayoutStore
    from widgets.shell import MainWindow

    def build(core=None):
        win = MainWindow(core or make_core(), layouts=LayoutStore(tmp_path / "layouts"))
        qtbot.addWidget(win)
        win.resize(1600, 900)
        win.show()
        qtbot.waitExposed(win)
        return win

    return build
