"""Job leases for the scheduler, and the action states a progress report was written against

Revision ID: c4ca1eb38534
Revises: fb09c09957e5
Create Date: 2026-11-25 07:34:57.619429

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "c4ca1eb38534"
down_revision = "fb09c09957e5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "job_lease",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("holder", sa.String(length=120), nullable=False),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_lease")),
        sa.UniqueConstraint("name", name=op.f("uq_job_lease_name")),
    )
    with op.batch_alter_table("progress_report", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("action_states", sa.JSON(), server_default=sa.text("'[]'"), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("progress_report", schema=None) as batch_op:
        batch_op.drop_column("action_states")

    op.drop_table("job_lease")
