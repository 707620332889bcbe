"""notices: branch base (empty); every notices revision descends from it.

Revision ID: notices_0000
"""

revision = "notices_0000"
down_revision = None
branch_labels = ("notices",)
depends_on = "core_0001"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
