"""The audit journal: a hash chain that exposes every kind of tampering, and `audit verify`."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from console.model import AuditEvent
from console.store import journal
from console.store.db import Database
from console.store.schema import journal as jt
from tests.store.factories import T0


def _fill(db: Database, n: int = 12) -> None:
    with db.durable.begin() as conn:
        journal.append(
            conn,
            [
                AuditEvent(
                    t=T0 + i,
                    kind="config",
                    operator="reza",
                    console="desk-1",
                    subject=f"k{i}",
                    detail={"i": i, "fa": "آب"},
                )
                for i in range(n)
            ],
        )


@pytest.fixture
def db(db_url):
    d = Database(db_url)
    d.migrate()
    _fill(d)
    yield d
    d.dispose()


def _verify(db: Database, anchor=None) -> journal.Verdict:
    with db.read.connect() as conn:
        return journal.verify(conn, anchor)


def _exec(db: Database, *stmts) -> None:
    with db.durable.begin() as conn:
        for s in stmts:
            conn.execute(s)


def test_intact_chain_verifies(db):
    v = _verify(db)
    assert v.ok and v.entries == 12 and v.head_seq == 12
    with db.read.connect() as conn:
        assert journal.head(conn) == (12, v.head_hash)


def test_altered_entry_is_named(db):
    _exec(db, sa.update(jt).where(jt.c.seq == 5).values(operator="mallory"))
    v = _verify(db)
    assert not v.ok and v.broken_seq == 5 and "altered" in v.reason


def test_altered_detail_is_named(db):
    _exec(db, sa.update(jt).where(jt.c.seq == 7).values(detail='{"fa":"آب","i":70}'))
    assert _verify(db).broken_seq == 7


def test_deleted_entry_is_named(db):
    _exec(db, sa.delete(jt).where(jt.c.seq == 4))
    v = _verify(db)
    assert v.broken_seq == 4 and "missing" in v.reason


def test_reordered_entries_are_detected(db):
    # swap two entries' positions (their sequence numbers)
    _exec(
        db,
        sa.update(jt).where(jt.c.seq == 3).values(seq=-3),
        sa.update(jt).where(jt.c.seq == 6).values(seq=3),
        sa.update(jt).where(jt.c.seq == -3).values(seq=6),
    )
    v = _verify(db)
    assert not v.ok and v.broken_seq == 3


def test_inserted_entry_is_detected(db):
    # make room after entry 8 and insert a well-formed entry linked to entry 8
    with db.durable.begin() as conn:
        for seq in range(12, 8, -1):
            conn.execute(sa.update(jt).where(jt.c.seq == seq).values(seq=seq + 1))
        prev = conn.execute(sa.select(jt.c.hash).where(jt.c.seq == 8)).scalar()
        detail = journal.canonical_detail({"forged": True})
        h = journal.entry_hash(prev, 9, T0, "config", "mallory", "desk-1", "x", detail)
        conn.execute(
            sa.insert(jt).values(
                seq=9,
                t=T0,
                kind="config",
                operator="mallory",
                console="desk-1",
                subject="x",
                detail=detail,
                prev_hash=prev,
                hash=h,
            )
        )
    v = _verify(db)
    assert not v.ok and v.broken_seq == 10 and "link" in v.reason


def test_removed_tail_is_detected_by_the_head(db):
    _exec(db, sa.delete(jt).where(jt.c.seq >= 11))
    v = _verify(db)
    assert not v.ok and v.broken_seq == 11


def test_rewritten_chain_is_detected_by_the_anchor(db):
    """Someone alters entry 5 and recomputes every later hash and the head: only the anchor can tell."""
    with db.read.connect() as conn:
        anchor = journal.head(conn)
    with db.durable.begin() as conn:
        rows = conn.execute(sa.select(jt).order_by(jt.c.seq)).mappings().all()
        prev = rows[3]["hash"]
        for r in rows[4:]:
            operator = "mallory" if r["seq"] == 5 else r["operator"]
            h = journal.entry_hash(
                prev, r["seq"], r["t"], r["kind"], operator, r["console"], r["subject"], r["detail"]
            )
            conn.execute(
                sa.update(jt).where(jt.c.seq == r["seq"]).values(operator=operator, prev_hash=prev, hash=h)
            )
            prev = h
        conn.execute(sa.text("UPDATE journal_head SET hash = :h"), {"h": prev})
    assert _verify(db).ok  # the chain alone is consistent again ...
    v = _verify(db, anchor)
    assert not v.ok and v.broken_seq == 12 and "anchor" in v.reason  # ... the anchor is not


def test_truncation_below_the_anchor_is_detected(db):
    with db.read.connect() as conn:
        anchor = journal.head(conn)
    with db.durable.begin() as conn:
        conn.execute(sa.delete(jt).where(jt.c.seq > 10))
        h = conn.execute(sa.select(jt.c.hash).where(jt.c.seq == 10)).scalar()
        conn.execute(sa.text("UPDATE journal_head SET seq = 10, hash = :h"), {"h": h})
    assert _verify(db).ok
    v = _verify(db, anchor)
    assert not v.ok and v.broken_seq == 11


def test_anchor_file_only_moves_forward(tmp_path):
    a = journal.Anchor(tmp_path / "a.json")
    assert a.read() is None
    a.write(5, "x" * 64)
    a.write(3, "y" * 64)
    assert a.read() == (5, "x" * 64)
    (tmp_path / "a.json").write_text("garbage")
    assert a.read() is None


def test_anchor_does_not_move_back_when_two_writers_race(tmp_path, monkeypatch):
    """The alarm and audit subscribers commit seq 3 and 4 and each advances the anchor from its own
    thread. Here the seq-3 writer has read the file (nothing newer yet) and is preempted until the
    seq-4 writer is done: the anchor must end at 4. (Without the lock it ended at 3 under load,
    failing test_transitions_from_the_bus_are_stored_and_journaled in full-suite runs.)"""
    anchor = journal.Anchor(tmp_path / "a.json")
    real_read = journal.Anchor.read
    has_read, later_done = threading.Event(), threading.Event()

    def read_then_get_preempted(self):
        got = real_read(self)
        if threading.current_thread().name == "writer-3":
            has_read.set()
            later_done.wait(0.5)  # the seq-4 writer cannot finish meanwhile once write is atomic
        return got

    monkeypatch.setattr(journal.Anchor, "read", read_then_get_preempted)

    def write_4():
        anchor.write(4, "b" * 64)
        later_done.set()

    first = threading.Thread(target=anchor.write, args=(3, "a" * 64), name="writer-3")
    first.start()
    assert has_read.wait(10)
    second = threading.Thread(target=write_4, name="writer-4")
    second.start()
    first.join(10)
    second.join(10)
    assert real_read(anchor) == (4, "b" * 64)
