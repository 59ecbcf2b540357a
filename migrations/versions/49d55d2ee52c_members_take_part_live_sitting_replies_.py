"""Members take part: the item the chair is on (the live page follows it), replies to
invitations (attending, apologies, a deputy), who entered a position (the member or the chair
for them; the new stance "agree with a reservation" needs no column), comments on circulated
draft minutes and their answers.

Downgrading turns positions "agree with a reservation" into "agree" (their reason is kept):
the older code knows no other stance.

Revision ID: 49d55d2ee52c
Revises: e850d6e944a1
Create Date: 2026-11-30 15:48:01.548698

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '49d55d2ee52c'
down_revision = 'e850d6e944a1'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('current_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('set_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_item.id'], name=op.f('fk_current_item_agenda_item_id_agenda_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meeting.id'], name=op.f('fk_current_item_meeting_id_meeting'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['set_by_id'], ['user_account.id'], name=op.f('fk_current_item_set_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_current_item')),
    sa.UniqueConstraint('meeting_id', name=op.f('uq_current_item_meeting_id'))
    )
    op.create_table('minutes_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('item_number', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answer', sa.Enum('taken_in', 'not_taken_in', name='commentanswer', native_enum=False, length=40), nullable=True),
    sa.Column('answer_text', sa.Text(), server_default='', nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_minutes_comment_answered_by_id_user_account')),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_minutes_comment_author_id_user_account')),
    sa.ForeignKeyConstraint(['version_id'], ['minutes_version.id'], name=op.f('fk_minutes_comment_version_id_minutes_version'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_comment'))
    )
    with op.batch_alter_table('minutes_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_minutes_comment_version_id'), ['version_id'], unique=False)

    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reply', sa.Enum('attending', 'apologies', 'deputy', name='invitationreply', native_enum=False, length=40), nullable=True))
        batch_op.add_column(sa.Column('replied_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('deputy_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_attendance_deputy_id_user_account'), 'user_account', ['deputy_id'], ['id'])

    with op.batch_alter_table('position', schema=None) as batch_op:
        batch_op.add_column(sa.Column('entered_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_position_entered_by_id_user_account'), 'user_account', ['entered_by_id'], ['id'])



def downgrade():
    op.execute(
        "UPDATE position SET stance = 'agree' WHERE stance = 'agree_with_reservation'"
    )
    with op.batch_alter_table('position', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_position_entered_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('entered_by_id')

    with op.batch_alter_table('attendance', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attendance_deputy_id_user_account'), type_='foreignkey')
        batch_op.drop_column('deputy_id')
        batch_op.drop_column('replied_at')
        batch_op.drop_column('reply')

    with op.batch_alter_table('minutes_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minutes_comment_version_id'))

    op.drop_table('minutes_comment')
    op.drop_table('current_item')
