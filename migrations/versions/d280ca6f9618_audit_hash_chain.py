"""The audit trail as a hash chain: a sequence per event and the chain's head

Revision ID: d280ca6f9618
Revises: c4ca1eb38534
Create Date: 2026-11-25 08:37:50.267369

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "d280ca6f9618"
down_revision = "c4ca1eb38534"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("head", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_audit_event_seq"), ["seq"])


def downgrade():
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_event_seq"), type_="unique")
        batch_op.drop_column("seq")

    op.drop_table("audit_chain")
