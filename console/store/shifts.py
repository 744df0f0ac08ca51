"""Shifts, kept as a projection of the journal: `login`, `logout` and `handover` entries open and close
them in the same transaction that journals them (so the two never disagree)."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from console.model import AuditEvent
from console.store.schema import shifts

SHIFT_KINDS = frozenset({"login", "logout", "handover"})


def _close_open(conn: sa.Connection, console: str, t: int, handed_to: str = "", note: str = "") -> None:
    conn.execute(
        sa.update(shifts)
        .where(shifts.c.console == console, shifts.c.ended_t.is_(None))
        .values(ended_t=t, handed_to=handed_to, note=note)
    )


def _open(conn: sa.Connection, console: str, operator: str, t: int, demo: bool, note: str = "") -> None:
    conn.execute(
        sa.insert(shifts).values(console=console, operator=operator, started_t=t, demo=demo, note=note)
    )


def project(conn: sa.Connection, events: Iterable[AuditEvent]) -> None:
    for ev in events:
        if ev.kind not in SHIFT_KINDS:
            continue
        demo = bool(ev.detail.get("demo", False))
        if ev.kind == "login":
            _close_open(conn, ev.console, ev.t, note="not signed out (replaced by a new sign-in)")
            _open(conn, ev.console, ev.operator, ev.t, demo)
        elif ev.kind == "logout":
            _close_open(conn, ev.console, ev.t, note=str(ev.detail.get("reason", "")))
        else:
            to, note = str(ev.detail.get("to", "")), str(ev.detail.get("note", ""))
            _close_open(conn, ev.console, ev.t, handed_to=to, note=note)
            _open(conn, ev.console, to, ev.t, demo, note=note)


def recent(conn: sa.Connection, console: str | None = None, limit: int = 50) -> list[sa.RowMapping]:
    stmt = sa.select(shifts)
    if console is not None:
        stmt = stmt.where(shifts.c.console == console)
    return list(conn.execute(stmt.order_by(shifts.c.id.desc()).limit(limit)).mappings())
