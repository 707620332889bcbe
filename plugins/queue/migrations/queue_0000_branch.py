"""queue: branch base (empty): every queue revision descends from this.

Revision ID: queue_0000
"""

revision = "queue_0000"
down_revision = None
branch_labels = ("queue",)
depends_on = "core_0001"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
