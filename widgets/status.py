"""Status bar: operator, feed connection indicators, plugin failures, clock in Jalali and Gregorian."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from console import i18n
from console.core import Core
from console.health import FeedState

_STATE_ORDER = [FeedState.DOWN, FeedState.STALE, FeedState.RECONNECTING, FeedState.IDLE, FeedState.CONNECTED]
# Shapes as well as colours, so state never relies on colour alone.
STATE_GLYPH = {
    FeedState.CONNECTED: "●",
    FeedState.RECONNECTING: "◌",
    FeedState.STALE: "◐",
    FeedState.DOWN: "✖",
    FeedState.IDLE: "○",
}


class StatusBar(QStatusBar):
    def __init__(self, core: Core, parent: QWidget | None = None):
        super().__init__(parent)
        self.core = core
        self.setSizeGripEnabled(False)
        self.operator_label = QLabel(self)
        self.operator_label.setObjectName("operatorLabel")
        self.demo_label = QLabel(self)
        self.demo_label.setObjectName("demoMarker")
        self.store_label = QLabel(self)
        self.store_label.setObjectName("storeLabel")
        self.feeds_label = QLabel(self)
        self.feeds_label.setObjectName("feedsLabel")
        self.plugins_label = QLabel(self)
        self.plugins_label.setObjectName("pluginsLabel")
        self.plugins_label.setProperty("feedState", "down")
        self.jalali_label = QLabel(self)
        self.jalali_label.setObjectName("clockJalali")
        self.gregorian_label = QLabel(self)
        self.gregorian_label.setObjectName("clockGregorian")
        self.addWidget(self.operator_label)
        self.addWidget(self.demo_label)
        self.addWidget(self.feeds_label, 1)
        self.addWidget(self.store_label)
        self.addWidget(self.plugins_label)
        self.addPermanentWidget(self.gregorian_label)
        self.addPermanentWidget(self.jalali_label)
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.refresh)
        self._timer.start(1000)
        self.refresh()

    def refresh(self) -> None:
        s = self.core.settings
        now = i18n.local_time(tz=s.timezone)
        self.jalali_label.setText(f"{i18n.format_jalali_date(now)}  {i18n.format_clock(now)}")
        self.gregorian_label.setText(i18n.format_gregorian_date(now))
        self._refresh_operator()
        self._refresh_store()
        self._refresh_feeds()
        failed = len(self.core.plugins.failed())
        self.plugins_label.setVisible(failed > 0)
        if failed:
            self.plugins_label.setText("✖ " + i18n.tr("status.plugins_failed", n=failed))

    def _refresh_operator(self) -> None:
        """The signed-in operator and role(s) from the session; a DEMO marker for password-less sessions."""
        session = self.core.services.get("session")
        if session is None:  # no storage: nothing to sign in to
            self.operator_label.setText(i18n.tr("status.operator", name=self.core.settings.operator))
            self.demo_label.setVisible(False)
            return
        op = session.operator
        if op is None:
            self.operator_label.setText(i18n.tr("status.no_operator"))
        else:
            roles = "، ".join(i18n.tr(f"role.{r.value}") for r in sorted(op.roles, key=lambda r: r.value))
            if i18n.lang() != "fa":
                roles = roles.replace("، ", ", ")
            self.operator_label.setText(
                i18n.tr("status.operator_role", name=op.display_name or op.name, role=roles)
            )
        self.demo_label.setVisible(op is not None and session.demo)
        self.demo_label.setText(i18n.tr("status.demo"))
        self.demo_label.setToolTip(i18n.tr("status.demo_tip"))

    def _refresh_store(self) -> None:
        store = self.core.services.get("store")
        text = ""
        if store is not None and store.error:
            text = "✖ " + i18n.tr("status.store_down")
            self.store_label.setToolTip(store.error)
        elif store is not None:
            waiting = store.writer.stats.spilled - store.writer.stats.replayed + store.counts["spilled"]
            if waiting > 0:
                text = "◐ " + i18n.tr("status.store_spilled", n=i18n.number(waiting, decimals=0))
        self.store_label.setText(text)
        self.store_label.setVisible(bool(text))

    def _refresh_feeds(self) -> None:
        feeds = self.core.health.snapshot()
        if not feeds:
            self.feeds_label.setText(i18n.tr("status.no_feeds"))
            state = FeedState.IDLE
        else:
            ok = sum(1 for f in feeds if f.state.ok)
            worst = min((f.state for f in feeds), key=_STATE_ORDER.index)
            bad = [f for f in feeds if not f.state.ok]
            parts = [i18n.tr("status.feeds", ok=ok, total=len(feeds))]
            for f in bad[:4]:
                title = (f.title_fa if i18n.lang() == "fa" else f.title_en) or f.source
                parts.append(f"{STATE_GLYPH[f.state]} {title}: {i18n.tr('feed.' + f.state.value)}")
            self.feeds_label.setText("   ".join(parts))
            state = worst
        if self.feeds_label.property("feedState") != state.value:
            self.feeds_label.setProperty("feedState", state.value)
            self.feeds_label.style().unpolish(self.feeds_label)
            self.feeds_label.style().polish(self.feeds_label)

    def retranslate(self) -> None:
        self.refresh()
