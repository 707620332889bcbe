"""surveys: branch base (empty): every surveys revision descends from this.

Revision ID: surveys_0000
"""

revision = "surveys_0000"
down_revision = None
branch_labels = ("surveys",)
depends_on = "core_0001"


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
