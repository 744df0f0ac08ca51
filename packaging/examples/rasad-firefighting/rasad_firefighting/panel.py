"""Qt panel of the fire & rescue plugin (imported only when the console builds the panel)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QListWidget

from console import i18n
from widgets.plugin_panel import PluginPanel


class FirePanel(PluginPanel):
    def __init__(self, desk, parent=None):
        super().__init__(parent, plugin="firefighting")
        self.desk = desk
        self.summary = QLabel(self)
        self.list = QListWidget(self)
        self.body.addWidget(self.summary)
        self.body.addWidget(self.list, 1)
        self.safe_refresh()

    def refresh(self) -> None:
        reports = self.desk.open_reports()
        risk = self.desk.spread_risk()
        self.summary.setText(
            i18n.tr(
                "firefighting.summary",
                n=len(reports),
                risk=i18n.tr("firefighting.na") if risk is None else i18n.number(risk * 100),
            )
        )
        self.list.clear()
        for r in reports[:200]:
            self.list.addItem(f"{r['category']} — {r['district']} — {r['text']}")

    def retranslate(self) -> None:
        self.safe_refresh()
