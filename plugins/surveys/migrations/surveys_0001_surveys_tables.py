"""surveys tables: anonymous responses, their answers, and idempotency tokens

Revision ID: surveys_0001
Revises: surveys_0000
Create Date: 2026-11-24 20:01:24.227672
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'surveys_0001'
down_revision: str | Sequence[str] | None = 'surveys_0000'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('surveys_response',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.Column('survey_id', sa.String(length=40), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('context', sa.String(length=40), nullable=True),
    sa.Column('gender', sa.String(length=16), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_surveys_response')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('surveys_response', schema=None) as batch_op:
        batch_op.create_index('ix_surveys_response_office_survey_day', ['office_id', 'survey_id', 'day'], unique=False)

    op.create_table('surveys_submission_token',
    sa.Column('token', sa.String(length=64), nullable=False),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('token', name=op.f('pk_surveys_submission_token')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('surveys_submission_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_surveys_submission_token_day'), ['day'], unique=False)

    op.create_table('surveys_answer',
    sa.Column('response_id', sa.String(length=32), nullable=False),
    sa.Column('question_id', sa.String(length=40), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('office_id', sa.String(length=64), nullable=False),
    sa.Column('survey_id', sa.String(length=40), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('context', sa.String(length=40), nullable=True),
    sa.Column('gender', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['response_id'], ['surveys_response.id'], name=op.f('fk_surveys_answer_response_id_surveys_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'question_id', name=op.f('pk_surveys_answer')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('surveys_answer', schema=None) as batch_op:
        batch_op.create_index('ix_surveys_answer_report', ['office_id', 'survey_id', 'question_id', 'day', 'value', 'gender', 'language', 'context'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('surveys_answer', schema=None) as batch_op:
        batch_op.drop_index('ix_surveys_answer_report')

    op.drop_table('surveys_answer')
    with op.batch_alter_table('surveys_submission_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_surveys_submission_token_day'))

    op.drop_table('surveys_submission_token')
    with op.batch_alter_table('surveys_response', schema=None) as batch_op:
        batch_op.drop_index('ix_surveys_response_office_survey_day')

    op.drop_table('surveys_response')
