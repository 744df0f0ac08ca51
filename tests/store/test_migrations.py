from __future__ import annotations

import sqlalchemy as sa

from console.store.db import Database, normalize_url
from console.store.schema import GENESIS_HASH, metadata


def test_migrations_up_from_empty_down_and_up_again(db_url):
    db = Database(db_url)
    try:
        assert db.revision() is None
        db.migrate()
        assert db.revision() == "0001"
        tables = set(sa.inspect(db.read).get_table_names())
        assert set(metadata.tables) <= tables
        with db.read.connect() as conn:
            assert conn.execute(sa.text("SELECT seq, hash FROM journal_head")).all() == [(0, GENESIS_HASH)]
        db.migrate()  # idempotent
        db.downgrade("base")
        assert not set(metadata.tables) & set(sa.inspect(db.read).get_table_names())
        db.migrate()
        assert db.revision() == "0001"
    finally:
        db.dispose()


def test_sqlite_pragmas_per_engine(sqlite_url):
    db = Database(sqlite_url)
    try:
        db.migrate()
        with db.durable.connect() as c:
            assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        with db.bulk.connect() as c:
            assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    finally:
        db.dispose()


def test_url_forms(tmp_path):
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url(str(tmp_path / "x.db")).get_backend_name() == "sqlite"
    assert normalize_url(None).database.endswith("rasad.db")
