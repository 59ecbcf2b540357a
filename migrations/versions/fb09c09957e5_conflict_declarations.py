"""Declared conflicts of interest on agenda items

Revision ID: fb09c09957e5
Revises: 93a1851acf1b
Create Date: 2026-11-25 07:11:45.887900

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "fb09c09957e5"
down_revision = "93a1851acf1b"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "conflict_declaration",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agenda_item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("declared_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["agenda_item_id"],
            ["agenda_item.id"],
            name=op.f("fk_conflict_declaration_agenda_item_id_agenda_item"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_conflict_declaration_recorded_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_conflict_declaration_user_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conflict_declaration")),
        sa.UniqueConstraint(
            "agenda_item_id", "user_id", name=op.f("uq_conflict_declaration_agenda_item_id_user_id")
        ),
    )
    with op.batch_alter_table("conflict_declaration", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conflict_declaration_agenda_item_id"), ["agenda_item_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("conflict_declaration", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conflict_declaration_agenda_item_id"))

    op.drop_table("conflict_declaration")
