"""A one-line label that gives way in a narrow window: the end of its text is elided ("…") instead of
forcing the window wider than the screen, and the whole text stays in the tooltip.

Works for Persian and English alike: eliding is logical (the end of the sentence goes), so in a
right-to-left line the "…" appears on the left.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    MIN_CHARS = 8  # the narrowest it gets: about this many characters and the ellipsis

    def __init__(self, parent: QWidget | None = None, text: str = ""):
        super().__init__(parent)
        self._full = ""
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        self._full = text or ""
        self.setToolTip(self._full)
        self._fit()

    def text(self) -> str:
        return self._full

    def shown_text(self) -> str:
        """What is on screen now (elided when narrow)."""
        return super().text()

    def _fit(self) -> None:
        width = max(0, self.contentsRect().width())
        shown = self.fontMetrics().elidedText(self._full, Qt.ElideRight, width) if width else self._full
        if shown != super().text():
            super().setText(shown)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._fit()

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        return QSize(fm.horizontalAdvance(self._full) + 8, super().sizeHint().height())

    def minimumSizeHint(self) -> QSize:
        fm = self.fontMetrics()
        narrow = min(fm.horizontalAdvance(self._full), fm.averageCharWidth() * self.MIN_CHARS)
        return QSize(narrow + fm.horizontalAdvance("…"), super().minimumSizeHint().height())
