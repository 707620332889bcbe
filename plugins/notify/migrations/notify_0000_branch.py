"""notify: branch base (empty): every notify revision descends from this.

Revision ID: notify_0000
"""

revision = "notify_0000"
down_revision = None
branch_labels = ("notify",)
depends_on = "core_0001"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
