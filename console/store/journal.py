"""The hash-chained audit journal.

Each entry carries a sequence number (1, 2, 3 ... with no gaps) and
    hash = SHA-256(prev_hash + "\\n" + canonical JSON of [seq, t, kind, operator, console, subject, detail])
where `detail` is hashed exactly as stored. Altering any field breaks that entry's hash; deleting or
reordering entries breaks the sequence or the link to the previous hash; inserting one breaks both.

Appends lock the single `journal_head` row (PostgreSQL `FOR UPDATE`; SQLite writers hold the
database lock from BEGIN IMMEDIATE), so every console appends in one global order and seqs are
assigned in commit order (which is what lets sync resume "after seq N").

A chain alone cannot stop someone who rewrites the tail and recomputes every hash after it. So each
console also keeps an *anchor* outside the database (the last seq and hash it committed, per
database, in its data directory); `verify` checks the chain against it, which exposes a recomputed
or truncated tail. Auditors can also record `audit head` on paper or in another system.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import sqlalchemy as sa

from console.model import AuditEvent
from console.store.schema import GENESIS_HASH, journal, journal_head

log = logging.getLogger(__name__)

VERIFY_CHUNK = 5000


def canonical_detail(detail: dict[str, Any]) -> str:
    return json.dumps(
        msgspec.to_builtins(detail), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )


def entry_hash(
    prev_hash: str, seq: int, t: int, kind: str, operator: str, console: str, subject: str, detail: str
) -> str:
    body = json.dumps(
        [seq, t, kind, operator, console, subject, detail], ensure_ascii=False, separators=(",", ":")
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def lock_head(conn: sa.Connection) -> tuple[int, str]:
    """Lock the chain head for this transaction; returns (last seq, last hash)."""
    stmt = sa.select(journal_head.c.seq, journal_head.c.hash).where(journal_head.c.id == 1)
    if conn.dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    row = conn.execute(stmt).one()
    return int(row.seq), row.hash


def append(conn: sa.Connection, events: Iterable[AuditEvent]) -> list[int]:
    """Append events inside the caller's transaction; returns their seqs (in order)."""
    seq, prev = lock_head(conn)
    rows = []
    for ev in events:
        seq += 1
        detail = canonical_detail(ev.detail)
        h = entry_hash(prev, seq, ev.t, ev.kind, ev.operator, ev.console, ev.subject, detail)
        rows.append(
            {
                "seq": seq,
                "t": ev.t,
                "kind": ev.kind,
                "operator": ev.operator,
                "console": ev.console,
                "subject": ev.subject,
                "detail": detail,
                "prev_hash": prev,
                "hash": h,
            }
        )
        prev = h
    if not rows:
        return []
    conn.execute(sa.insert(journal), rows)
    conn.execute(sa.update(journal_head).where(journal_head.c.id == 1).values(seq=seq, hash=prev))
    return [r["seq"] for r in rows]


def head(conn: sa.Connection) -> tuple[int, str]:
    row = conn.execute(sa.select(journal_head.c.seq, journal_head.c.hash).where(journal_head.c.id == 1)).one()
    return int(row.seq), row.hash


def entries_after(conn: sa.Connection, seq: int, limit: int = 1000) -> list[sa.RowMapping]:
    """Journal rows (as mappings) after `seq`, in order."""
    stmt = sa.select(journal).where(journal.c.seq > seq).order_by(journal.c.seq).limit(limit)
    return list(conn.execute(stmt).mappings())


def row_event(row: Any) -> AuditEvent:
    return AuditEvent(
        t=row["t"],
        kind=row["kind"],
        operator=row["operator"],
        console=row["console"],
        subject=row["subject"],
        detail=json.loads(row["detail"]),
    )


# -- verification ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Verdict:
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    broken_seq: int | None = None
    reason: str = ""

    def line(self) -> str:
        if self.ok:
            return f"journal intact: {self.entries} entries, head {self.head_seq} {self.head_hash[:16]}"
        return f"journal broken at entry {self.broken_seq}: {self.reason}"


def verify(conn: sa.Connection, anchor: tuple[int, str] | None = None) -> Verdict:
    """Walk the whole chain in seq order; the first inconsistency is reported by seq."""
    expected_seq = 1
    prev = GENESIS_HASH
    count = 0
    last = 0
    hashes_at: dict[int, str] = {}
    anchor_seq = anchor[0] if anchor else None
    while True:
        stmt = sa.select(journal).where(journal.c.seq >= expected_seq).order_by(journal.c.seq)
        rows = conn.execute(stmt.limit(VERIFY_CHUNK)).mappings().all()
        if not rows:
            break
        for r in rows:
            seq = r["seq"]
            if seq != expected_seq:
                return _broken(
                    count, expected_seq, f"entry {expected_seq} is missing (next present is {seq})"
                )
            if r["prev_hash"] != prev:
                return _broken(count, seq, "link to the previous entry is broken (reordered or replaced)")
            h = entry_hash(
                prev, seq, r["t"], r["kind"], r["operator"], r["console"], r["subject"], r["detail"]
            )
            if h != r["hash"]:
                return _broken(count, seq, "content does not match its hash (altered)")
            if anchor_seq == seq:
                hashes_at[seq] = h
            prev = h
            last = seq
            expected_seq += 1
            count += 1
    head_seq, head_hash = head(conn)
    if head_seq != last or head_hash != prev:
        bad = min(head_seq, last) + 1 if head_seq != last else last
        return _broken(
            count,
            bad,
            f"chain head says entry {head_seq} but the journal ends at {last} (entries removed or added)",
        )
    if anchor is not None:
        a_seq, a_hash = anchor
        if a_seq > last:
            return _broken(count, last + 1, f"anchor records entry {a_seq} but the journal ends at {last}")
        if a_seq > 0 and hashes_at.get(a_seq) != a_hash:
            return _broken(count, a_seq, "does not match the anchor kept outside the database (rewritten)")
    return Verdict(True, count, last, prev)


def _broken(count: int, seq: int, reason: str) -> Verdict:
    return Verdict(False, count, -1, "", broken_seq=seq, reason=reason)


# -- anchors outside the database -----------------------------------------------------------------
class Anchor:
    """The last (seq, hash) this console committed, in a small file (atomic replace).

    Several threads advance it (the alarm and the audit subscribers commit independently, and
    stores of one process may share a database): the check "newer than what is on file" and the
    replace happen under one lock, or the writer that committed first could land last and move
    the anchor back.
    """

    _lock = threading.Lock()  # one for the process: anchors of all stores, whichever object

    def __init__(self, path: Path):
        self.path = path

    def read(self) -> tuple[int, str] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return int(data["seq"]), str(data["hash"])
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.error("journal anchor %s unreadable (%s); verifying without it", self.path, exc)
            return None

    def write(self, seq: int, hash_: str) -> None:
        """Move the anchor to (seq, hash) unless it already records seq or a later entry."""
        with Anchor._lock:
            current = self.read()
            if current is not None and current[0] >= seq:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(f".{os.getpid()}-{threading.get_ident()}.tmp")
            tmp.write_text(json.dumps({"seq": seq, "hash": hash_}), encoding="utf-8")
            tmp.replace(self.path)
