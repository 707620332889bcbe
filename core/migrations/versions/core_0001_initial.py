"""core tables: users, roles, devices, audit, events

Revision ID: core_0001
Revises: 
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'core_0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ('core',)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('core_audit',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('office_id', sa.String(length=64), nullable=True),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=100), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_audit'))
    )
    with op.batch_alter_table('core_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_audit_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_audit_office_id'), ['office_id'], unique=False)

    op.create_table('core_device',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('enrolment_code_hash', sa.String(length=64), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_seen_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_device')),
    sa.UniqueConstraint('enrolment_code_hash', name=op.f('uq_core_device_enrolment_code_hash')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_core_device_token_hash'))
    )
    with op.batch_alter_table('core_device', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_device_office_id'), ['office_id'], unique=False)

    op.create_table('core_event',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=100), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('fanned_out', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_event'))
    )
    with op.batch_alter_table('core_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_event_fanned_out'), ['fanned_out'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_event_office_id'), ['office_id'], unique=False)

    op.create_table('core_login_failure',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_login_failure'))
    )
    with op.batch_alter_table('core_login_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_login_failure_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_login_failure_key'), ['key'], unique=False)

    op.create_table('core_user',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('username', sa.String(length=150), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('is_platform_admin', sa.Boolean(), nullable=False),
    sa.Column('disabled', sa.Boolean(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_user')),
    sa.UniqueConstraint('username', name=op.f('uq_core_user_username'))
    )
    op.create_table('core_event_delivery',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.Column('plugin', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('delivered_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['core_event.id'], name=op.f('fk_core_event_delivery_event_id_core_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_event_delivery')),
    sa.UniqueConstraint('event_id', 'plugin', name=op.f('uq_core_event_delivery_event_id_plugin'))
    )
    with op.batch_alter_table('core_event_delivery', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_event_delivery_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_event_delivery_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_event_delivery_status'), ['status'], unique=False)

    op.create_table('core_session',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_session_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_core_session_token_hash'))
    )
    with op.batch_alter_table('core_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_session_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_session_user_id'), ['user_id'], unique=False)

    op.create_table('core_user_role',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_user_role_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_user_role')),
    sa.UniqueConstraint('user_id', 'office_id', 'role', name=op.f('uq_core_user_role_user_id_office_id_role'))
    )
    with op.batch_alter_table('core_user_role', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_user_role_office_id'), ['office_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_core_user_role_user_id'), ['user_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('core_user_role', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_user_role_user_id'))
        batch_op.drop_index(batch_op.f('ix_core_user_role_office_id'))

    op.drop_table('core_user_role')
    with op.batch_alter_table('core_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_session_user_id'))
        batch_op.drop_index(batch_op.f('ix_core_session_expires_at'))

    op.drop_table('core_session')
    with op.batch_alter_table('core_event_delivery', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_event_delivery_status'))
        batch_op.drop_index(batch_op.f('ix_core_event_delivery_office_id'))
        batch_op.drop_index(batch_op.f('ix_core_event_delivery_event_id'))

    op.drop_table('core_event_delivery')
    op.drop_table('core_user')
    with op.batch_alter_table('core_login_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_login_failure_key'))
        batch_op.drop_index(batch_op.f('ix_core_login_failure_at'))

    op.drop_table('core_login_failure')
    with op.batch_alter_table('core_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_event_office_id'))
        batch_op.drop_index(batch_op.f('ix_core_event_fanned_out'))

    op.drop_table('core_event')
    with op.batch_alter_table('core_device', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_device_office_id'))

    op.drop_table('core_device')
    with op.batch_alter_table('core_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_audit_office_id'))
        batch_op.drop_index(batch_op.f('ix_core_audit_at'))

    op.drop_table('core_audit')
