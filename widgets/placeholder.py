"""Honest empty states: a panel that has nothing to show yet says so, in the current language."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QVBoxLayout, QWidget

from console import i18n


class PlaceholderWidget(QFrame):
    def __init__(self, text_key: str, parent: QWidget | None = None, object_name: str = ""):
        super().__init__(parent)
        if object_name:
            self.setObjectName(object_name)
        self._key = text_key
        self._label = QLabel(self)
        self._label.setObjectName("placeholder")
        self._label.setAlignment(Qt.AlignCenter)
        self._label.setWordWrap(True)
        lay = QVBoxLayout(self)
        lay.addWidget(self._label)
        self.retranslate()

    def text(self) -> str:
        return self._label.text()

    def retranslate(self) -> None:
        self._label.setText(i18n.tr(self._key))
