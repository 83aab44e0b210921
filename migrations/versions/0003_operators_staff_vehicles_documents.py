"""Operators, their staff and vehicles, and the documents each holds.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "operator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("operator_ref", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact_email", sa.String(length=254), nullable=False),
        sa.Column("depot_postcode", sa.String(length=10), nullable=False),
        sa.Column("depot_latitude", sa.Float(), nullable=False),
        sa.Column("depot_longitude", sa.Float(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_operator")),
        sa.UniqueConstraint("operator_ref", name=op.f("uq_operator_operator_ref")),
    )

    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("staff_ref", sa.String(length=32), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column(
            "role",
            sa.Enum(
                "driver",
                "passenger_assistant",
                name="staff_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("last_name", sa.String(length=100), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operator.id"],
            name=op.f("fk_staff_operator_id_operator"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff")),
        sa.UniqueConstraint("staff_ref", name=op.f("uq_staff_staff_ref")),
    )
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_operator_id"), ["operator_id"], unique=False)

    op.create_table(
        "vehicle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration", sa.String(length=16), nullable=False),
        sa.Column("operator_id", sa.Integer(), nullable=False),
        sa.Column(
            "vehicle_type",
            sa.Enum(
                "car",
                "mpv",
                "wav",
                "minibus",
                name="vehicle_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("wheelchair_spaces", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "seats + wheelchair_spaces > 0", name=op.f("ck_vehicle_carries_someone")
        ),
        sa.CheckConstraint(
            "seats >= 0 AND wheelchair_spaces >= 0", name=op.f("ck_vehicle_capacity")
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operator.id"],
            name=op.f("fk_vehicle_operator_id_operator"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle")),
        sa.UniqueConstraint("registration", name=op.f("uq_vehicle_registration")),
    )
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vehicle_operator_id"), ["operator_id"], unique=False)

    op.create_table(
        "document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "holder_type",
            sa.Enum(
                "operator",
                "staff",
                "vehicle",
                name="holder_type",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("operator_id", sa.Integer(), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=True),
        sa.Column("vehicle_id", sa.Integer(), nullable=True),
        sa.Column("document_type", sa.String(length=40), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(holder_type = 'operator' AND operator_id IS NOT NULL AND staff_id IS NULL AND vehicle_id IS NULL) OR (holder_type = 'staff' AND staff_id IS NOT NULL AND operator_id IS NULL AND vehicle_id IS NULL) OR (holder_type = 'vehicle' AND vehicle_id IS NOT NULL AND operator_id IS NULL AND staff_id IS NULL)",
            name=op.f("ck_document_one_holder"),
        ),
        sa.CheckConstraint(
            "expires_on IS NULL OR issued_on IS NULL OR issued_on <= expires_on",
            name=op.f("ck_document_dates"),
        ),
        sa.ForeignKeyConstraint(
            ["operator_id"],
            ["operator.id"],
            name=op.f("fk_document_operator_id_operator"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_id"], ["staff.id"], name=op.f("fk_document_staff_id_staff"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"],
            ["vehicle.id"],
            name=op.f("fk_document_vehicle_id_vehicle"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document")),
    )
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_document_document_type"), ["document_type"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_document_expires_on"), ["expires_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_operator_id"), ["operator_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_staff_id"), ["staff_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_document_vehicle_id"), ["vehicle_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_document_vehicle_id"))
        batch_op.drop_index(batch_op.f("ix_document_staff_id"))
        batch_op.drop_index(batch_op.f("ix_document_operator_id"))
        batch_op.drop_index(batch_op.f("ix_document_expires_on"))
        batch_op.drop_index(batch_op.f("ix_document_document_type"))
    op.drop_table("document")
    with op.batch_alter_table("vehicle", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vehicle_operator_id"))
    op.drop_table("vehicle")
    with op.batch_alter_table("staff", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_operator_id"))
    op.drop_table("staff")
    op.drop_table("operator")
