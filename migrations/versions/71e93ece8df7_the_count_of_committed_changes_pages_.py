"""The count of committed changes pages may show, read by the page cache (one row, written
by the first change that commits)

Revision ID: 71e93ece8df7
Revises: 668bd140bb5e
Create Date: 2026-12-01 00:28:34.078137

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "71e93ece8df7"
down_revision = "668bd140bb5e"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "content_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_version")),
    )


def downgrade():
    op.drop_table("content_version")
