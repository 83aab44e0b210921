"""School terms, inset days and closures.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "school_term",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.CheckConstraint("starts_on <= ends_on", name=op.f("ck_school_term_order")),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["school.id"],
            name=op.f("fk_school_term_school_id_school"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_term")),
    )
    with op.batch_alter_table("school_term", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_school_term_school_id"), ["school_id"], unique=False)

    op.create_table(
        "school_closure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "inset",
                "closure",
                name="closure_kind",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["school.id"],
            name=op.f("fk_school_closure_school_id_school"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_closure")),
    )
    with op.batch_alter_table("school_closure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_school_closure_closed_on"), ["closed_on"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_school_closure_school_id"), ["school_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("school_closure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_closure_school_id"))
        batch_op.drop_index(batch_op.f("ix_school_closure_closed_on"))
    op.drop_table("school_closure")
    with op.batch_alter_table("school_term", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_school_term_school_id"))
    op.drop_table("school_term")
