"""Alarm state and transitions, written with full durability, each one also a journal entry.

Every transition is a compare-and-set in the database: it is *applied* only when the alarm's stored
state equals the transition's `from_state` (`UPDATE ... WHERE state = :from_state`); otherwise it is
recorded as *superseded* together with the state it found. Appends hold the journal head lock, so
the check and the write are one step for every console on the database.

Concurrent acknowledgements: the first acknowledgement wins the attribution, "first" meaning the
earliest by its own time (ties: the smaller console name), which is the rule every alarm engine
applies to remote acknowledgements too, so the database and all consoles end with the same answer
whatever order the commits land in. An acknowledgement that reaches the database after a later one
takes the attribution over with a conditional update (`... WHERE acked_t > :t`, same episode only);
one that is later than the stored one is recorded as superseded and never published.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import msgspec
import sqlalchemy as sa

from console.model import AlarmState, AlarmTransition, AuditEvent, Priority
from console.store import journal
from console.store.schema import alarm_state, alarm_transitions

APPLIED = "applied"
SUPERSEDED = "superseded"
ACK_ACTIONS = frozenset({"ack"})

_FIELDS = (
    "alarm_id",
    "rule_id",
    "t",
    "action",
    "operator",
    "note",
    "console",
    "entity",
    "district",
    "message_fa",
    "message_en",
    "lat",
    "lon",
    "until",
)


@dataclass(frozen=True)
class Recorded:
    """What became of one transition: its journal seq and whether it changed the stored state."""

    seq: int
    transition: AlarmTransition
    outcome: str
    found_state: AlarmState

    @property
    def applied(self) -> bool:
        return self.outcome == APPLIED


@dataclass(frozen=True)
class AlarmSnapshot:
    """Current non-normal alarms (their last applied transition each) as of journal entry `seq`."""

    seq: int
    alarms: list[AlarmTransition]


def _apply(conn: sa.Connection, tr: AlarmTransition, seq: int, exists: bool) -> bool:
    """Compare-and-set the stored state; True when this transition won."""
    values = {
        "rule_id": tr.rule_id,
        "state": tr.to_state.value,
        "priority": int(tr.priority),
        "updated_t": tr.t,
        "seq": seq,
    }
    for name in ("entity", "district", "message_fa", "message_en", "lat", "lon"):
        value = getattr(tr, name)
        if value not in ("", None):
            values[name] = value
    if tr.action in ACK_ACTIONS:
        values.update(acked_by=tr.operator, acked_t=tr.t, acked_console=tr.console)
    elif tr.from_state == AlarmState.NORMAL:  # a new episode starts unacknowledged
        values.update(acked_by="", acked_t=None, acked_console="", raised_t=tr.t)
    if not exists:
        if tr.from_state != AlarmState.NORMAL:
            return False
        conn.execute(sa.insert(alarm_state).values(alarm_id=tr.alarm_id, version=1, **values))
        return True
    result = conn.execute(
        sa.update(alarm_state)
        .where(alarm_state.c.alarm_id == tr.alarm_id, alarm_state.c.state == tr.from_state.value)
        .values(version=alarm_state.c.version + 1, **values)
    )
    return result.rowcount == 1


def _take_over_ack(conn: sa.Connection, tr: AlarmTransition, seq: int) -> bool:
    """An acknowledgement earlier than the stored one (same episode) takes the attribution over."""
    c = alarm_state.c
    result = conn.execute(
        sa.update(alarm_state)
        .where(
            c.alarm_id == tr.alarm_id,
            c.state == tr.to_state.value,
            c.acked_t.is_not(None),
            sa.or_(c.acked_t > tr.t, sa.and_(c.acked_t == tr.t, c.acked_console > tr.console)),
            sa.or_(c.raised_t.is_(None), c.raised_t <= tr.t),
        )
        .values(acked_by=tr.operator, acked_t=tr.t, acked_console=tr.console, seq=seq, version=c.version + 1)
    )
    return result.rowcount == 1


def record(conn: sa.Connection, transitions: Sequence[AlarmTransition], console: str) -> list[Recorded]:
    """Store transitions in the caller's (durable) transaction, each as a journal entry too."""
    journal.lock_head(conn)
    out: list[Recorded] = []
    for tr in transitions:
        if not tr.console:
            tr = msgspec.structs.replace(tr, console=console)
        stored = conn.execute(
            sa.select(alarm_state.c.state).where(alarm_state.c.alarm_id == tr.alarm_id)
        ).scalar()
        found = AlarmState(stored) if stored else AlarmState.NORMAL
        # the journal seq is known before the write: the head is locked by this transaction
        seq, _ = journal.head(conn)
        won = _apply(conn, tr, seq + 1, stored is not None)
        if not won and tr.action in ACK_ACTIONS:
            won = _take_over_ack(conn, tr, seq + 1)
        outcome = APPLIED if won else SUPERSEDED
        detail = msgspec.to_builtins(tr)
        detail.update(outcome=outcome, found_state=found.value)
        (jseq,) = journal.append(
            conn,
            [
                AuditEvent(
                    t=tr.t,
                    kind="alarm",
                    operator=tr.operator or "system",
                    console=tr.console,
                    subject=tr.alarm_id,
                    detail=detail,
                )
            ],
        )
        conn.execute(
            sa.insert(alarm_transitions).values(
                seq=jseq,
                from_state=tr.from_state.value,
                to_state=tr.to_state.value,
                priority=int(tr.priority),
                outcome=outcome,
                found_state=found.value,
                **{f: getattr(tr, f) for f in _FIELDS},
            )
        )
        out.append(Recorded(jseq, tr, outcome, found))
    return out


