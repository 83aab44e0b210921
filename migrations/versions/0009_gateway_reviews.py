"""Gateway reviews of operators and the staff each one sampled.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "gateway_review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("reviewer", sa.String(length=200), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=True),
        sa.Column(
            "outcome",
            sa.Enum(
                "satisfactory",
                "concerns",
                "failed",
                name="review_outcome",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operator.id"],
            name=op.f("fk_gateway_review_operator_id_operator"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_review")),
    )
    with op.batch_alter_table("gateway_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gateway_review_operator_id"), ["operator_id"], unique=False
        )

    op.create_table(
        "gateway_review_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("evidence_seen", sa.Text(), nullable=False),
        sa.Column(
            "outcome",
            sa.Enum(
                "satisfactory",
                "concerns",
                "failed",
                name="review_outcome",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["gateway_review.id"],
            name=op.f("fk_gateway_review_item_review_id_gateway_review"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_gateway_review_item_staff_id_staff"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gateway_review_item")),
    )
    with op.batch_alter_table("gateway_review_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_gateway_review_item_review_id"), ["review_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("gateway_review_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gateway_review_item_review_id"))

    op.drop_table("gateway_review_item")
    with op.batch_alter_table("gateway_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_gateway_review_operator_id"))

    op.drop_table("gateway_review")
