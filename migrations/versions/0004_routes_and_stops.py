"""The published route network: routes, ordered stops and pupils at each stop.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "route",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_code", sa.String(length=32), nullable=False),
        sa.Column(
            "session",
            sa.Enum(
                "am",
                "pm",
                name="route_session",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("school_id", sa.Integer(), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("driver_id", sa.Integer(), nullable=True),
        sa.Column("pa_id", sa.Integer(), nullable=True),
        sa.Column("daily_price_pence", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("distance_metres", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("daily_price_pence >= 0", name=op.f("ck_route_price")),
        sa.CheckConstraint(
            "driver_id IS NULL OR pa_id IS NULL OR driver_id <> pa_id", name=op.f("ck_route_crew")
        ),
        sa.ForeignKeyConstraint(
            ["driver_id"], ["staff.id"], name=op.f("fk_route_driver_id_staff"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operator.id"],
            name=op.f("fk_route_operator_id_operator"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["pa_id"], ["staff.id"], name=op.f("fk_route_pa_id_staff"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["school.id"],
            name=op.f("fk_route_school_id_school"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicle.id"],
            name=op.f("fk_route_vehicle_id_vehicle"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route")),
        sa.UniqueConstraint("route_code", name=op.f("uq_route_route_code")),
    )
    with op.batch_alter_table("route", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_route_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_route_school_id"), ["school_id"], unique=False)

    op.create_table(
        "route_stop",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("route_id", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "pickup",
                "school",
                "dropoff",
                name="stop_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("school_id", sa.Integer(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("planned_time", sa.Time(), nullable=False),
        sa.ForeignKeyConstraint(
            ["route_id"],
            ["route.id"],
            name=op.f("fk_route_stop_route_id_route"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_id"],
            ["school.id"],
            name=op.f("fk_route_stop_school_id_school"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route_stop")),
        sa.UniqueConstraint("route_id", "sequence", name=op.f("uq_route_stop_route_id_sequence")),
    )
    with op.batch_alter_table("route_stop", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_route_stop_route_id"), ["route_id"], unique=False)

    op.create_table(
        "route_stop_pupil",
        sa.Column("stop_id", sa.Integer(), nullable=False),
        sa.Column("pupil_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pupil_id"],
            ["pupil.id"],
            name=op.f("fk_route_stop_pupil_pupil_id_pupil"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["stop_id"],
            ["route_stop.id"],
            name=op.f("fk_route_stop_pupil_stop_id_route_stop"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("stop_id", "pupil_id", name=op.f("pk_route_stop_pupil")),
    )
    with op.batch_alter_table("route_stop_pupil", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_route_stop_pupil_pupil_id"), ["pupil_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("route_stop_pupil", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_route_stop_pupil_pupil_id"))
    op.drop_table("route_stop_pupil")
    with op.batch_alter_table("route_stop", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_route_stop_route_id"))
    op.drop_table("route_stop")
    with op.batch_alter_table("route", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_route_school_id"))
        batch_op.drop_index(batch_op.f("ix_route_operator_id"))
    op.drop_table("route")
