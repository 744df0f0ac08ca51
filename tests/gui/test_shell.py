from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel

from console import i18n
from widgets.plugin_panel import ErrorCard, FailedPluginCard

ROOT = Path(__file__).resolve().parents[2]


def test_window_opens_rtl_in_persian_and_switches_to_english(window):
    win = window()
    assert i18n.lang() == "fa"
    assert QApplication.layoutDirection() == Qt.RightToLeft
    assert win.docks["alarms"].windowTitle() == "هشدارها"
    assert win.menu_view.title() == "نما"
    assert "رصد" in win.windowTitle() and "قم" in win.windowTitle()
    assert "اپراتور" in win.status.operator_label.text()
    assert any("\u06f0" <= ch <= "\u06f9" for ch in win.status.jalali_label.text())  # Persian digits
    win.set_language("en")
    assert QApplication.layoutDirection() == Qt.LeftToRight
    assert win.docks["alarms"].windowTitle() == "Alarms"
    assert win.menu_view.title() == "&View"
    assert "Operator" in win.status.operator_label.text()
    assert win.act_en.isChecked()
    assert all(ch.isascii() for ch in win.status.gregorian_label.text())
    win.set_language("fa")
    assert win.docks["charts"].windowTitle() == "نمودارها"


def test_docks_and_central_area_exist(window):
    win = window()
    assert set(win.docks) == {"alarms", "charts", "feeds", "departments"}
    assert win.dockWidgetArea(win.docks["alarms"]) == Qt.BottomDockWidgetArea
    assert win.centralWidget() is win.central
    for dock in win.docks.values():
        assert dock.objectName().startswith("dock.")


def test_layout_roundtrip(window, tmp_path):
    win = window()
    win.save_layout("wall")
    assert "wall" in win.layouts.names()
    win.docks["alarms"].hide()
    win.addDockWidget(Qt.RightDockWidgetArea, win.docks["charts"])
    assert win.dockWidgetArea(win.docks["charts"]) == Qt.RightDockWidgetArea
    assert win.restore_layout("wall")
    assert win.docks["alarms"].isVisible()
    assert win.dockWidgetArea(win.docks["charts"]) == Qt.LeftDockWidgetArea
    assert not win.restore_layout("no-such-layout")
    win.docks["feeds"].hide()
    win.reset_layout()
    assert win.docks["feeds"].isVisible()


def test_fullscreen_toggle_by_f11(window, qtbot):
    win = window()
    win.act_fullscreen.trigger()
    qtbot.waitUntil(lambda: win.isFullScreen())
    win.act_fullscreen.trigger()
    qtbot.waitUntil(lambda: not win.isFullScreen())
    assert win.act_fullscreen.shortcut().toString() == "F11"


def test_plugin_panels_and_failed_plugin_cards(window, make_core, tmp_path):
    from tests.test_plugins import make_plugin

    make_plugin(
        tmp_path / "pl",
        "okpanel",
        code="""
        from PySide6.QtWidgets import QLabel
        def activate(ctx):
            ctx.add_panel(lambda parent: QLabel("ترافیک زنده", parent), "ترافیک", "Traffic")
    """,
    )
    make_plugin(
        tmp_path / "pl",
        "badfactory",
        code="""
        def activate(ctx):
            def factory(parent):
                raise RuntimeError("no data model")
            ctx.add_panel(factory, "خراب", "Broken")
    """,
    )
    make_plugin(tmp_path / "pl", "crashes", code="def activate(ctx):\n    raise OSError('disk gone')\n")
    core = make_core(plugin_dirs=[tmp_path / "pl"])
    win = window(core)
    tabs = win.dock_widget("departments")
    titles = [tabs.tabs.tabText(i) for i in range(tabs.tabs.count())]
    assert "ترافیک" in titles and "خراب" in titles and any("✖" in t for t in titles)
    widgets = tabs.panel_widgets()
    assert any(isinstance(w, QLabel) and w.text() == "ترافیک زنده" for w in widgets)
    bad = [w for w in widgets if isinstance(w, ErrorCard) and not isinstance(w, FailedPluginCard)]
    assert bad and "no data model" in bad[0].reason
    failed = [w for w in widgets if isinstance(w, FailedPluginCard)]
    assert failed and "disk gone" in failed[0].reason
    assert win.status.plugins_label.isVisibleTo(win)
    win.set_language("en")
    assert "Traffic" in [tabs.tabs.tabText(i) for i in range(tabs.tabs.count())]
    # deactivating removes the panel tab
    core.plugins.deactivate("okpanel")
    QApplication.processEvents()
    assert "Traffic" not in [tabs.tabs.tabText(i) for i in range(tabs.tabs.count())]


def test_plugin_panel_refresh_errors_stay_inside_the_panel(qapp, qtbot):
    from widgets.plugin_panel import PluginPanel

    class Flaky(PluginPanel):
        calls = 0

        def refresh(self):
            Flaky.calls += 1
            if Flaky.calls == 1:
                raise KeyError("aqi")

    panel = Flaky(plugin="env")
    qtbot.addWidget(panel)
    panel.show()
    panel.safe_refresh()
    assert panel.refresh_errors == 1 and "KeyError" in panel.last_error
    assert panel._error.isVisible()
    panel.safe_refresh()
    assert not panel._error.isVisible()


def test_snapshot_writes_a_non_blank_png(tmp_path):
    out = tmp_path / "shot.png"
    env = {
        "RASAD_CONFIG_DIR": str(tmp_path / "c"),
        "RASAD_DATA_DIR": str(tmp_path / "d"),
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
    }
    res = subprocess.run(
        [sys.executable, "main.py", "snapshot", "--out", str(out), "--seconds", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    img = QImage(str(out))
    assert (img.width(), img.height()) == (1920, 1080)
    colours = {img.pixel(x, y) for x in range(0, 1920, 37) for y in range(0, 1080, 23)}
    assert len(colours) > 8, "snapshot looks blank"


def test_dock_widgets_are_real_docks(window):
    win = window()
    assert all(isinstance(d, QDockWidget) for d in win.docks.values())
