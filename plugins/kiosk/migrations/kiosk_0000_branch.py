"""kiosk: branch base (empty): every kiosk revision descends from this.

Revision ID: kiosk_0000
"""

revision = "kiosk_0000"
down_revision = None
branch_labels = ("kiosk",)
depends_on = "core_0001"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
