"""Database URL, engines and migrations.

`Database(url)` holds three engines on one database:
- `durable`: alarm state, transitions, journal, operators. SQLite: WAL + synchronous=FULL;
  PostgreSQL: synchronous_commit on (the default).
- `bulk`: the readings writer. SQLite: WAL + synchronous=NORMAL (a crash of the process loses
  nothing committed; a power cut may lose the last commits, never the file's integrity);
  PostgreSQL: synchronous_commit off for this session only (same trade-off, server side).
- `read`: history queries, exports, verification.
SQLite writers open their transactions with BEGIN IMMEDIATE, so two writers queue on the lock
(busy_timeout) instead of failing to upgrade a read transaction.

`migrate()` brings the schema to the newest Alembic revision (under a PostgreSQL advisory lock, so
several consoles starting together migrate once).
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from console.paths import data_dir

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# The newest revision in migrations/versions (a test keeps the two in step). A database already
# there is opened without importing Alembic, which keeps start-up quick.
HEAD_REVISION = "0002"
_ADVISORY_LOCK = 0x52415341  # "RASA"
BUSY_TIMEOUT_MS = 30_000


class DatabaseError(RuntimeError):
    """A user-facing database problem (bad URL, unreachable server, failed migration)."""


def default_url() -> str:
    return f"sqlite:///{data_dir() / 'rasad.db'}"


def normalize_url(url: str | None) -> URL:
    """`None`/"" → the default SQLite file; a bare path → SQLite; postgresql:// → psycopg 3."""
    text = (url or "").strip() or default_url()
    if "://" not in text:
        text = f"sqlite:///{Path(text).expanduser().resolve()}"
    try:
        parsed = make_url(text)
    except (sa.exc.ArgumentError, ValueError) as exc:
        raise DatabaseError(f"bad database URL {text!r}: {exc}") from None
    backend = parsed.get_backend_name()
    if backend == "postgresql" and parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend not in ("sqlite", "postgresql"):
        raise DatabaseError(f"unsupported database {backend!r} (use sqlite or postgresql+psycopg)")
    return parsed


def safe_url(url: URL) -> str:
    """The URL without its password, for logs and messages."""
    return url.render_as_string(hide_password=True)


def url_fingerprint(url: URL) -> str:
    """A short stable name for one database (anchor files are kept per database)."""
    ident = f"{url.get_backend_name()}|{url.host or ''}|{url.port or ''}|{url.database or ''}"
    return hashlib.sha256(ident.encode()).hexdigest()[:16]


def _sqlite_engine(url: URL, synchronous: str, immediate: bool) -> sa.Engine:
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={synchronous}")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _pg_engine(url: URL, synchronous_commit: str, app: str) -> sa.Engine:
    return sa.create_engine(
        url,
        pool_pre_ping=True,
        pool_size=3,
        max_overflow=4,
        connect_args={
            "application_name": app,
            "connect_timeout": 5,
            "options": f"-c synchronous_commit={synchronous_commit}",
        },
    )


class Database:
    def __init__(self, url: str | None = None, *, console: str = "rasad"):
        self.url = normalize_url(url)
        self.dialect = self.url.get_backend_name()
        if self.dialect == "sqlite":
            self.durable = _sqlite_engine(self.url, "FULL", immediate=True)
            self.bulk = _sqlite_engine(self.url, "NORMAL", immediate=True)
            self.read = _sqlite_engine(self.url, "NORMAL", immediate=False)
        else:
            self.durable = _pg_engine(self.url, "on", f"rasad:{console}")
            self.bulk = _pg_engine(self.url, "off", f"rasad-bulk:{console}")
            self.read = self.durable
        self.console = console

    @property
    def is_postgres(self) -> bool:
        return self.dialect == "postgresql"

    def __repr__(self) -> str:
        return f"Database({safe_url(self.url)})"

    def migrate(self, revision: str = "head") -> None:
        """Apply Alembic migrations up to `revision` (idempotent)."""
        try:
            if revision == "head" and self._at_head():
                return
            from alembic import command

            with self.durable.connect() as conn:
                if self.is_postgres:
                    conn.exec_driver_sql(f"SELECT pg_advisory_lock({_ADVISORY_LOCK})")
                    conn.commit()
                try:
                    cfg = alembic_config(conn)
                    command.upgrade(cfg, revision)
                    conn.commit()
                finally:
                    if self.is_postgres:
                        conn.exec_driver_sql(f"SELECT pg_advisory_unlock({_ADVISORY_LOCK})")
                        conn.commit()
        except sa.exc.OperationalError as exc:
            raise DatabaseError(f"cannot open {safe_url(self.url)}: {_first_line(exc)}") from None

    def _at_head(self) -> bool:
        with self.read.connect() as conn:
            if not sa.inspect(conn).has_table("alembic_version"):
                return False
            return conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [
                HEAD_REVISION
            ]

    def downgrade(self, revision: str = "base") -> None:
        from alembic import command

        with self.durable.connect() as conn:
            command.downgrade(alembic_config(conn), revision)
            conn.commit()

    def revision(self) -> str | None:
        from alembic.runtime.migration import MigrationContext

        with self.read.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()

    def dispose(self) -> None:
        for engine in {self.durable, self.bulk, self.read}:
            engine.dispose()


def alembic_config(connection: sa.Connection | None = None):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def _first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", exc) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
