"""drifting: branch base (empty).

Revision ID: drifting_0000
"""

revision = "drifting_0000"
down_revision = None
branch_labels = ("drifting",)
depends_on = "core_0001"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
