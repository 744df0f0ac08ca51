"""The main window: map in the centre, docks for departments, charts, feed health and alarms,
status bar with operator, feeds and the Jalali/Gregorian clock. Persian (RTL) by default.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QByteArray, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDockWidget,
    QInputDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QToolBar,
    QWidget,
)

from console import __version__, i18n
from console.core import Core
from widgets import docks as dock_defs
from widgets.layouts import STATE_VERSION, LayoutStore
from widgets.selection import link_selection
from widgets.status import StatusBar
from widgets.theme import apply_direction, apply_theme

log = logging.getLogger(__name__)


class MainWindow(QMainWindow):
    sig_language_changed = Signal(str)
    sig_closed = Signal()

    def __init__(self, core: Core, layouts: LayoutStore | None = None):
        super().__init__()
        self.core = core
        self.layouts = layouts or LayoutStore()
        self.setObjectName("rasadMainWindow")
        self.setDockNestingEnabled(True)
        self.setDockOptions(
            QMainWindow.AnimatedDocks | QMainWindow.AllowNestedDocks | QMainWindow.AllowTabbedDocks
        )
        self.central = dock_defs.CENTRAL(core, self)
        self.setCentralWidget(self.central)
        self.docks: dict[str, QDockWidget] = {}
        for d in dock_defs.DOCKS:
            dock = QDockWidget(self)
            dock.setObjectName(f"dock.{d.key}")
            dock.setFeatures(
                QDockWidget.DockWidgetMovable
                | QDockWidget.DockWidgetFloatable
                | QDockWidget.DockWidgetClosable
            )
            dock.setWidget(d.factory(core, dock))
            dock.setProperty("title_key", d.title_key)
            self.addDockWidget(d.area, dock)
            self.docks[d.key] = dock
        link_selection(self.central, self.docks["alarms"].widget())  # map ↔ alarm list (widgets/selection.py)
        self.banner = dock_defs.BANNER(core, self)  # the highest unacknowledged alarm, above everything
        strip = QToolBar(self)
        strip.setObjectName("alarmBannerStrip")
        strip.setMovable(False)
        strip.setFloatable(False)
        strip.toggleViewAction().setVisible(False)
        strip.addWidget(self.banner)
        self.addToolBar(Qt.TopToolBarArea, strip)
        self.resizeDocks([self.docks["departments"], self.docks["charts"]], [520, 460], Qt.Horizontal)
        self.resizeDocks([self.docks["alarms"]], [260], Qt.Vertical)
        self.status = StatusBar(core, self)
        self.setStatusBar(self.status)
        self._build_menus()
        self._default_state = self.saveState(STATE_VERSION)
        self.retranslate()

    # -- menus -------------------------------------------------------------------------------------
    def _build_menus(self) -> None:
        mb = self.menuBar()
        self.menu_file = mb.addMenu("")
        self.act_handover = QAction(self, triggered=self._on_handover)
        self.act_handover.setVisible("session" in self.core.services)
        self.menu_file.addAction(self.act_handover)
        self.menu_file.addSeparator()
        self.act_quit = QAction(self, shortcut=QKeySequence.Quit, triggered=self.close)
        self.menu_file.addAction(self.act_quit)

        self.menu_view = mb.addMenu("")
        self.act_fullscreen = QAction(self, checkable=True, shortcut=QKeySequence(Qt.Key_F11))
        self.act_fullscreen.toggled.connect(self.set_fullscreen)
        self.act_large = QAction(self, checkable=True, checked=self.core.settings.large_type)
        self.act_large.toggled.connect(self.set_large_type)
        self.menu_view.addAction(self.act_fullscreen)
        self.menu_view.addAction(self.act_large)
        self.menu_view.addSeparator()
        self.menu_docks = QMenu(self)
        for dock in self.docks.values():
            self.menu_docks.addAction(dock.toggleViewAction())
        self.menu_view.addMenu(self.menu_docks)
        self.menu_view.addSeparator()
        self.act_save_layout = QAction(self, triggered=self._on_save_layout)
        self.menu_layouts = QMenu(self)
        self.menu_layouts.aboutToShow.connect(self._fill_layouts_menu)
        self.act_reset_layout = QAction(self, triggered=self.reset_layout)
        self.menu_view.addAction(self.act_save_layout)
        self.menu_view.addMenu(self.menu_layouts)
        self.menu_view.addAction(self.act_reset_layout)

        self.menu_lang = mb.addMenu("")
        group = QActionGroup(self)
        self.act_fa = QAction(self, checkable=True, triggered=lambda: self.set_language("fa"))
        self.act_en = QAction(self, checkable=True, triggered=lambda: self.set_language("en"))
        for a in (self.act_fa, self.act_en):
            group.addAction(a)
            self.menu_lang.addAction(a)

        self.menu_help = mb.addMenu("")
        self.act_about = QAction(self, triggered=self._on_about)
        self.menu_help.addAction(self.act_about)
        # Shortcuts must work in full screen too, where the menu bar may be hidden.
        for a in (self.act_fullscreen, self.act_quit):
            self.addAction(a)

    def _fill_layouts_menu(self) -> None:
        self.menu_layouts.clear()
        for name in self.layouts.names():
            self.menu_layouts.addAction(name, lambda n=name: self.restore_layout(n))
        self.menu_layouts.setEnabled(True)

    # -- behaviour ---------------------------------------------------------------------------------
    def retranslate(self) -> None:
        tr = i18n.tr
        city = (
            tr(f"city.{self.core.settings.city}") if i18n.has_key(f"city.{self.core.settings.city}") else ""
        )
        self.setWindowTitle(f"{tr('app.name')} — {tr('app.subtitle')} — {city}".rstrip(" —"))
        self.menu_file.setTitle(tr("menu.file"))
        self.menu_view.setTitle(tr("menu.view"))
        self.menu_lang.setTitle(tr("menu.language"))
        self.menu_help.setTitle(tr("menu.help"))
        self.act_quit.setText(tr("action.quit"))
        self.act_handover.setText(tr("menu.handover"))
        self.act_fullscreen.setText(tr("action.fullscreen"))
        self.act_large.setText(tr("action.large_type"))
        self.menu_docks.setTitle(tr("action.docks"))
        self.act_save_layout.setText(tr("action.save_layout"))
        self.menu_layouts.setTitle(tr("action.load_layout"))
        self.act_reset_layout.setText(tr("action.reset_layout"))
        self.act_fa.setText(tr("action.lang_fa"))
        self.act_en.setText(tr("action.lang_en"))
        self.act_about.setText(tr("action.about"))
        (self.act_fa if i18n.lang() == "fa" else self.act_en).setChecked(True)
        for dock in self.docks.values():
            dock.setWindowTitle(tr(dock.property("title_key")))
            widget = dock.widget()
            if hasattr(widget, "retranslate"):
                widget.retranslate()
        if hasattr(self.central, "retranslate"):
            self.central.retranslate()
        if hasattr(self, "banner"):
            self.banner.retranslate()
        self.status.retranslate()

    def set_language(self, language: str) -> None:
        if language == i18n.lang() and self.layoutDirection() == (
            Qt.RightToLeft if i18n.is_rtl(language) else Qt.LeftToRight
        ):
            return
        i18n.set_lang(language)
        apply_direction(language)
        self.retranslate()
        self.sig_language_changed.emit(language)

    def set_fullscreen(self, on: bool) -> None:
        if on and not self.isFullScreen():
            self.showFullScreen()
        elif not on and self.isFullScreen():
            self.showNormal()
        if self.act_fullscreen.isChecked() != on:
            self.act_fullscreen.setChecked(on)

    def set_large_type(self, on: bool) -> None:
        app = QApplication.instance()
        if app is not None:
            apply_theme(app, theme=self.core.settings.theme, large_type=on)

    def save_layout(self, name: str) -> None:
        self.layouts.save(name, self)
        self.statusBar().showMessage(i18n.tr("dialog.layout_saved", name=name), 4000)

    def restore_layout(self, name: str) -> bool:
        ok = self.layouts.restore(name, self)
        if not ok:
            self.statusBar().showMessage(i18n.tr("dialog.layout_missing", name=name), 6000)
            log.warning("layout %r not found or unusable", name)
        return ok

    def reset_layout(self) -> None:
        self.restoreState(QByteArray(self._default_state), STATE_VERSION)
        for dock in self.docks.values():
            dock.show()

    def _on_save_layout(self) -> None:
        name, ok = QInputDialog.getText(
            self, i18n.tr("action.save_layout"), i18n.tr("dialog.layout_name"), text=self.core.settings.layout
        )
        if ok and name.strip():
            self.save_layout(name.strip())

    def _on_handover(self) -> None:
        from widgets.login import HandoverDialog

        session = self.core.services.get("session")
        if session is None or session.operator is None:
            return
        dialog = HandoverDialog(session, self)
        dialog.accepted.connect(
            lambda: self.statusBar().showMessage(i18n.tr("handover.done", name=session.name), 8000)
        )
        dialog.open()
        self.status.refresh()

    def _on_about(self) -> None:
        QMessageBox.about(self, i18n.tr("action.about"), i18n.tr("about.text", version=__version__))

    def select_entity(self, ref: str) -> bool:
        """Show an entity (vehicle, sensor, report, alarm) on the map; panels call this."""
        select = getattr(self.central, "select", None)
        if not callable(select):
            return False
        select(ref)
        return True

    def dock_widget(self, key: str) -> QWidget:
        return self.docks[key].widget()

    def closeEvent(self, event) -> None:
        self.sig_closed.emit()
        super().closeEvent(event)
