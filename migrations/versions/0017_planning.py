"""Planning: draft plans and their routes, incompatible pupils, routes withdrawn by a promoted plan.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "draft_plan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "session",
            sa.Enum(
                "am",
                "pm",
                name="plan_session",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("school_urns", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "queued",
                "running",
                "ready",
                "failed",
                "discarded",
                "promoted",
                name="plan_status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("time_limit_seconds", sa.Integer(), nullable=False),
        sa.Column("requested_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("progress_done", sa.Integer(), nullable=False),
        sa.Column("progress_total", sa.Integer(), nullable=False),
        sa.Column("progress_message", sa.String(length=300), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("unassigned", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_plan")),
    )
    op.create_table(
        "draft_route",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("route_code", sa.String(length=32), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("vehicle_type", sa.String(length=16), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("wheelchair_spaces", sa.Integer(), nullable=False),
        sa.Column("passenger_assistant", sa.Boolean(), nullable=False),
        sa.Column("daily_price_pence", sa.Integer(), nullable=False),
        sa.Column("distance_metres", sa.Integer(), nullable=False),
        sa.Column("stops", sa.JSON(), nullable=False),
        sa.Column("ride_minutes", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["draft_plan.id"],
            name=op.f("fk_draft_route_plan_id_draft_plan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["school.id"],
            name=op.f("fk_draft_route_school_id_school"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_draft_route")),
        sa.UniqueConstraint(
            "plan_id", "route_code", name=op.f("uq_draft_route_plan_id_route_code")
        ),
    )
    with op.batch_alter_table("draft_route", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_draft_route_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "pupil_incompatibility",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("other_pupil_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.CheckConstraint(
            "pupil_id < other_pupil_id", name=op.f("ck_pupil_incompatibility_ordered_pair")
        ),
        sa.ForeignKeyConstraint(
            ["other_pupil_id"],
            ["pupil.id"],
            name=op.f("fk_pupil_incompatibility_other_pupil_id_pupil"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"],
            ["pupil.id"],
            name=op.f("fk_pupil_incompatibility_pupil_id_pupil"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pupil_incompatibility")),
        sa.UniqueConstraint(
            "pupil_id",
            "other_pupil_id",
            name=op.f("uq_pupil_incompatibility_pupil_id_other_pupil_id"),
        ),
    )
    with op.batch_alter_table("pupil_incompatibility", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pupil_incompatibility_other_pupil_id"), ["other_pupil_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_pupil_incompatibility_pupil_id"), ["pupil_id"], unique=False
        )

    with op.batch_alter_table("route", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawn_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("route", schema=None) as batch_op:
        batch_op.drop_column("withdrawn_on")

    with op.batch_alter_table("pupil_incompatibility", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pupil_incompatibility_pupil_id"))
        batch_op.drop_index(batch_op.f("ix_pupil_incompatibility_other_pupil_id"))

    op.drop_table("pupil_incompatibility")
    with op.batch_alter_table("draft_route", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draft_route_plan_id"))

    op.drop_table("draft_route")
    op.drop_table("draft_plan")
