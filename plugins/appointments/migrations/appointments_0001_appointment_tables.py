"""appointments: appointments with booking codes, calendar feeds, booking slots, reminders sent

Revision ID: appointments_0001
Revises: appointments_0000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'appointments_0001'
down_revision: str | Sequence[str] | None = 'appointments_0000'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('appointments_appointment',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=True),
    sa.Column('officer_id', sa.String(length=64), nullable=True),
    sa.Column('unit_id', sa.String(length=64), nullable=True),
    sa.Column('service_id', sa.String(length=64), nullable=True),
    sa.Column('start', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('busy', sa.Boolean(), nullable=False),
    sa.Column('calendar', sa.String(length=140), nullable=True),
    sa.Column('external_id', sa.String(length=400), nullable=True),
    sa.Column('first_name', sa.String(length=60), nullable=True),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=True),
    sa.Column('cancel_token', sa.String(length=64), nullable=True),
    sa.Column('arrived_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('personal_data_purged_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments_appointment')),
    sa.UniqueConstraint('cancel_token', name=op.f('uq_appointments_appointment_cancel_token')),
    sa.UniqueConstraint('office_id', 'calendar', 'external_id', name=op.f('uq_appointments_appointment_office_id_calendar_external_id')),
    sa.UniqueConstraint('office_id', 'code', name=op.f('uq_appointments_appointment_office_id_code'))
    )
    with op.batch_alter_table('appointments_appointment', schema=None) as batch_op:
        batch_op.create_index('ix_appointments_appointment_day', ['office_id', 'start'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_appointment_office_id'), ['office_id'], unique=False)

    op.create_table('appointments_feed',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('calendar', sa.String(length=140), nullable=False),
    sa.Column('last_attempt_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_success_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('leased_until', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments_feed')),
    sa.UniqueConstraint('office_id', 'calendar', name=op.f('uq_appointments_feed_office_id_calendar'))
    )
    with op.batch_alter_table('appointments_feed', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointments_feed_office_id'), ['office_id'], unique=False)

    op.create_table('appointments_reminder',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('appointment_id', sa.String(length=32), nullable=False),
    sa.Column('minutes_before', sa.Integer(), nullable=False),
    sa.Column('sent_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments_reminder')),
    sa.UniqueConstraint('appointment_id', 'minutes_before', name=op.f('uq_appointments_reminder_appointment_id_minutes_before'))
    )
    with op.batch_alter_table('appointments_reminder', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointments_reminder_appointment_id'), ['appointment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appointments_reminder_office_id'), ['office_id'], unique=False)

    op.create_table('appointments_slot',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('service_id', sa.String(length=64), nullable=False),
    sa.Column('start', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('booked', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appointments_slot')),
    sa.UniqueConstraint('office_id', 'service_id', 'start', name=op.f('uq_appointments_slot_office_id_service_id_start'))
    )
    with op.batch_alter_table('appointments_slot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appointments_slot_office_id'), ['office_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('appointments_slot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointments_slot_office_id'))

    op.drop_table('appointments_slot')
    with op.batch_alter_table('appointments_reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointments_reminder_office_id'))
        batch_op.drop_index(batch_op.f('ix_appointments_reminder_appointment_id'))

    op.drop_table('appointments_reminder')
    with op.batch_alter_table('appointments_feed', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointments_feed_office_id'))

    op.drop_table('appointments_feed')
    with op.batch_alter_table('appointments_appointment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appointments_appointment_office_id'))
        batch_op.drop_index('ix_appointments_appointment_day')

    op.drop_table('appointments_appointment')
