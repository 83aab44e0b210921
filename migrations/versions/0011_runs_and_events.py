"""Daily runs, the pupils on each, their events, and pupil absences.

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("run_on", sa.Date(), nullable=False),
        sa.Column("session", sa.String(length=2), nullable=False),
        sa.Column("route_version", sa.Integer(), nullable=False),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("driver_id", sa.Integer(), nullable=True),
        sa.Column("pa_id", sa.Integer(), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "scheduled",
                "under_way",
                "arrived",
                "completed",
                "cancelled",
                "not_required",
                name="run_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("due_at_school", sa.Time(), nullable=False),
        sa.Column("arrived_at_school", sa.Time(), nullable=True),
        sa.Column("on_time", sa.Boolean(), nullable=True),
        sa.Column("pupils_expected", sa.Integer(), nullable=False),
        sa.Column("pupils_absent", sa.Integer(), nullable=False),
        sa.Column("pupils_transported", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "pupils_absent <= pupils_expected AND pupils_transported <= pupils_expected",
            name=op.f("ck_run_pupil_counts"),
        ),
        sa.ForeignKeyConstraint(
            ["driver_id"], ["staff.id"], name=op.f("fk_run_driver_id_staff"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operator.id"],
            name=op.f("fk_run_operator_id_operator"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["pa_id"], ["staff.id"], name=op.f("fk_run_pa_id_staff"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["route_id"], ["route.id"], name=op.f("fk_run_route_id_route"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["school_id"], ["school.id"], name=op.f("fk_run_school_id_school"), ondelete="RESTRICT"
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicle.id"],
            name=op.f("fk_run_vehicle_id_vehicle"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run")),
        sa.UniqueConstraint("route_id", "run_on", name=op.f("uq_run_route_id_run_on")),
    )
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_run_route_id"), ["route_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_run_run_on"), ["run_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_run_school_id"), ["school_id"], unique=False)

    op.create_table(
        "run_pupil",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "expected",
                "absent",
                "boarded",
                "not_presented",
                "delivered",
                name="run_pupil_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["pupil_id"], ["pupil.id"], name=op.f("fk_run_pupil_pupil_id_pupil"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["run.id"], name=op.f("fk_run_pupil_run_id_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_pupil")),
        sa.UniqueConstraint("run_id", "pupil_id", name=op.f("uq_run_pupil_run_id_pupil_id")),
    )
    with op.batch_alter_table("run_pupil", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_pupil_pupil_id"), ["pupil_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_run_pupil_run_id"), ["run_id"], unique=False)

    op.create_table(
        "run_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=300), nullable=True),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pupil_id"],
            ["pupil.id"],
            name=op.f("fk_run_event_pupil_id_pupil"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["run.id"], name=op.f("fk_run_event_run_id_run"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_event")),
        sa.UniqueConstraint(
            "source", "idempotency_key", name=op.f("uq_run_event_source_idempotency_key")
        ),
    )
    with op.batch_alter_table("run_event", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_run_event_run_id"), ["run_id"], unique=False)

    op.create_table(
        "pupil_absence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.Column("absent_on", sa.Date(), nullable=False),
        sa.Column("session", sa.String(length=4), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("recorded_by", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pupil_id"],
            ["pupil.id"],
            name=op.f("fk_pupil_absence_pupil_id_pupil"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pupil_absence")),
        sa.UniqueConstraint(
            "pupil_id",
            "absent_on",
            "session",
            name=op.f("uq_pupil_absence_pupil_id_absent_on_session"),
        ),
    )
    with op.batch_alter_table("pupil_absence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pupil_absence_absent_on"), ["absent_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_pupil_absence_pupil_id"), ["pupil_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pupil_absence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pupil_absence_pupil_id"))
        batch_op.drop_index(batch_op.f("ix_pupil_absence_absent_on"))
    op.drop_table("pupil_absence")
    with op.batch_alter_table("run_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_event_run_id"))
    op.drop_table("run_event")
    with op.batch_alter_table("run_pupil", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_pupil_run_id"))
        batch_op.drop_index(batch_op.f("ix_run_pupil_pupil_id"))
    op.drop_table("run_pupil")
    with op.batch_alter_table("run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_run_school_id"))
        batch_op.drop_index(batch_op.f("ix_run_run_on"))
        batch_op.drop_index(batch_op.f("ix_run_route_id"))
        batch_op.drop_index(batch_op.f("ix_run_operator_id"))
    op.drop_table("run")
