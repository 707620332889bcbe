"""appointments: branch base (empty): every appointments revision descends from this.

Revision ID: appointments_0000
"""

revision = "appointments_0000"
down_revision = None
branch_labels = ("appointments",)
depends_on = "core_0001"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
