"""people, single sign-on and devices: password links, SSO subjects and ID tokens, enrolment expiry, offline

Revision ID: core_0002
Revises: core_0001
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'core_0002'
down_revision: str | Sequence[str] | None = 'core_0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('core_password_link',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['core_user.id'], name=op.f('fk_core_password_link_user_id_core_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_core_password_link')),
    sa.UniqueConstraint('code_hash', name=op.f('uq_core_password_link_code_hash'))
    )
    with op.batch_alter_table('core_password_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_core_password_link_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sso_subject', sa.String(length=255), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_core_user_sso_subject'), ['sso_subject'])

    with op.batch_alter_table('core_session', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_token', sa.Text(), nullable=True))

    with op.batch_alter_table('core_device', schema=None) as batch_op:
        batch_op.add_column(sa.Column('enrolment_expires_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('offline_reported_at', core.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('core_device', schema=None) as batch_op:
        batch_op.drop_column('offline_reported_at')
        batch_op.drop_column('enrolment_expires_at')

    with op.batch_alter_table('core_session', schema=None) as batch_op:
        batch_op.drop_column('id_token')

    with op.batch_alter_table('core_user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_core_user_sso_subject'), type_='unique')
        batch_op.drop_column('sso_subject')

    with op.batch_alter_table('core_password_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_core_password_link_user_id'))

    op.drop_table('core_password_link')
