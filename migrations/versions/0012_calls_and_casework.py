"""Calls, complaints, safeguarding cases and bus pass applications.

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_day",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("call_on", sa.Date(), nullable=False),
        sa.Column("received", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "answered >= 0 AND answered <= received", name=op.f("ck_call_day_counts")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_day")),
        sa.UniqueConstraint("call_on", name=op.f("uq_call_day_call_on")),
    )

    op.create_table(
        "complaint",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("route_id", sa.Integer(), nullable=True),
        sa.Column("response_due_on", sa.Date(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "closed_on IS NULL OR closed_on >= received_on", name=op.f("ck_complaint_dates")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operator.id"],
            name=op.f("fk_complaint_operator_id_operator"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["route_id"],
            ["route.id"],
            name=op.f("fk_complaint_route_id_route"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint")),
        sa.UniqueConstraint("reference", name=op.f("uq_complaint_reference")),
    )
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_complaint_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_complaint_received_on"), ["received_on"], unique=False)

    op.create_table(
        "safeguarding_case",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("opened_on", sa.Date(), nullable=False),
        sa.Column("category", sa.String(length=60), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("pupil_id", sa.Integer(), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "closed_on IS NULL OR closed_on >= opened_on", name=op.f("ck_safeguarding_case_dates")
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"],
            ["pupil.id"],
            name=op.f("fk_safeguarding_case_pupil_id_pupil"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["route_id"],
            ["route.id"],
            name=op.f("fk_safeguarding_case_route_id_route"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"],
            ["staff.id"],
            name=op.f("fk_safeguarding_case_staff_id_staff"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_safeguarding_case")),
        sa.UniqueConstraint("reference", name=op.f("uq_safeguarding_case_reference")),
    )
    with op.batch_alter_table("safeguarding_case", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_safeguarding_case_opened_on"), ["opened_on"], unique=False
        )

    op.create_table(
        "bus_pass_application",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reference", sa.String(length=32), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("assessed_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "assessed_on IS NULL OR assessed_on >= received_on",
            name=op.f("ck_bus_pass_application_dates"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bus_pass_application")),
        sa.UniqueConstraint("reference", name=op.f("uq_bus_pass_application_reference")),
    )
    with op.batch_alter_table("bus_pass_application", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bus_pass_application_received_on"), ["received_on"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("bus_pass_application", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bus_pass_application_received_on"))
    op.drop_table("bus_pass_application")
    with op.batch_alter_table("safeguarding_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_safeguarding_case_opened_on"))
    op.drop_table("safeguarding_case")
    with op.batch_alter_table("complaint", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_received_on"))
        batch_op.drop_index(batch_op.f("ix_complaint_operator_id"))
    op.drop_table("complaint")
    op.drop_table("call_day")
