"""Route change control: change requests, their routes, published route versions; route lock,
vehicle type and start day; the route approver grant on accounts.

Revision ID: 0019
Revises: 0018
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('change_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by', sa.String(length=200), nullable=False),
    sa.Column('state', sa.Enum('draft', 'submitted', 'approved', 'published', 'rejected', name='change_state', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rejected_by_id', sa.Integer(), nullable=True),
    sa.Column('rejected_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rejection_reason', sa.Text(), nullable=True),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('notice_school_days', sa.Integer(), nullable=True),
    sa.Column('lock_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['app_user.id'], name=op.f('fk_change_request_approved_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_change_request_created_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['published_by_id'], ['app_user.id'], name=op.f('fk_change_request_published_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['rejected_by_id'], ['app_user.id'], name=op.f('fk_change_request_rejected_by_id_app_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['app_user.id'], name=op.f('fk_change_request_submitted_by_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_change_request'))
    )
    with op.batch_alter_table('change_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_request_created_by_id'), ['created_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_change_request_state'), ['state'], unique=False)

    op.create_table('route_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('change_request_id', sa.Integer(), nullable=False),
    sa.Column('route_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.Enum('modify', 'create', 'withdraw', name='change_action', native_enum=False, create_constraint=True, length=16), nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=True),
    sa.Column('route_code', sa.String(length=32), nullable=False),
    sa.Column('proposed', sa.JSON(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('open_key', sa.String(length=48), nullable=True),
    sa.ForeignKeyConstraint(['change_request_id'], ['change_request.id'], name=op.f('fk_route_change_change_request_id_change_request'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['route_id'], ['route.id'], name=op.f('fk_route_change_route_id_route'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_change')),
    sa.UniqueConstraint('open_key', name=op.f('uq_route_change_open_key'))
    )
    with op.batch_alter_table('route_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_route_change_change_request_id'), ['change_request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_route_change_route_id'), ['route_id'], unique=False)

    op.create_table('route_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('route_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('change_request_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.String(length=254), nullable=False),
    sa.ForeignKeyConstraint(['change_request_id'], ['change_request.id'], name=op.f('fk_route_version_change_request_id_change_request'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['route_id'], ['route.id'], name=op.f('fk_route_version_route_id_route'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_route_version')),
    sa.UniqueConstraint('route_id', 'effective_from', name=op.f('uq_route_version_route_id_effective_from')),
    sa.UniqueConstraint('route_id', 'version', name=op.f('uq_route_version_route_id_version'))
    )
    with op.batch_alter_table('route_version', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_route_version_route_id'), ['route_id'], unique=False)

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('route_approver', sa.Boolean(), nullable=False, server_default=sa.false()))

    with op.batch_alter_table('route', schema=None) as batch_op:
        batch_op.add_column(sa.Column('vehicle_type', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('locked', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('starts_on', sa.Date(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('route', schema=None) as batch_op:
        batch_op.drop_column('starts_on')
        batch_op.drop_column('locked')
        batch_op.drop_column('vehicle_type')

    with op.batch_alter_table('app_user', schema=None) as batch_op:
        batch_op.drop_column('route_approver')

    with op.batch_alter_table('route_version', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_route_version_route_id'))

    op.drop_table('route_version')
    with op.batch_alter_table('route_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_route_change_route_id'))
        batch_op.drop_index(batch_op.f('ix_route_change_change_request_id'))

    op.drop_table('route_change')
    with op.batch_alter_table('change_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_change_request_state'))
        batch_op.drop_index(batch_op.f('ix_change_request_created_by_id'))

    op.drop_table('change_request')
