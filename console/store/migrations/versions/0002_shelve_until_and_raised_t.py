"""Shelving end time on transitions (every console unshelves alike) and the activation time of the
current episode on alarm state (an acknowledgement only counts for the episode it was made in).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alarm_transitions") as batch:
        batch.add_column(sa.Column("until", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("alarm_state") as batch:
        batch.add_column(sa.Column("raised_t", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("alarm_state") as batch:
        batch.drop_column("raised_t")
    with op.batch_alter_table("alarm_transitions") as batch:
        batch.drop_column("until")
