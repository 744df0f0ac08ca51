"""Photos that travel inline as `data:image/...;base64,...` (137 reports): a thumbnail that opens large.

`pixmap_from_data_uri` never raises: anything that is not a decodable image gives None, and the
thumbnail says "no photo" / "photo unreadable" instead of showing a broken picture.
"""

from __future__ import annotations

import base64
import binascii

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QVBoxLayout, QWidget

from console import i18n


def pixmap_from_data_uri(uri: object) -> QPixmap | None:
    if not isinstance(uri, str) or not uri.startswith("data:image/") or ";base64," not in uri:
        return None
    try:
        data = base64.b64decode(uri.split(",", 1)[1], validate=True)
    except (ValueError, binascii.Error):
        return None
    pm = QPixmap()
    return pm if pm.loadFromData(data) else None


class PhotoThumb(QLabel):
    """A report photo at thumbnail size; a click opens it large (`sig_clicked`, or the built-in dialog)."""

    sig_clicked = Signal()

    def __init__(self, width: int = 240, parent: QWidget | None = None):
        super().__init__(parent)
        self.thumb_width = width
        self.uri = ""
        self.caption = ""
        self.pixmap_ = None
        self.setAlignment(Qt.AlignCenter)
        self.setMinimumSize(width, width * 3 // 4)
        self.setStyleSheet("QLabel { background: #0b1119; border: 1px solid #223041; color: #8b98a5; }")
        self.set_photo("")

    def set_photo(self, uri: str, caption: str = "") -> None:
        if uri == self.uri and self.pixmap_ is not None:
            self.caption = caption
            return
        self.uri, self.caption = uri, caption
        self.pixmap_ = pixmap_from_data_uri(uri)
        if self.pixmap_ is None:
            self.clear()
            self.setText(i18n.tr("dept.photo.unreadable" if uri else "dept.photo.none"))
            self.setCursor(Qt.ArrowCursor)
            self.setToolTip("")
            return
        self.setPixmap(self.pixmap_.scaledToWidth(self.thumb_width, Qt.SmoothTransformation))
        self.setCursor(Qt.PointingHandCursor)
        self.setToolTip(i18n.tr("dept.photo.hint"))

    def mouseReleaseEvent(self, event) -> None:
        if self.pixmap_ is not None and event.button() == Qt.LeftButton:
            self.sig_clicked.emit()
            self.open_large()
        super().mouseReleaseEvent(event)

    def open_large(self) -> PhotoDialog | None:
        if self.pixmap_ is None:
            return None
        dialog = PhotoDialog(self.pixmap_, self.caption, self.window())
        dialog.show()
        return dialog

    def retranslate(self) -> None:
        uri, self.uri = self.uri, ""
        self.set_photo(uri, self.caption)


class PhotoDialog(QDialog):
    """The photo large (at least 4× a small report photo, never blurred beyond 2× per step)."""

    def __init__(self, pixmap: QPixmap, caption: str = "", parent: QWidget | None = None, scale: int = 4):
        super().__init__(parent)
        self.setWindowTitle(i18n.tr("dept.photo.title"))
        self.setAttribute(Qt.WA_DeleteOnClose)
        big = pixmap.scaled(
            pixmap.width() * scale, pixmap.height() * scale, Qt.KeepAspectRatio, Qt.SmoothTransformation
        )
        self.image = QLabel(self)
        self.image.setPixmap(big)
        self.image.setAlignment(Qt.AlignCenter)
        self.text = QLabel(caption, self)
        self.text.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.Close, self)
        buttons.button(QDialogButtonBox.Close).setText(i18n.tr("dept.photo.close"))
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.image, 1)
        lay.addWidget(self.text)
        lay.addWidget(buttons)
