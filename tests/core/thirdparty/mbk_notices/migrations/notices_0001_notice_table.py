"""notices: the notice table

Revision ID: notices_0001
Revises: notices_0000
"""

import sqlalchemy as sa
from alembic import op

import core.db

revision = "notices_0001"
down_revision = "notices_0000"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("posted_at", core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices_notice")),
    )
    op.create_index(op.f("ix_notices_notice_office_id"), "notices_notice", ["office_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_notices_notice_office_id"), table_name="notices_notice")
    op.drop_table("notices_notice")
