"""Writing cases: the reference allocation every new case goes through."""

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from conference.cases.models import ReferenceCounter
from conference.cases.rules import format_reference
from conference.extensions import db
from conference.panels.models import Panel


def allocate_reference(panel: Panel, year: int) -> tuple[str, int]:
    """The next free reference of the panel for the year; safe under concurrent intakes.

    The counter row is created if missing, then incremented in one UPDATE ... RETURNING, which
    holds a row lock (PostgreSQL) or the write lock (SQLite) until the transaction ends.
    """
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(ReferenceCounter)
        .values(panel_id=panel.id, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["panel_id", "year"])
    )
    number = db.session.execute(
        sa.update(ReferenceCounter)
        .where(ReferenceCounter.panel_id == panel.id, ReferenceCounter.year == year)
        .values(last_number=ReferenceCounter.last_number + 1)
        .returning(ReferenceCounter.last_number)
    ).scalar_one()
    return format_reference(panel.code, year, number), number
