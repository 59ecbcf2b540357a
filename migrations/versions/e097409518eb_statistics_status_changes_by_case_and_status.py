"""Statistics indexes: a case's status changes by the status reached, with the time (opened,
closed); a meeting's agenda items by kind and outcome, with the case (each replaces the index
on the case or the meeting alone: the figures are read from the index)

(A panel's cases by status and closing time was tried too: on SQLite it reorders the scans of a
panel's cases by id and the lookups of their actions and reports slow down; left out.)

Revision ID: e097409518eb
Revises: 7930e188568d
Create Date: 2026-11-30 19:17:10.020585

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "e097409518eb"
down_revision = "7930e188568d"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("case_status_change", schema=None) as batch_op:
        batch_op.drop_index("ix_case_status_change_case_id")
        batch_op.create_index(
            "ix_case_status_change_case_id_to_status",
            ["case_id", "to_status", "changed_at"],
            unique=False,
        )
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_index("ix_agenda_item_meeting_id")
        batch_op.create_index(
            "ix_agenda_item_meeting_id_kind_outcome",
            ["meeting_id", "kind", "removed_at", "outcome", "case_id"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_index("ix_agenda_item_meeting_id_kind_outcome")
        batch_op.create_index("ix_agenda_item_meeting_id", ["meeting_id"], unique=False)
    with op.batch_alter_table("case_status_change", schema=None) as batch_op:
        batch_op.drop_index("ix_case_status_change_case_id_to_status")
        batch_op.create_index("ix_case_status_change_case_id", ["case_id"], unique=False)
