"""Pupil record views: who opened a child's record, and when (UK GDPR accountability).

Revision ID: 0018
Revises: 0017
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pupil_record_view",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("viewed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("what", sa.String(length=60), nullable=False),
        sa.ForeignKeyConstraint(["pupil_id"], ["pupil.id"],
                                name=op.f("fk_pupil_record_view_pupil_id_pupil"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"],
                                name=op.f("fk_pupil_record_view_user_id_app_user"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pupil_record_view")),
    )
    with op.batch_alter_table("pupil_record_view", schema=None) as batch_op:
        batch_op.create_index("ix_pupil_record_view_pupil", ["pupil_id", "viewed_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pupil_record_view", schema=None) as batch_op:
        batch_op.drop_index("ix_pupil_record_view_pupil")
    op.drop_table("pupil_record_view")
