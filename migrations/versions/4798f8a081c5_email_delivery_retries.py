"""E-mail delivery per message: attempts, retry time, failure and the server's answer

Revision ID: 4798f8a081c5
Revises: 1a78c47249cf
Create Date: 2026-11-30 15:13:17.988373

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "4798f8a081c5"
down_revision = "1a78c47249cf"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("email_attempts", sa.Integer(), server_default=sa.text("0"), nullable=False)
        )
        batch_op.add_column(sa.Column("email_retry_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("email_failed_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("email_error", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.create_index(
            batch_op.f("ix_notification_email_failed_at"), ["email_failed_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("notification", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notification_email_failed_at"))
        batch_op.drop_column("email_error")
        batch_op.drop_column("email_failed_at")
        batch_op.drop_column("email_retry_at")
        batch_op.drop_column("email_attempts")
