"""notify: the booking's .ics file an e-mail confirmation attaches (iCalendar text from the event)

Revision ID: notify_0005
Revises: notify_0004
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'notify_0005'
down_revision: str | Sequence[str] | None = 'notify_0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('notify_message', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ics', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notify_message', schema=None) as batch_op:
        batch_op.drop_column('ics')
