"""Drafted public warnings (console/capdrafts.py): review, then publish or withdraw (role cap.publish).

A table of drafts (newest first) and the selected one in full: its state, what validation found,
and each language's headline, description, instruction and area. Publishing and withdrawing ask for
a reason (it goes into the audit journal); the buttons say why they are disabled when the operator
may not publish, or when no alarm engine can publish.
"""

from __future__ import annotations

from html import escape
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from console import i18n
from console.capdrafts import CapDraft, CapDrafts, DraftError
from console.roles import PermissionDenied, allowed
from widgets.records_table import Column, RecordsTable

STATE_COLOURS = {"draft": "#d29922", "published": "#3fb950", "withdrawn": "#8b98a5", "expired": "#8b98a5"}


class CapDraftsView(QWidget):
    def __init__(self, store: CapDrafts, engine: Any = None, source: str = "", parent: QWidget | None = None):
        super().__init__(parent)
        self.store, self.engine, self.source = store, engine, source
        self.drafts: list[CapDraft] = []
        self.empty = QLabel(self)
        self.empty.setWordWrap(True)
        self.empty.setObjectName("placeholder")
        self.table = RecordsTable(
            [
                Column("created", *self._both("capdraft.col.created"), kind="time"),
                Column("state", *self._both("capdraft.col.state")),
                Column("severity", *self._both("capdraft.col.severity")),
                Column("headline", *self._both("capdraft.col.headline")),
            ],
            self,
        )
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._show_selected())
        self.detail = QTextBrowser(self)
        self.detail.setOpenLinks(False)
        self.publish_button = QPushButton(self)
        self.withdraw_button = QPushButton(self)
        self.publish_button.clicked.connect(self._on_publish)
        self.withdraw_button.clicked.connect(self._on_withdraw)
        buttons = QHBoxLayout()
        buttons.addWidget(self.publish_button)
        buttons.addWidget(self.withdraw_button)
        buttons.addStretch(1)
        right = QWidget(self)
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(self.detail, 1)
        rl.addLayout(buttons)
        split = QSplitter(Qt.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.empty)
        lay.addWidget(split, 1)
        self.retranslate()

    @staticmethod
    def _both(key: str) -> tuple[str, str]:
        return i18n.tr(key, "fa"), i18n.tr(key, "en")

    # -- data ----------------------------------------------------------------------------------------
    def refresh(self, empty_text: str = "") -> None:
        drafts = [d for d in self.store.list() if not self.source or d.source == self.source]
        self.drafts = drafts
        self.empty.setText(empty_text)
        self.empty.setVisible(not drafts and bool(empty_text))
        lang = i18n.lang()
        self.table.set_rows(
            [
                {
                    "entity": d.identifier,
                    "created": d.created,
                    "state": i18n.tr(f"capdraft.state.{d.state}"),
                    "severity": i18n.tr(f"capdraft.severity.{d.severity.lower()}") if d.severity else "—",
                    "headline": d.headline_fa if lang == "fa" else d.headline_en,
                    "_colour": STATE_COLOURS.get(d.state, "#e8edf2"),
                }
                for d in drafts
            ]
        )
        if drafts and self.table.selected_row() is None:
            self.table.select_key(drafts[0].identifier)
        self._show_selected()

    def selected(self) -> CapDraft | None:
        row = self.table.selected_row()
        ident = row.get("entity") if row else None
        return next((d for d in self.drafts if d.identifier == ident), None)

    def _show_selected(self) -> None:
        draft = self.selected()
        self._update_buttons(draft)
        if draft is None:
            self.detail.clear()
            return
        self.detail.setHtml(self._html(draft))

    def _html(self, d: CapDraft) -> str:
        rtl = i18n.lang() == "fa"
        parts = [
            f"<p><b>{escape(i18n.tr('capdraft.col.state'))}:</b> {escape(i18n.tr(f'capdraft.state.{d.state}'))}"
            + (f" — {escape(d.by)}: {escape(d.note)}" if d.note else "")
            + "</p>"
        ]
        if d.problems:
            parts.append(
                f"<p style='color:#ff6b6b'><b>{escape(i18n.tr('capdraft.invalid'))}</b><br>"
                + "<br>".join(escape(p) for p in d.problems[:5])
                + "</p>"
            )
        elif d.schema:
            parts.append(f"<p style='color:#3fb950'>{escape(i18n.tr('capdraft.valid', schema=d.schema))}</p>")
        else:
            parts.append(f"<p style='color:#8b98a5'>{escape(i18n.tr('capdraft.checked_import'))}</p>")
        for info in d.alert.get("infos", []):
            fa = str(info.get("language", "")).startswith("fa")
            direction = "rtl" if fa else "ltr"
            area = "; ".join(str(a.get("desc", "")) for a in info.get("areas", []))
            parts.append(
                f"<div dir='{direction}' style='margin-top:8px'>"
                f"<h3>{escape(str(info.get('headline', '')))}</h3>"
                f"<p>{escape(str(info.get('description', '')))}</p>"
                f"<p><b>{escape(i18n.tr('capdraft.instruction'))}</b> {escape(str(info.get('instruction', '')))}</p>"
                f"<p><b>{escape(i18n.tr('capdraft.area'))}</b> {escape(area)}</p>"
                "</div>"
            )
        return f"<div dir='{'rtl' if rtl else 'ltr'}'>" + "".join(parts) + "</div>"

    # -- actions -------------------------------------------------------------------------------------
    def _operator(self) -> Any:
        current = getattr(self.engine, "current_operator", None)
        return current() if callable(current) else None

    def _update_buttons(self, draft: CapDraft | None) -> None:
        op = self._operator()
        can_publish = hasattr(self.engine, "publish_cap")
        may = op is not None and allowed(op, "cap.publish")
        open_ = draft is not None and draft.state == "draft"
        self.publish_button.setEnabled(open_ and may and can_publish and not draft.problems)
        self.withdraw_button.setEnabled(open_ and may)
        if not can_publish:
            why = i18n.tr("capdraft.no_engine")
        elif not may:
            why = i18n.tr("capdraft.needs_role", name=getattr(op, "name", "?"))
        elif draft is not None and draft.problems:
            why = i18n.tr("capdraft.invalid")
        else:
            why = ""
        for b in (self.publish_button, self.withdraw_button):
            b.setToolTip(why)

    def _reason(self, title_key: str) -> str | None:
        text, ok = QInputDialog.getText(self, i18n.tr(title_key), i18n.tr("capdraft.reason"))
        return text.strip() if ok and text.strip() else None

    def _act(self, title_key: str, action) -> None:
        draft = self.selected()
        if draft is None:
            return
        reason = self._reason(title_key)
        if reason is None:
            return
        try:
            action(draft, self._operator(), reason)
        except (PermissionDenied, DraftError, ValueError, OSError) as exc:
            QMessageBox.warning(self, i18n.tr(title_key), str(exc))
        self.refresh(self.empty.text())

    def _on_publish(self) -> None:
        self._act(
            "capdraft.publish", lambda d, op, why: self.store.publish(d.identifier, self.engine, op, why)
        )

    def _on_withdraw(self) -> None:
        self._act("capdraft.withdraw", lambda d, op, why: self.store.withdraw(d.identifier, op, why))

    def retranslate(self) -> None:
        self.publish_button.setText(i18n.tr("capdraft.publish"))
        self.withdraw_button.setText(i18n.tr("capdraft.withdraw"))
        self.table.retranslate()
