"""The audit log is append-only in the database; pupils record when transport ended (retention).

Triggers refuse every DELETE of an `audit_entry` row (and TRUNCATE on PostgreSQL), and every
UPDATE unless the transaction holds a row in `audit_redaction_permit`: the retention job
(hts/privacy/retention.py) is the one sanctioned writer, and it removes its permit before it
commits. On SQLite a later migration that rebuilds `audit_entry` with batch_alter_table drops
these triggers with the old table and must create them again.

Revision ID: 0020
Revises: 0019
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# The short id the other migrations use: Alembic's alembic_version.version_num is VARCHAR(32),
# too short for the file's full name on PostgreSQL.
revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None

REFUSED = "audit_entry is append-only: audit entries cannot be changed or deleted"

SQLITE_TRIGGERS = (
    f"""
    CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
    WHEN NOT EXISTS (SELECT 1 FROM audit_redaction_permit)
    BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END
    """,
    f"""
    CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
    BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END
    """,
)

POSTGRES_FUNCTION = f"""
CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND EXISTS (SELECT 1 FROM audit_redaction_permit) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION '{REFUSED} (%)', TG_OP;
END
$$
"""

POSTGRES_TRIGGERS = (
    "CREATE TRIGGER audit_entry_append_only BEFORE UPDATE OR DELETE ON audit_entry "
    "FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()",
    "CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_append_only()",
)


def upgrade() -> None:
    with op.batch_alter_table("pupil", schema=None) as batch_op:
        batch_op.add_column(sa.Column("transport_ended_on", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("anonymised_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "audit_redaction_permit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_redaction_permit")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_FUNCTION)
        for statement in POSTGRES_TRIGGERS:
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_truncate ON audit_entry")
        op.execute("DROP TRIGGER IF EXISTS audit_entry_append_only ON audit_entry")
        op.execute("DROP FUNCTION IF EXISTS audit_entry_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_delete")
        op.execute("DROP TRIGGER IF EXISTS audit_entry_no_update")
    op.drop_table("audit_redaction_permit")
    with op.batch_alter_table("pupil", schema=None) as batch_op:
        batch_op.drop_column("anonymised_at")
        batch_op.drop_column("transport_ended_on")
