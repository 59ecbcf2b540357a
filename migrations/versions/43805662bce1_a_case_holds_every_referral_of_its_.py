"""A case holds every referral of its person: a repeat referral can be added to the earlier
case instead of opening a new one, so referral.case_id is no longer unique.

Downgrading is refused while a case holds more than one referral (the old schema cannot hold
them); move or remove those referrals first.

Revision ID: 43805662bce1
Revises: 4798f8a081c5
Create Date: 2026-11-30 16:24:11.804051

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '43805662bce1'
down_revision = '4798f8a081c5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_referral_case_id'), type_='unique')
        batch_op.create_index(batch_op.f('ix_referral_case_id'), ['case_id'], unique=False)



def downgrade():
    repeated = op.get_bind().execute(
        sa.text("SELECT case_id FROM referral GROUP BY case_id HAVING COUNT(*) > 1")
    ).scalars().all()
    if repeated:
        raise RuntimeError(
            f"Cases {sorted(repeated)[:20]} hold more than one referral, which the older schema "
            "cannot hold: resolve them before downgrading."
        )
    with op.batch_alter_table('referral', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_case_id'))
        batch_op.create_unique_constraint(batch_op.f('uq_referral_case_id'), ['case_id'])

