"""The tables (SQLAlchemy Core). One schema for SQLite and PostgreSQL; Alembic migrations create it.

Readings live in three tiers (see docs/architecture.md, "Storage"):
- `readings`: one row per value (signal, t) for the recent past, written by the write-behind writer;
- `reading_blocks`: sealed columnar blocks (int64 t / float64 v arrays) of older readings, so a
  history query over a million samples reads a few hundred rows instead of a million;
- `readings_1m`: per-minute aggregates (n, min, max, sum) of readings older than the rollup age.
Positions (map tracks) and non-numeric attributes (stored on change only) sit beside them.

Alarm state, transitions and the hash-chained journal are written with full durability.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

_BIG = sa.BigInteger()

signals = sa.Table(
    "signals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(300), nullable=False, unique=True),  # "<entity>/<key>"
    sa.Column("entity", sa.String(200), nullable=False),
    sa.Column("key", sa.String(100), nullable=False),
    sa.Column("etype", sa.String(100), nullable=False, server_default=""),
    sa.Column("topic", sa.String(200), nullable=False, server_default=""),
)

entities = sa.Table(
    "entities",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("etype", sa.String(100), nullable=False, server_default=""),
    sa.Column("topic", sa.String(200), nullable=False, server_default=""),
)

readings = sa.Table(
    "readings",
    metadata,
    sa.Column("signal_id", sa.Integer, primary_key=True),
    sa.Column("t", _BIG, primary_key=True),
    sa.Column("v", sa.Float, nullable=False),
    sqlite_with_rowid=False,
)

reading_blocks = sa.Table(
    "reading_blocks",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("signal_id", sa.Integer, nullable=False),
    sa.Column("t_first", _BIG, nullable=False),
    sa.Column("t_last", _BIG, nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("vmin", sa.Float),
    sa.Column("vmax", sa.Float),
    sa.Column("t_blob", sa.LargeBinary, nullable=False),  # little-endian int64
    sa.Column("v_blob", sa.LargeBinary, nullable=False),  # little-endian float64
    sa.Index(None, "signal_id", "t_last"),
)

readings_1m = sa.Table(
    "readings_1m",
    metadata,
    sa.Column("signal_id", sa.Integer, primary_key=True),
    sa.Column("minute", _BIG, primary_key=True),  # ns at the start of the minute (UTC)
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("vmin", sa.Float, nullable=False),
    sa.Column("vmax", sa.Float, nullable=False),
    sa.Column("vsum", sa.Float, nullable=False),
    sqlite_with_rowid=False,
)

positions = sa.Table(
    "positions",
    metadata,
    sa.Column("entity_id", sa.Integer, primary_key=True),
    sa.Column("t", _BIG, primary_key=True),
    sa.Column("lat", sa.Float, nullable=False),
    sa.Column("lon", sa.Float, nullable=False),
    sqlite_with_rowid=False,
)

entity_attrs = sa.Table(
    "entity_attrs",
    metadata,
    sa.Column("entity_id", sa.Integer, primary_key=True),
    sa.Column("t", _BIG, primary_key=True),
    sa.Column("attrs", sa.Text, nullable=False),  # JSON, stored only when it changed
    sqlite_with_rowid=False,
)

# -- alarms, journal, operators (full durability) ---------------------------------------------------
alarm_state = sa.Table(
    "alarm_state",
    metadata,
    sa.Column("alarm_id", sa.String(300), primary_key=True),
    sa.Column("rule_id", sa.String(200), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("entity", sa.String(200), nullable=False, server_default=""),
    sa.Column("district", sa.String(100), nullable=False, server_default=""),
    sa.Column("message_fa", sa.Text, nullable=False, server_default=""),
    sa.Column("message_en", sa.Text, nullable=False, server_default=""),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    sa.Column("updated_t", _BIG, nullable=False),
    sa.Column("acked_by", sa.String(100), nullable=False, server_default=""),
    sa.Column("acked_t", _BIG),
    sa.Column("acked_console", sa.String(100), nullable=False, server_default=""),
    sa.Column("seq", _BIG, nullable=False),  # journal seq of the last applied transition
    sa.Column("version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("raised_t", _BIG),  # activation time of the current episode (0002)
)

alarm_transitions = sa.Table(
    "alarm_transitions",
    metadata,
    sa.Column("seq", _BIG, primary_key=True, autoincrement=False),  # = its journal entry's seq
    sa.Column("alarm_id", sa.String(300), nullable=False),
    sa.Column("rule_id", sa.String(200), nullable=False),
    sa.Column("t", _BIG, nullable=False),
    sa.Column("action", sa.String(20), nullable=False),
    sa.Column("from_state", sa.String(20), nullable=False),
    sa.Column("to_state", sa.String(20), nullable=False),
    sa.Column("priority", sa.Integer, nullable=False),
    sa.Column("operator", sa.String(100), nullable=False, server_default=""),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("console", sa.String(100), nullable=False, server_default=""),
    sa.Column("entity", sa.String(200), nullable=False, server_default=""),
    sa.Column("district", sa.String(100), nullable=False, server_default=""),
    sa.Column("message_fa", sa.Text, nullable=False, server_default=""),
    sa.Column("message_en", sa.Text, nullable=False, server_default=""),
    sa.Column("lat", sa.Float),
    sa.Column("lon", sa.Float),
    # applied: changed alarm_state; superseded: recorded, but another console got there first
    sa.Column("outcome", sa.String(20), nullable=False),
    sa.Column("found_state", sa.String(20), nullable=False, server_default=""),
    sa.Column("until", _BIG),  # shelve: when the shelving runs out (0002)
    sa.Index(None, "alarm_id", "seq"),
    sa.Index(None, "t"),
)

journal = sa.Table(
    "journal",
    metadata,
    sa.Column("seq", _BIG, primary_key=True, autoincrement=False),
    sa.Column("t", _BIG, nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("operator", sa.String(100), nullable=False, server_default=""),
    sa.Column("console", sa.String(100), nullable=False, server_default=""),
    sa.Column("subject", sa.String(300), nullable=False, server_default=""),
    sa.Column("detail", sa.Text, nullable=False),  # canonical JSON, hashed as stored
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
    sa.Index(None, "kind", "t"),
)

# One row: the chain's head. Appenders lock it (FOR UPDATE / BEGIN IMMEDIATE), which serialises
# every append across consoles, so journal seqs are assigned in commit order.
journal_head = sa.Table(
    "journal_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", _BIG, nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

operators = sa.Table(
    "operators",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("display_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("roles", sa.String(200), nullable=False),  # comma-separated Role values
    sa.Column("password_hash", sa.String(300), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("created_t", _BIG, nullable=False),
    sa.Column("updated_t", _BIG, nullable=False),
)

shifts = sa.Table(
    "shifts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("console", sa.String(100), nullable=False),
    sa.Column("operator", sa.String(100), nullable=False),
    sa.Column("started_t", _BIG, nullable=False),
    sa.Column("ended_t", _BIG),
    sa.Column("handed_to", sa.String(100), nullable=False, server_default=""),
    sa.Column("note", sa.Text, nullable=False, server_default=""),
    sa.Column("demo", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index(None, "console", "ended_t"),
)

# Small key/value facts the store keeps about itself (maintenance watermarks).
store_meta = sa.Table(
    "store_meta",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

GENESIS_HASH = "0" * 64
