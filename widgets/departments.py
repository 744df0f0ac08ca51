"""Department panels from plugins, one tab each; failed plugins show their error card instead."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QStackedWidget, QTabWidget, QWidget

from console import i18n
from console.plugins import PanelSpec, PluginHost
from widgets.placeholder import PlaceholderWidget
from widgets.plugin_panel import FailedPluginCard, PluginPanel, build_panel


class _RegistryBridge(QObject):
    """Marshals registry changes (any thread) onto the GUI thread."""

    sig_added = Signal(object)
    sig_removed = Signal(object)


class DepartmentTabs(QStackedWidget):
    """A tab per department panel; an honest placeholder when there is none."""

    def __init__(self, host: PluginHost, parent: QWidget | None = None):
        super().__init__(parent)
        self.host = host
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.setUsesScrollButtons(True)
        self.empty = PlaceholderWidget("placeholder.departments", self)
        self.addWidget(self.empty)
        self.addWidget(self.tabs)
        self._pages: dict[int, tuple[object, QWidget]] = {}  # id(spec or record) -> (spec/record, widget)
        self._bridge = _RegistryBridge(self)
        self._bridge.sig_added.connect(self._on_added)
        self._bridge.sig_removed.connect(self._on_removed)
        self._stop = host.panels.on_change(self._bridge.sig_added.emit, self._bridge.sig_removed.emit)
        for spec in host.panels.items():
            self._on_added(spec)
        self.sync_failed()

    def closeEvent(self, event) -> None:
        self._stop()
        super().closeEvent(event)

    def _add_page(self, key: int, owner: object, widget: QWidget, title: str) -> None:
        self._pages[key] = (owner, widget)
        self.tabs.addTab(widget, title)
        self.setCurrentWidget(self.tabs)

    def _on_added(self, spec: PanelSpec) -> None:
        if spec.area != "departments" or id(spec) in self._pages:
            return
        widget = build_panel(spec, self.tabs)
        rec = self.host.records.get(spec.plugin)
        if isinstance(widget, PluginPanel) and rec is not None:
            widget.watch_faults(rec.faults)
        self._add_page(id(spec), spec, widget, spec.title())

    def _on_removed(self, spec: PanelSpec) -> None:
        owner_widget = self._pages.pop(id(spec), None)
        if owner_widget is None:
            return
        widget = owner_widget[1]
        idx = self.tabs.indexOf(widget)
        if idx >= 0:
            self.tabs.removeTab(idx)
        widget.deleteLater()
        if not self._pages:
            self.setCurrentWidget(self.empty)

    def sync_failed(self) -> None:
        """Show an error card for every failed plugin (once)."""
        for rec in self.host.failed():
            if id(rec) not in self._pages:
                self._add_page(id(rec), rec, FailedPluginCard(rec, self.tabs), "✖ " + rec.title())

    def panel_widgets(self) -> list[QWidget]:
        return [w for _, w in self._pages.values()]

    def retranslate(self) -> None:
        self.empty.retranslate()
        for owner, widget in self._pages.values():
            idx = self.tabs.indexOf(widget)
            title = owner.title() if isinstance(owner, PanelSpec) else "✖ " + owner.title()
            self.tabs.setTabText(idx, title)
            if hasattr(widget, "retranslate"):
                widget.retranslate()
        _ = i18n.lang()
