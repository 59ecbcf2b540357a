"""The keyed audit chain: a MAC per event, sealed after commit; the unkeyed chain kept as legacy

The head row records where the unkeyed (plain SHA-256) chain ends (`legacy_seq`, its seq now)
and the last event written before the keyed chain (`legacy_last_id`): `flask audit verify`
checks events up to legacy_seq the old way and the keyed chain from there on, starting from the
last legacy hash. Downgrading drops the MACs: the old verify then reports the keyed events as
changed.

Revision ID: 1a78c47249cf
Revises: eb09af9436ea
Create Date: 2026-11-30 15:00:12.522304

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "1a78c47249cf"
down_revision = "eb09af9436ea"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_chain", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("legacy_seq", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("legacy_last_id", sa.Integer(), server_default="0", nullable=False)
        )

    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("nonce", sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column("mac", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_audit_event_mac"), ["mac"])

    # Everything written so far is legacy: the unkeyed chain up to the head, and before it the
    # events from before any chain.
    chain = sa.table(
        "audit_chain",
        sa.column("id", sa.Integer),
        sa.column("seq", sa.Integer),
        sa.column("head", sa.String),
        sa.column("legacy_seq", sa.Integer),
        sa.column("legacy_last_id", sa.Integer),
    )
    event = sa.table("audit_event", sa.column("id", sa.Integer))
    bind = op.get_bind()
    last_id = bind.scalar(sa.select(sa.func.coalesce(sa.func.max(event.c.id), 0)))
    marked = bind.execute(
        sa.update(chain).where(chain.c.id == 1).values(legacy_seq=chain.c.seq, legacy_last_id=last_id)
    )
    if marked.rowcount == 0:
        bind.execute(
            sa.insert(chain).values(id=1, seq=0, head="", legacy_seq=0, legacy_last_id=last_id)
        )


def downgrade():
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_event_mac"), type_="unique")
        batch_op.drop_column("mac")
        batch_op.drop_column("nonce")

    with op.batch_alter_table("audit_chain", schema=None) as batch_op:
        batch_op.drop_column("legacy_last_id")
        batch_op.drop_column("legacy_seq")
