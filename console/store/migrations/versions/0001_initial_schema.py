"""Initial schema: readings (rows, blocks, per-minute), positions, alarms, journal, operators, shifts.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-25 04:21:19.248546
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alarm_state",
        sa.Column("alarm_id", sa.String(length=300), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=200), server_default="", nullable=False),
        sa.Column("district", sa.String(length=100), server_default="", nullable=False),
        sa.Column("message_fa", sa.Text(), server_default="", nullable=False),
        sa.Column("message_en", sa.Text(), server_default="", nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("updated_t", sa.BigInteger(), nullable=False),
        sa.Column("acked_by", sa.String(length=100), server_default="", nullable=False),
        sa.Column("acked_t", sa.BigInteger(), nullable=True),
        sa.Column("acked_console", sa.String(length=100), server_default="", nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("alarm_id", name=op.f("pk_alarm_state")),
    )
    op.create_table(
        "alarm_transitions",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("alarm_id", sa.String(length=300), nullable=False),
        sa.Column("rule_id", sa.String(length=200), nullable=False),
        sa.Column("t", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("from_state", sa.String(length=20), nullable=False),
        sa.Column("to_state", sa.String(length=20), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("operator", sa.String(length=100), server_default="", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("console", sa.String(length=100), server_default="", nullable=False),
        sa.Column("entity", sa.String(length=200), server_default="", nullable=False),
        sa.Column("district", sa.String(length=100), server_default="", nullable=False),
        sa.Column("message_fa", sa.Text(), server_default="", nullable=False),
        sa.Column("message_en", sa.Text(), server_default="", nullable=False),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("found_state", sa.String(length=20), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_alarm_transitions")),
    )
    op.create_index(
        op.f("ix_alarm_transitions_alarm_id_seq"), "alarm_transitions", ["alarm_id", "seq"], unique=False
    )
    op.create_index(op.f("ix_alarm_transitions_t"), "alarm_transitions", ["t"], unique=False)
    op.create_table(
        "entities",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("etype", sa.String(length=100), server_default="", nullable=False),
        sa.Column("topic", sa.String(length=200), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entities")),
        sa.UniqueConstraint("name", name=op.f("uq_entities_name")),
    )
    op.create_table(
        "entity_attrs",
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("t", sa.BigInteger(), nullable=False),
        sa.Column("attrs", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("entity_id", "t", name=op.f("pk_entity_attrs")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "journal",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("t", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("operator", sa.String(length=100), server_default="", nullable=False),
        sa.Column("console", sa.String(length=100), server_default="", nullable=False),
        sa.Column("subject", sa.String(length=300), server_default="", nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_journal")),
    )
    op.create_index(op.f("ix_journal_kind_t"), "journal", ["kind", "t"], unique=False)
    op.create_table(
        "journal_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journal_head")),
    )
    # the chain starts from the genesis hash; appenders lock this one row
    op.execute(sa.text("INSERT INTO journal_head (id, seq, hash) VALUES (1, 0, :h)").bindparams(h="0" * 64))
    op.create_table(
        "operators",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), server_default="", nullable=False),
        sa.Column("roles", sa.String(length=200), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("created_t", sa.BigInteger(), nullable=False),
        sa.Column("updated_t", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_operators")),
    )
    op.create_table(
        "positions",
        sa.Column("entity_id", sa.Integer(), nullable=False),
        sa.Column("t", sa.BigInteger(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("entity_id", "t", name=op.f("pk_positions")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "reading_blocks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("signal_id", sa.Integer(), nullable=False),
        sa.Column("t_first", sa.BigInteger(), nullable=False),
        sa.Column("t_last", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("vmin", sa.Float(), nullable=True),
        sa.Column("vmax", sa.Float(), nullable=True),
        sa.Column("t_blob", sa.LargeBinary(), nullable=False),
        sa.Column("v_blob", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_blocks")),
    )
    op.create_index(
        op.f("ix_reading_blocks_signal_id_t_last"), "reading_blocks", ["signal_id", "t_last"], unique=False
    )
    op.create_table(
        "readings",
        sa.Column("signal_id", sa.Integer(), nullable=False),
        sa.Column("t", sa.BigInteger(), nullable=False),
        sa.Column("v", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("signal_id", "t", name=op.f("pk_readings")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "readings_1m",
        sa.Column("signal_id", sa.Integer(), nullable=False),
        sa.Column("minute", sa.BigInteger(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("vmin", sa.Float(), nullable=False),
        sa.Column("vmax", sa.Float(), nullable=False),
        sa.Column("vsum", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("signal_id", "minute", name=op.f("pk_readings_1m")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "shifts",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("console", sa.String(length=100), nullable=False),
        sa.Column("operator", sa.String(length=100), nullable=False),
        sa.Column("started_t", sa.BigInteger(), nullable=False),
        sa.Column("ended_t", sa.BigInteger(), nullable=True),
        sa.Column("handed_to", sa.String(length=100), server_default="", nullable=False),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("demo", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shifts")),
    )
    op.create_index(op.f("ix_shifts_console_ended_t"), "shifts", ["console", "ended_t"], unique=False)
    op.create_table(
        "signals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("entity", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("etype", sa.String(length=100), server_default="", nullable=False),
        sa.Column("topic", sa.String(length=200), server_default="", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signals")),
        sa.UniqueConstraint("name", name=op.f("uq_signals_name")),
    )

    op.create_table(
        "store_meta",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_store_meta")),
    )


def downgrade() -> None:
    op.drop_table("store_meta")
    op.drop_table("signals")
    op.drop_index(op.f("ix_shifts_console_ended_t"), table_name="shifts")
    op.drop_table("shifts")
    op.drop_table("readings_1m")
    op.drop_table("readings")
    op.drop_index(op.f("ix_reading_blocks_signal_id_t_last"), table_name="reading_blocks")
    op.drop_table("reading_blocks")
    op.drop_table("positions")
    op.drop_table("operators")
    op.drop_table("journal_head")
    op.drop_index(op.f("ix_journal_kind_t"), table_name="journal")
    op.drop_table("journal")
    op.drop_table("entity_attrs")
    op.drop_table("entities")
    op.drop_index(op.f("ix_alarm_transitions_t"), table_name="alarm_transitions")
    op.drop_index(op.f("ix_alarm_transitions_alarm_id_seq"), table_name="alarm_transitions")
    op.drop_table("alarm_transitions")
    op.drop_table("alarm_state")
