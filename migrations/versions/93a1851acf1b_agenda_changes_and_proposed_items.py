"""Agenda changes after publication, and which items the builder proposed

Revision ID: 93a1851acf1b
Revises: c9064a507339
Create Date: 2026-11-25 06:38:08.982264

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "93a1851acf1b"
down_revision = "c9064a507339"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "agenda_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "added",
                "removed",
                "moved",
                "retimed",
                name="agendachangekind",
                native_enum=False,
                length=40,
            ),
            nullable=False,
        ),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["agenda_item.id"],
            name=op.f("fk_agenda_change_agenda_item_id_agenda_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["by_id"], ["user_account.id"], name=op.f("fk_agenda_change_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"],
            ["meeting.id"],
            name=op.f("fk_agenda_change_meeting_id_meeting"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agenda_change")),
    )
    with op.batch_alter_table("agenda_change", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agenda_change_meeting_id"), ["meeting_id"], unique=False
        )

    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("proposed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )


def downgrade():
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_column("proposed")

    with op.batch_alter_table("agenda_change", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_change_meeting_id"))

    op.drop_table("agenda_change")
