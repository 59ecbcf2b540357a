"""Statistics indexes for a period: actions by creation time, progress reports by submission
time and by case and sitting with the time, status changes by status and time, a panel's cases
by status and closing time, agenda items by case and outcome, coordinator assignments by case
and start (the last three replace the index on the case alone; the figures are read from the
index)

Revision ID: 668bd140bb5e
Revises: 5b1e7c2d9a40
Create Date: 2026-11-30 21:12:37.549245

"""

from alembic import op


# revision identifiers, used by Alembic.
revision = "668bd140bb5e"
down_revision = "5b1e7c2d9a40"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.create_index(
            "ix_action_created_at",
            ["created_at", "case_id", "owner_agency_id", "status", "due_on", "completed_at"],
            unique=False,
        )
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_index("ix_agenda_item_case_id")
        batch_op.create_index(
            "ix_agenda_item_case_id_outcome",
            ["case_id", "outcome", "kind", "removed_at", "meeting_id"],
            unique=False,
        )
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_file_panel_status_closed", ["panel_id", "status", "closed_at"], unique=False
        )
    with op.batch_alter_table("case_status_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_status_change_to_status_changed_at", ["to_status", "changed_at"], unique=False
        )
    with op.batch_alter_table("coordinator_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_coordinator_assignment_case_id")
        batch_op.create_index(
            "ix_coordinator_assignment_case_id_started",
            ["case_id", "started_at", "ended_at"],
            unique=False,
        )
    with op.batch_alter_table("progress_report", schema=None) as batch_op:
        batch_op.drop_index("ix_progress_report_case_id")
        batch_op.create_index(
            "ix_progress_report_case_meeting_submitted",
            ["case_id", "meeting_id", "submitted_at"],
            unique=False,
        )
        batch_op.create_index(
            "ix_progress_report_submitted_at", ["submitted_at", "case_id", "rag"], unique=False
        )


def downgrade():
    with op.batch_alter_table("progress_report", schema=None) as batch_op:
        batch_op.drop_index("ix_progress_report_submitted_at")
        batch_op.drop_index("ix_progress_report_case_meeting_submitted")
        batch_op.create_index("ix_progress_report_case_id", ["case_id"], unique=False)
    with op.batch_alter_table("coordinator_assignment", schema=None) as batch_op:
        batch_op.drop_index("ix_coordinator_assignment_case_id_started")
        batch_op.create_index("ix_coordinator_assignment_case_id", ["case_id"], unique=False)
    with op.batch_alter_table("case_status_change", schema=None) as batch_op:
        batch_op.drop_index("ix_case_status_change_to_status_changed_at")
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_index("ix_case_file_panel_status_closed")
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_index("ix_agenda_item_case_id_outcome")
        batch_op.create_index("ix_agenda_item_case_id", ["case_id"], unique=False)
    with op.batch_alter_table("action", schema=None) as batch_op:
        batch_op.drop_index("ix_action_created_at")
