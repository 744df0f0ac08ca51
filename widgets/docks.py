"""What fills each area of the main window. Each room replaces its factory with its real widget.

A factory takes (core, parent) and returns a QWidget; widgets with `retranslate()` follow language
switches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from console.core import Core
from widgets.departments import DepartmentTabs

Factory = Callable[[Core, QWidget], QWidget]


def make_map(core: Core, parent: QWidget) -> QWidget:
    from widgets.map_view import MapWidget

    return MapWidget(core, parent)


def make_alarms(core: Core, parent: QWidget) -> QWidget:
    from widgets.alarm_list import AlarmListWidget

    return AlarmListWidget(core, parent)


def make_banner(core: Core, window: QWidget) -> QWidget:
    """The alarm banner above everything; its buttons act through the alarm list (notes, roles)."""
    from widgets.banner import AlarmBanner

    banner = AlarmBanner(core.services["alarms"], core.settings.timezone, window)
    alarms = window.docks["alarms"].widget()
    if hasattr(alarms, "ack_ids"):
        banner.sig_ack.connect(lambda alarm_id: alarms.ack_ids([alarm_id]))
        banner.sig_select.connect(lambda alarm_id: alarms.select(f"alarms:{alarm_id}"))
        banner.sig_silence.connect(alarms.silence)
    return banner


def make_charts(core: Core, parent: QWidget) -> QWidget:
    from widgets.chart_panel import make_chart_panel

    return make_chart_panel(core, parent)


def make_feeds(core: Core, parent: QWidget) -> QWidget:
    from widgets.feed_health import FeedHealthWidget

    return FeedHealthWidget(core, parent)


def make_departments(core: Core, parent: QWidget) -> QWidget:
    return DepartmentTabs(core.plugins, parent)


@dataclass(frozen=True)
class DockDef:
    key: str  # objectName, saved in layouts: never rename
    title_key: str
    area: Qt.DockWidgetArea
    factory: Factory


CENTRAL: Factory = make_map
BANNER: Factory = make_banner  # shown in a fixed strip at the top of the main window
# Dock areas are not mirrored in the Persian layout: the wall keeps one physical arrangement
# whatever the language (departments on the right, charts and feeds on the left, alarms below).
DOCKS: list[DockDef] = [
    DockDef("departments", "dock.departments", Qt.RightDockWidgetArea, make_departments),
    DockDef("charts", "dock.charts", Qt.LeftDockWidgetArea, make_charts),
    DockDef("feeds", "dock.feeds", Qt.LeftDockWidgetArea, make_feeds),
    DockDef("alarms", "dock.alarms", Qt.BottomDockWidgetArea, make_alarms),
]
