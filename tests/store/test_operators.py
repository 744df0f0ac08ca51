"""Operators (argon2), sign-in, demo sessions, shift handover, and role gates that leave a trace."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from console.model import Operator, Role
from console.roles import PermissionDenied
from console.session import Session
from console.store import shifts
from console.store.operators import AuthenticationFailed, OperatorError


def _journal(store) -> list[tuple[str, str, str]]:
    store.flush()
    with store.db.read.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(sa.text("SELECT kind, operator, subject FROM journal ORDER BY seq"))
        ]


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch):
    """argon2id with the library's defaults costs ~0.4 s a hash here; tests use a cheaper argon2id."""
    import argon2

    from console.store import operators

    monkeypatch.setattr(
        operators, "_hasher", argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )


def test_default_hasher_is_argon2id_with_library_defaults():
    import argon2

    from console.store import operators

    h = argon2.PasswordHasher()
    assert operators._DUMMY_HASH.startswith("$argon2id$")
    assert not h.check_needs_rehash(operators._DUMMY_HASH)


@pytest.fixture
def session(db_url, make_store):
    store, _ = make_store(db_url)
    return Session(store)


def test_bootstrap_then_admin_only(session):
    ops = session.operators
    assert ops.bootstrap_open()
    ops.add("sara", ["operator"], "correct horse 1")  # before any admin: allowed from the local CLI
    ops.add("root", [Role.ADMIN], "correct horse 2", display_name="مدیر سامانه")
    assert not ops.bootstrap_open()
    with pytest.raises(OperatorError, match="sign in as an admin"):
        ops.add("ali", ["operator"], "correct horse 3")
    sara = ops.get("sara")
    with pytest.raises(PermissionDenied, match=r"operator\.manage"):
        ops.add("ali", ["operator"], "correct horse 3", by=sara)
    root = ops.authenticate("root", "correct horse 2")
    assert root.roles == frozenset({Role.ADMIN}) and root.display_name == "مدیر سامانه"
    ops.add("reza", ["supervisor", "crisis-manager"], "correct horse 4", by=root)
    ops.set_roles("sara", ["operator", "supervisor"], by=root)
    ops.set_active("reza", False, by=root)
    assert ops.get("reza") is None and ops.get("sara").has(Role.SUPERVISOR)
    with pytest.raises(AuthenticationFailed):
        ops.authenticate("reza", "correct horse 4")  # deactivated
    with pytest.raises(OperatorError, match="exists"):
        ops.add("sara", ["operator"], "correct horse 9", by=root)
    with pytest.raises(OperatorError, match="too short"):
        ops.add("mina", ["operator"], "short", by=root)
    with pytest.raises(OperatorError, match="unknown role"):
        ops.add("mina", ["pilot"], "long enough pw", by=root)
    kinds = [k for k, _, _ in _journal(session.store)]
    assert kinds.count("operator-add") == 3 and "operator-roles" in kinds and "operator-deactivate" in kinds
    assert "login-failed" in kinds
    # passwords are stored as argon2id hashes, never in clear
    with session.store.db.read.connect() as conn:
        hashes = conn.execute(sa.text("SELECT password_hash FROM operators")).scalars().all()
    assert all(h.startswith("$argon2id$") for h in hashes) and not any("horse" in h for h in hashes)


def test_login_handover_logout_are_journaled_with_shifts(session):
    ops = session.operators
    ops.add("sara", ["operator"], "sara-password")
    ops.add("ali", ["supervisor"], "ali-password")
    seen = []
    session.on_change(lambda s: seen.append(s.name))
    with pytest.raises(AuthenticationFailed):
        session.login("sara", "wrong-password")
    assert session.operator is None
    session.login("sara", "sara-password")
    with pytest.raises(AuthenticationFailed):
        session.handover("ali", "nope-nope-nope", "night shift")
    assert session.name == "sara"
    session.handover("ali", "ali-password", "پمپ ۳ در تعمیر است")
    assert session.name == "ali" and not session.demo and session.operator.has(Role.SUPERVISOR)
    session.logout("end of shift")
    assert seen == ["sara", "ali", ""]
    entries = _journal(session.store)
    assert [k for k, _, _ in entries if k in ("login", "handover", "logout")] == [
        "login",
        "handover",
        "logout",
    ]
    with session.store.db.read.connect() as conn:
        rows = shifts.recent(conn, "desk-1")
    assert [(r["operator"], r["handed_to"], r["ended_t"] is not None) for r in rows] == [
        ("ali", "", True),
        ("sara", "ali", True),
    ]
    assert rows[1]["note"] == "پمپ ۳ در تعمیر است" and not rows[0]["demo"]
    assert session.store.verify_journal().ok


def test_demo_session_is_marked_and_keeps_known_roles(session):
    session.operators.add("reza", ["supervisor"], "reza-password")
    op = session.login_demo("reza")
    assert session.demo and op.has(Role.SUPERVISOR)
    op = session.login_demo("guest")
    assert op.roles == frozenset({Role.OPERATOR})
    session.login_demo("lead", ["crisis-manager"])
    assert session.operator.has(Role.CRISIS_MANAGER)
    session.logout()
    with pytest.raises(OperatorError, match="nobody"):
        session.handover("x", None)
    session.store.flush()
    with session.store.db.read.connect() as conn:
        rows = shifts.recent(conn, "desk-1")
    assert all(r["demo"] for r in rows) and len(rows) == 3
    assert rows[1]["note"].startswith("not signed out")


def test_role_gates_enforced_and_refusals_journaled(session):
    session.login_demo("sara", ["operator"])
    session.require("alarm.ack")
    for action, reason in [
        ("alarm.shelve", "pump maintenance"),
        ("alarm.oos", "sensor replaced"),
        ("rule.edit", "x"),
        ("cap.publish", "flood"),
        ("config.change", "y"),
    ]:
        with pytest.raises(PermissionDenied):
            session.require(action, reason, subject="gauge-7")
    session.login_demo("reza", ["supervisor"])
    assert session.require("alarm.shelve", "pump maintenance").name == "reza"
    with pytest.raises(PermissionDenied, match="needs a reason"):
        session.require("alarm.shelve", "  ")
    with pytest.raises(PermissionDenied):
        session.require("cap.publish", "flood warning")
    session.login_demo("mina", ["crisis-manager"])
    session.require("cap.publish", "flood warning")
    session.logout()
    with pytest.raises(PermissionDenied):
        session.require("alarm.ack")  # nobody signed in
    denied = [(o, s) for k, o, s in _journal(session.store) if k == "denied"]
    assert len(denied) == 5 + 2 + 1 and denied[0] == ("sara", "gauge-7") and denied[-1][0] == "nobody"


def test_handover_in_a_real_session_needs_the_password(session):
    session.operators.add("sara", ["operator"], "sara-password")
    session.login("sara", "sara-password")
    with pytest.raises(OperatorError, match="password"):
        session.handover("ali", None)
    assert isinstance(session.operator, Operator)
