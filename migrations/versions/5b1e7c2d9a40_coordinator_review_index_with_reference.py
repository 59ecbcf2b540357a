"""A coordinator's cases in the order their page shows them (next review, then reference): the
first page of a coordinator of thousands of cases is read from the index, not sorted

Revision ID: 5b1e7c2d9a40
Revises: e097409518eb
Create Date: 2026-11-30 21:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '5b1e7c2d9a40'
down_revision = 'e097409518eb'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_index('ix_case_file_coordinator_review')
        batch_op.create_index(
            'ix_case_file_coordinator_review',
            ['coordinator_id', 'next_review_on', 'reference'],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table('case_file', schema=None) as batch_op:
        batch_op.drop_index('ix_case_file_coordinator_review')
        batch_op.create_index(
            'ix_case_file_coordinator_review', ['coordinator_id', 'next_review_on'], unique=False
        )
