"""Statistics: the case's age band (a need-to-know fact), the panel's suppression threshold,
and an index on agenda items by meeting

The age band is worked out once here for the existing cases, from the date of birth and the day
the concern was received, so that statistics never read the (restricted) date of birth.

Revision ID: e850d6e944a1
Revises: 43805662bce1
Create Date: 2026-11-30 14:58:46.096216

"""

import calendar
from datetime import date, datetime

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "e850d6e944a1"
down_revision = "43805662bce1"
branch_labels = None
depends_on = None

ADULT_AGE = 18


def _as_date(value):
    """SQLite hands back dates and datetimes as text."""
    if value is None or isinstance(value, date):
        return value.date() if isinstance(value, datetime) else value
    return date.fromisoformat(str(value)[:10])


def _band(date_of_birth, received_on):
    """The same rule as conference.cases.rules.age_band, frozen as it was when this ran."""
    if date_of_birth is None:
        return "unknown"
    year = received_on.year - ADULT_AGE
    if (received_on.month, received_on.day) == (2, 29) and not calendar.isleap(year):
        cutoff = date(year, 2, 28)
    else:
        cutoff = received_on.replace(year=year)
    return "minor" if date_of_birth > cutoff else "adult"


def upgrade():
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "age_band",
                sa.Enum("minor", "adult", "unknown", name="ageband", native_enum=False, length=40),
                server_default="unknown",
                nullable=False,
            )
        )
    with op.batch_alter_table("panel", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("suppression_threshold", sa.Integer(), server_default="5", nullable=False)
        )
    # Statistics count a period's agenda items from its meetings.
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_agenda_item_meeting_id"), ["meeting_id"], unique=False
        )

    connection = op.get_bind()
    rows = connection.execute(
        sa.text(
            "SELECT case_file.id, subject.date_of_birth, referral.received_on, "
            "case_file.referred_at FROM case_file "
            "JOIN subject ON subject.case_id = case_file.id "
            "LEFT JOIN referral ON referral.case_id = case_file.id "
            "WHERE subject.date_of_birth IS NOT NULL"
        )
    ).all()
    updates = [
        {
            "id": case_id,
            "band": _band(_as_date(birth), _as_date(received) or _as_date(referred_at)),
        }
        for case_id, birth, received, referred_at in rows
    ]
    if updates:
        connection.execute(
            sa.text("UPDATE case_file SET age_band = :band WHERE id = :id"), updates
        )


def downgrade():
    with op.batch_alter_table("agenda_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agenda_item_meeting_id"))
    with op.batch_alter_table("panel", schema=None) as batch_op:
        batch_op.drop_column("suppression_threshold")
    with op.batch_alter_table("case_file", schema=None) as batch_op:
        batch_op.drop_column("age_band")
