"""languages: user locale, panel document locale, minutes version locale

Revision ID: 49854d7a54c9
Revises: 49d55d2ee52c
Create Date: 2026-11-30 18:17:49.637984

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '49854d7a54c9'
down_revision = '49d55d2ee52c'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('minutes_version', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), server_default='en', nullable=False))

    with op.batch_alter_table('panel', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), server_default='en', nullable=False))

    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=True))



def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('locale')

    with op.batch_alter_table('panel', schema=None) as batch_op:
        batch_op.drop_column('locale')

    with op.batch_alter_table('minutes_version', schema=None) as batch_op:
        batch_op.drop_column('locale')

