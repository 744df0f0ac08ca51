"""Name → id maps for signals and entities, cached in memory, created on first sight.

Creation is race-free across consoles: INSERT ... ON CONFLICT DO NOTHING, then read the id back.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from console.store.schema import entities, signals


def insert_ignore(conn: sa.Connection, table: sa.Table):
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


class IdCache:
    def __init__(self) -> None:
        self.signal_ids: dict[str, int] = {}
        self.entity_ids: dict[str, int] = {}

    def ensure_signals(self, conn: sa.Connection, wanted: Iterable[tuple[str, str, str, str, str]]) -> None:
        """wanted: (name, entity, key, etype, topic) for names not yet cached."""
        rows = {w[0]: w for w in wanted if w[0] not in self.signal_ids}
        if not rows:
            return
        conn.execute(
            insert_ignore(conn, signals),
            [
                {"name": n, "entity": e, "key": k, "etype": et, "topic": tp}
                for n, e, k, et, tp in rows.values()
            ],
        )
        found = conn.execute(sa.select(signals.c.name, signals.c.id).where(signals.c.name.in_(list(rows))))
        self.signal_ids.update({name: sid for name, sid in found})

    def ensure_entities(self, conn: sa.Connection, wanted: Iterable[tuple[str, str, str]]) -> None:
        """wanted: (name, etype, topic) for names not yet cached."""
        rows = {w[0]: w for w in wanted if w[0] not in self.entity_ids}
        if not rows:
            return
        conn.execute(
            insert_ignore(conn, entities),
            [{"name": n, "etype": et, "topic": tp} for n, et, tp in rows.values()],
        )
        found = conn.execute(sa.select(entities.c.name, entities.c.id).where(entities.c.name.in_(list(rows))))
        self.entity_ids.update({name: eid for name, eid in found})

    def signal_id(self, conn: sa.Connection, name: str) -> int | None:
        sid = self.signal_ids.get(name)
        if sid is None:
            sid = conn.execute(sa.select(signals.c.id).where(signals.c.name == name)).scalar()
            if sid is not None:
                self.signal_ids[name] = sid
        return sid

    def entity_id(self, conn: sa.Connection, name: str) -> int | None:
        eid = self.entity_ids.get(name)
        if eid is None:
            eid = conn.execute(sa.select(entities.c.id).where(entities.c.name == name)).scalar()
            if eid is not None:
                self.entity_ids[name] = eid
        return eid
