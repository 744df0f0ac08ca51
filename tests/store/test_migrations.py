from __future__ import annotations

import sqlalchemy as sa

from console.store.db import HEAD_REVISION, Database, normalize_url
from console.store.schema import GENESIS_HASH, metadata


def test_migrations_up_from_empty_down_and_up_again(db_url):
    db = Database(db_url)
    try:
        assert db.revision() is None
        db.migrate()
        assert db.revision() == HEAD_REVISION
        tables = set(sa.inspect(db.read).get_table_names())
        assert set(metadata.tables) <= tables
        with db.read.connect() as conn:
            assert conn.execute(sa.text("SELECT seq, hash FROM journal_head")).all() == [(0, GENESIS_HASH)]
        db.migrate()  # idempotent
        db.downgrade("base")
        assert not set(metadata.tables) & set(sa.inspect(db.read).get_table_names())
        db.migrate()
        assert db.revision() == HEAD_REVISION
    finally:
        db.dispose()


def test_upgrade_keeps_data_written_by_an_older_revision(db_url):
    """A database made by 0001 with alarms in it is carried to head: rows kept, new columns empty."""
    db = Database(db_url)
    try:
        db.migrate("0001")
        with db.durable.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO alarm_state (alarm_id, rule_id, state, priority, updated_t, seq, version) "
                    "VALUES ('a1', 'r', 'unack', 3, 1, 1, 1)"
                )
            )
        db.migrate()
        assert db.revision() == HEAD_REVISION
        with db.read.connect() as conn:
            row = conn.execute(sa.text("SELECT alarm_id, state, raised_t FROM alarm_state")).one()
        assert tuple(row) == ("a1", "unack", None)
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


def test_head_revision_constant_matches_the_migrations():
    from alembic.script import ScriptDirectory

    from console.store.db import HEAD_REVISION, alembic_config

    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == HEAD_REVISION


def test_schema_matches_the_models(db_url):
    """The migrations produce exactly the tables/columns/indexes the code declares (both backends)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    db = Database(db_url)
    try:
        db.migrate()
        with db.read.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        db.dispose()


def test_bad_urls_are_one_line_errors():
    import pytest

    from console.store.db import DatabaseError

    with pytest.raises(DatabaseError, match="unsupported database"):
        normalize_url("mysql://u@h/db")
    with pytest.raises(DatabaseError, match="bad database URL"):
        normalize_url("postgresql://u@h:notaport/db")


def test_unreachable_server_is_a_one_line_error(pg_server):
    import pytest

    from console.store.db import DatabaseError
    from tests.store.pg import free_port

    db = Database(f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/x")
    with pytest.raises(DatabaseError, match="cannot open"):
        db.migrate()
