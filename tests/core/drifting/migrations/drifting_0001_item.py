"""drifting: the item table, as it was before the model grew a colour.

Revision ID: drifting_0001
Revises: drifting_0000
"""

import sqlalchemy as sa
from alembic import op

revision = "drifting_0001"
down_revision = "drifting_0000"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "drifting_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=100), nullable=False),
        sa.Column("office_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_drifting_item")),
    )
    op.create_index(op.f("ix_drifting_item_office_id"), "drifting_item", ["office_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_drifting_item_office_id"), table_name="drifting_item")
    op.drop_table("drifting_item")