def row_transition(row: sa.RowMapping) -> AlarmTransition:
    return AlarmTransition(
        from_state=AlarmState(row["from_state"]),
        to_state=AlarmState(row["to_state"]),
        priority=Priority(row["priority"]),
        **{f: row[f] for f in _FIELDS},
    )


def snapshot(conn: sa.Connection) -> AlarmSnapshot:
    """Every alarm not in NORMAL, as its last applied transition, and the journal seq it is valid at."""
    seq, _ = journal.head(conn)
    rows = conn.execute(
        sa.select(alarm_transitions)
        .join(alarm_state, alarm_state.c.seq == alarm_transitions.c.seq)
        .where(alarm_state.c.state != AlarmState.NORMAL.value, alarm_state.c.seq <= seq)
        .order_by(alarm_transitions.c.seq)
    ).mappings()
    return AlarmSnapshot(seq, [row_transition(r) for r in rows])


def _listed(conn: sa.Connection, stmt: sa.Select) -> list[tuple[int, str, AlarmTransition]]:
    rows = conn.execute(stmt.order_by(alarm_transitions.c.seq)).mappings()
    return [(r["seq"], r["outcome"], row_transition(r)) for r in rows]


def transitions_after(
    conn: sa.Connection, seq: int, limit: int = 1000
) -> list[tuple[int, str, AlarmTransition]]:
    """(seq, outcome, transition) of every transition recorded after journal entry `seq`."""
    return _listed(conn, sa.select(alarm_transitions).where(alarm_transitions.c.seq > seq).limit(limit))


def history(conn: sa.Connection, alarm_id: str) -> list[tuple[int, str, AlarmTransition]]:
    """(seq, outcome, transition) of one alarm, oldest first."""
    return _listed(conn, sa.select(alarm_transitions).where(alarm_transitions.c.alarm_id == alarm_id))


def states(conn: sa.Connection, alarm_ids: Iterable[str] | None = None) -> dict[str, sa.Row]:
    stmt = sa.select(alarm_state)
    if alarm_ids is not None:
        stmt = stmt.where(alarm_state.c.alarm_id.in_(list(alarm_ids)))
    return {r.alarm_id: r for r in conn.execute(stmt)}
