"""Sign-in at start and shift handover: small dialogs over console.session.Session.

Password checks (argon2, deliberately slow) run on a worker thread, so the loop (and the live data
behind the dialog) keeps going while the dialog shows "Checking…".
"""

from __future__ import annotations

import asyncio
import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from console import i18n
from console.session import Session
from console.store.operators import AuthenticationFailed, OperatorError

log = logging.getLogger(__name__)


class _SessionDialog(QDialog):
    """Shared frame: heading, a form, an error line, OK/Cancel; `_attempt` runs off the loop thread."""

    def __init__(self, session: Session, object_name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.session = session
        self.setObjectName(object_name)
        self.setModal(True)
        self.setMinimumWidth(420)
        self.heading = QLabel(self)
        self.heading.setObjectName("loginHeading")
        self.subheading = QLabel(self)
        self.subheading.setObjectName("loginConsole")
        self.form = QFormLayout()
        self.error = QLabel(self)
        self.error.setObjectName("loginError")
        self.error.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        box = QVBoxLayout(self)
        box.addWidget(self.heading)
        box.addWidget(self.subheading)
        box.addLayout(self.form)
        box.addWidget(self.error)
        box.addWidget(self.buttons)
        self._task: asyncio.Future | None = None

    def _busy(self, on: bool) -> None:
        self.buttons.setEnabled(not on)
        for child in self.findChildren(QLineEdit) + self.findChildren(QPlainTextEdit):
            child.setEnabled(not on)
        if on:
            self.error.setText(i18n.tr("login.checking"))

    def _on_ok(self) -> None:
        problem = self._validate()
        if problem:
            self.error.setText(problem)
            return
        self._busy(True)
        self._task = asyncio.ensure_future(self._async_attempt())

    async def _async_attempt(self) -> None:
        try:
            await asyncio.to_thread(self._attempt)
        except AuthenticationFailed:
            self._failed(i18n.tr("login.failed"))
            return
        except OperatorError as exc:
            self._failed(str(exc))
            return
        except Exception as exc:  # database gone mid-sign-in: say so, stay in the dialog
            log.error("sign-in failed: %s", exc)
            self._failed(i18n.tr("login.unavailable", error=str(exc).splitlines()[0][:120]))
            return
        self.accept()

    def _failed(self, text: str) -> None:
        self._busy(False)
        self.error.setText(text)
        self.password.clear()
        self.password.setFocus()

    def _validate(self) -> str: ...

    def _attempt(self) -> None: ...


class LoginDialog(_SessionDialog):
    def __init__(self, session: Session, parent: QWidget | None = None, name: str = ""):
        super().__init__(session, "loginDialog", parent)
        self.name = QLineEdit(name, self)
        self.name.setObjectName("loginName")
        self.password = QLineEdit(self)
        self.password.setObjectName("loginPassword")
        self.password.setEchoMode(QLineEdit.Password)
        self.name_label, self.password_label = QLabel(self), QLabel(self)
        self.form.addRow(self.name_label, self.name)
        self.form.addRow(self.password_label, self.password)
        (self.password if name else self.name).setFocus()
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(i18n.tr("login.title"))
        self.heading.setText(i18n.tr("login.heading"))
        self.subheading.setText(i18n.tr("login.console", console=self.session.store.console))
        self.name_label.setText(i18n.tr("login.operator"))
        self.password_label.setText(i18n.tr("login.password"))
        self.buttons.button(QDialogButtonBox.Ok).setText(i18n.tr("login.sign_in"))
        self.buttons.button(QDialogButtonBox.Cancel).setText(i18n.tr("login.cancel"))

    def _validate(self) -> str:
        return "" if self.name.text().strip() and self.password.text() else i18n.tr("login.empty")

    def _attempt(self) -> None:
        self.session.login(self.name.text().strip(), self.password.text())


class HandoverDialog(_SessionDialog):
    def __init__(self, session: Session, parent: QWidget | None = None):
        super().__init__(session, "handoverDialog", parent)
        self.name = QLineEdit(self)
        self.name.setObjectName("handoverName")
        self.password = QLineEdit(self)
        self.password.setObjectName("handoverPassword")
        self.password.setEchoMode(QLineEdit.Password)
        self.note = QPlainTextEdit(self)
        self.note.setObjectName("handoverNote")
        self.note.setTabChangesFocus(True)
        self.note.setMinimumHeight(120)
        self.name_label, self.password_label, self.note_label = QLabel(self), QLabel(self), QLabel(self)
        self.form.addRow(self.name_label, self.name)
        self.form.addRow(self.password_label, self.password)
        self.form.addRow(self.note_label, self.note)
        self.note_label.setAlignment(Qt.AlignTop)
        self.name.setFocus()
        self.retranslate()

    def retranslate(self) -> None:
        self.setWindowTitle(i18n.tr("handover.title"))
        self.heading.setText(i18n.tr("handover.title"))
        self.subheading.setText(i18n.tr("handover.from", name=self.session.name))
        self.name_label.setText(i18n.tr("handover.incoming"))
        self.password_label.setText(i18n.tr("login.password"))
        self.note_label.setText(i18n.tr("handover.note"))
        self.note.setPlaceholderText(i18n.tr("handover.note_hint"))
        self.buttons.button(QDialogButtonBox.Ok).setText(i18n.tr("handover.confirm"))
        self.buttons.button(QDialogButtonBox.Cancel).setText(i18n.tr("login.cancel"))

    def _validate(self) -> str:
        if not self.name.text().strip() or (not self.session.demo and not self.password.text()):
            return i18n.tr("login.empty")
        return ""

    def _attempt(self) -> None:
        password = self.password.text() or (None if self.session.demo else "")
        self.session.handover(self.name.text().strip(), password, self.note.toPlainText().strip())


async def async_run_dialog(dialog: QDialog) -> bool:
    """Show a dialog without a nested event loop (qasync-friendly); True when accepted."""
    done: asyncio.Future[int] = asyncio.get_running_loop().create_future()
    dialog.finished.connect(lambda code: done.done() or done.set_result(code))
    dialog.open()
    return await done == QDialog.DialogCode.Accepted.value


async def async_sign_in(session: Session, parent: QWidget | None = None, name: str = "") -> bool:
    """Sign-in at start. Without any operator account (a fresh install), a marked demo session."""
    store = session.store
    if not store.wait_ready(0) and not await asyncio.to_thread(store.wait_ready, 10.0):
        log.error("database unavailable at sign-in (%s): demo session", store.error)
        await asyncio.to_thread(session.login_demo, name or store.settings.operator)
        return True
    if await asyncio.to_thread(session.operators.count) == 0:
        log.warning("no operator accounts yet (create one: python main.py operators add NAME --role admin)")
        await asyncio.to_thread(session.login_demo, name or store.settings.operator)
        return True
    return await async_run_dialog(LoginDialog(session, parent, name=name))
