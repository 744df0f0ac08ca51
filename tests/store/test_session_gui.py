"""The sign-in and handover dialogs and the status bar's operator/role/demo marker (offscreen Qt)."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtWidgets import QDialog

from console import i18n
from console.core import Core
from console.settings import Settings

pytestmark = pytest.mark.gui


@pytest.fixture
def core(sqlite_url, monkeypatch):
    import argon2

    from console.store import operators

    monkeypatch.setattr(
        operators, "_hasher", argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    c = Core(Settings(db=sqlite_url, console_id="desk-7"), load_plugins=False)
    store = c.services["store"]
    store.open()
    assert store.wait_ready(10)
    yield c
    store.close()
    c.bus.close()


def _run(qapp, coro_factory):
    from widgets.app import run_qasync

    return run_qasync(qapp, coro_factory)


def test_status_bar_shows_operator_role_and_demo_marker(qapp, core):
    from widgets.status import StatusBar

    session = core.services["session"]
    bar = StatusBar(core)
    assert bar.operator_label.text() == i18n.tr("status.no_operator")
    assert not bar.demo_label.isVisibleTo(bar)
    session.login_demo("reza", ["supervisor", "crisis-manager"])
    bar.refresh()
    assert bar.operator_label.text() == "اپراتور: reza (مدیر بحران، سرپرست)"
    assert bar.demo_label.isVisibleTo(bar) and bar.demo_label.text() == "نمایشی"
    i18n.set_lang("en")
    bar.refresh()
    assert bar.operator_label.text() == "Operator: reza (crisis manager, supervisor)"
    assert bar.demo_label.text() == "DEMO"
    session.operators.add("mina", ["operator"], "mina-password", display_name="مینا")
    session.login("mina", "mina-password")
    bar.refresh()
    assert bar.operator_label.text() == "Operator: مینا (operator)" and not bar.demo_label.isVisibleTo(bar)


def test_login_dialog_refuses_then_signs_in(qapp, core):
    from widgets.login import LoginDialog

    session = core.services["session"]
    session.operators.add("sara", ["operator"], "sara-password")

    async def body() -> int:
        dialog = LoginDialog(session, name="sara")
        dialog.password.setText("wrong-password")
        dialog.buttons.accepted.emit()
        assert dialog.error.text() == i18n.tr("login.checking") and not dialog.buttons.isEnabled()
        await dialog._task
        assert dialog.error.text() == i18n.tr("login.failed") and dialog.result() == 0
        assert dialog.password.text() == "" and session.operator is None
        dialog.password.setText("sara-password")
        dialog.buttons.accepted.emit()
        await dialog._task
        assert dialog.result() == QDialog.DialogCode.Accepted.value
        return 0

    assert _run(qapp, body) == 0
    assert session.name == "sara" and not session.demo


def test_empty_fields_are_refused_without_asking_the_database(qapp, core):
    from widgets.login import LoginDialog

    dialog = LoginDialog(core.services["session"])
    dialog.buttons.accepted.emit()
    assert dialog.error.text() == i18n.tr("login.empty") and dialog._task is None


def test_handover_dialog_hands_the_console_over(qapp, core):
    from widgets.login import HandoverDialog

    session = core.services["session"]
    session.operators.add("sara", ["operator"], "sara-password")
    session.operators.add("ali", ["supervisor"], "ali-password")
    session.login("sara", "sara-password")

    async def body() -> int:
        dialog = HandoverDialog(session)
        dialog.name.setText("ali")
        dialog.password.setText("ali-password")
        dialog.note.setPlainText("پمپ ۳ در تعمیر")
        dialog.buttons.accepted.emit()
        await dialog._task
        assert dialog.result() == QDialog.DialogCode.Accepted.value
        return 0

    assert _run(qapp, body) == 0
    assert session.name == "ali"
    core.services["store"].flush()
    with core.services["store"].db.read.connect() as conn:
        from console.store import shifts

        rows = shifts.recent(conn, "desk-7")
    assert rows[1]["handed_to"] == "ali" and rows[1]["note"] == "پمپ ۳ در تعمیر"


def test_sign_in_without_accounts_is_a_marked_demo_session(qapp, core):
    from widgets.login import async_sign_in

    session = core.services["session"]
    assert _run(qapp, lambda: async_sign_in(session, name="guest")) is True
    assert session.name == "guest" and session.demo


def test_no_nested_event_loop_needed():
    # the dialogs are shown with open() and awaited, never exec(): qasync stays the only loop
    import inspect

    import widgets.login as login

    assert ".exec(" not in inspect.getsource(login)
    assert asyncio.iscoroutinefunction(login.async_run_dialog)
