"""Containment for department panels: a plugin's panel can fail without taking anything else down.

- `build_panel(spec, parent)` calls the plugin's factory; if it raises, an error card takes its place.
- `PluginPanel` is the base class for plugin panels: `refresh()` runs on a timer while the panel is
  on screen (and when it is shown) and any exception
  in it is shown on the panel itself (one line), logged once, and retried on the next tick. A panel
  that watches its plugin's `FaultLog` (`watch_faults`) also shows, for a minute, the last exception
  raised by the plugin's bus callbacks (its rule evaluation), which the bus has contained.
- `FailedPluginCard` shows why a plugin could not be loaded at all.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from console import i18n
from console.logsetup import LogOnce
from console.plugins import PanelSpec, PluginRecord

log = logging.getLogger(__name__)
_once = LogOnce(log)


class ErrorCard(QFrame):
    def __init__(self, title_key: str, name: str, reason: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("pluginError")
        self._title_key, self._name, self.reason = title_key, name, reason
        self._title = QLabel(self)
        self._title.setObjectName("pluginErrorTitle")
        self._body = QLabel(self)
        self._body.setObjectName("pluginErrorBody")
        self._body.setWordWrap(True)
        self._body.setTextInteractionFlags(Qt.TextSelectableByMouse)
        lay = QVBoxLayout(self)
        lay.addWidget(self._title)
        lay.addWidget(self._body)
        lay.addStretch(1)
        self.retranslate()

    def retranslate(self) -> None:
        self._title.setText(i18n.tr(self._title_key, name=self._name))
        self._body.setText(i18n.tr("plugin.failed_body", reason=self.reason))


class FailedPluginCard(ErrorCard):
    def __init__(self, record: PluginRecord, parent: QWidget | None = None):
        super().__init__("plugin.failed_title", record.title(), record.error, parent)


def build_panel(spec: PanelSpec, parent: QWidget | None = None) -> QWidget:
    try:
        widget = spec.factory(parent)
        if not isinstance(widget, QWidget):
            raise TypeError(f"panel factory returned {type(widget).__name__}, not a QWidget")
        return widget
    except Exception as exc:
        log.error("plugin %s: panel %s failed to build: %r", spec.plugin, spec.key, exc)
        return ErrorCard("plugin.failed_title", spec.title(), f"{type(exc).__name__}: {exc}", parent)


class PluginPanel(QWidget):
    """Base for plugin panels. Subclasses implement `refresh()`; errors stay inside the panel."""

    refresh_ms = 1000

    def __init__(self, parent: QWidget | None = None, plugin: str = ""):
        super().__init__(parent)
        self.plugin = plugin
        self.refresh_errors = 0
        self.last_error = ""
        self.last_fault = ""
        self._faults = None  # console.plugins.FaultLog of the plugin, when known
        self._error = QLabel(self)
        self._error.setObjectName("panelError")
        self._error.setWordWrap(True)
        self._error.hide()
        self.body = QVBoxLayout(self)
        self.body.setContentsMargins(6, 6, 6, 6)
        self.body.addWidget(self._error)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self._on_tick)
        self._timer.start(self.refresh_ms)

    def refresh(self) -> None:  # pragma: no cover - abstract
        """Redraw from core state; called on the GUI thread every `refresh_ms`."""

    def _on_tick(self) -> None:
        """Timed refreshes only while the panel is on screen (a dozen department tabs, one shown)."""
        if self.isVisible():
            self.safe_refresh()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        QTimer.singleShot(
            0, self, self._on_tick
        )  # up to date as soon as it is shown (after it is drawn once)

    def watch_faults(self, faults) -> None:
        """Show the plugin's contained callback failures (a console.plugins.FaultLog) on this panel."""
        self._faults = faults

    def safe_refresh(self) -> None:
        lines = []
        try:
            self.refresh()
        except Exception as exc:
            self.refresh_errors += 1
            self.last_error = f"{type(exc).__name__}: {exc}"
            _once.error(
                ("panel", self.plugin, type(self).__name__),
                "plugin %s panel %s: refresh failed: %s",
                self.plugin,
                type(self).__name__,
                self.last_error,
            )
            lines.append(i18n.tr("plugin.panel_error", reason=self.last_error))
        else:
            self.last_error = ""
        self.last_fault = (self._faults.recent() if self._faults is not None else None) or ""
        if self.last_fault:
            lines.append(i18n.tr("plugin.rule_error", reason=self.last_fault))
        if lines:
            self._error.setText("\n".join(lines))
            self._error.show()
        elif not self._error.isHidden():
            self._error.hide()

    def retranslate(self) -> None:
        """Subclasses re-set their texts; called on language switch."""
