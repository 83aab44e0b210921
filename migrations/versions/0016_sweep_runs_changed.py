"""The sweep records which crew and vehicles it took off the day's runs.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sweep_result", schema=None) as batch_op:
        # Sweeps stored before this migration took no one off runs: an empty list.
        batch_op.add_column(
            sa.Column("runs_changed", sa.JSON(), nullable=False, server_default=sa.text("'[]'"))
        )


def downgrade() -> None:
    with op.batch_alter_table("sweep_result", schema=None) as batch_op:
        batch_op.drop_column("runs_changed")
