"""Everything the database holds about one case, found by following foreign keys from it.

Retention wipes the restricted columns of these rows; the subject export reads all of them. A
new table that points at a case, or at one of its records, is covered with no change here.
"""

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from conference.audit.services import record_event
from conference.cases.models import Case
from conference.db import Classification
from conference.extensions import db

# Foreign keys that name another case than the one whose record the row is.
OTHER_CASE = frozenset({("referral", "previous_case_id")})


def _links() -> Iterator[tuple[sa.Table, sa.Column[Any], str]]:
    """(table, its foreign key column, the table it points at), parents before children."""
    reached = ["case_file"]
    for parent in reached:  # grows while it is walked: breadth first
        for table in db.metadata.sorted_tables:
            for key in table.foreign_keys:
                if key.column.table.name != parent or table.name == parent:
                    continue
                if (table.name, key.parent.name) in OTHER_CASE:
                    continue
                yield table, key.parent, parent
                if table.name not in reached:
                    reached.append(table.name)


def case_rows(case_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row about the case, by table name (the case itself under "case_file")."""
    case_table = db.metadata.tables["case_file"]
    rows = {
        "case_file": [
            dict(r)
            for r in db.session.execute(
                sa.select(case_table).where(case_table.c.id == case_id)
            ).mappings()
        ]
    }
    for table, column, parent in _links():
        parent_ids = [row["id"] for row in rows.get(parent, [])]
        if not parent_ids:
            continue
        seen = {row["id"] for row in rows.get(table.name, [])}
        found = db.session.execute(sa.select(table).where(column.in_(parent_ids))).mappings()
        rows.setdefault(table.name, []).extend(dict(r) for r in found if r["id"] not in seen)
    return rows


def _restricted(table: sa.Table) -> list[sa.Column[Any]]:
    return [c for c in table.columns if c.info.get("classification") == Classification.RESTRICTED]


def _wiped(column: sa.Column[Any]) -> Any:
    if column.nullable:
        return None
    if isinstance(column.type, sa.Boolean):
        return False
    return ""


def anonymise(case: Case, *, now: datetime) -> None:
    """Wipe every restricted field held about the case (who the person is, the narrative, notes,
    guardians' details); the reference, the decisions, the actions and the counts stay."""
    for name, rows in case_rows(case.id).items():
        table = db.metadata.tables[name]
        columns = _restricted(table)
        if not columns or not rows:
            continue
        db.session.execute(
            sa.update(table)
            .where(table.c.id.in_([row["id"] for row in rows]))
            .values({column.name: _wiped(column) for column in columns}),
            execution_options={"synchronize_session": False},
        )
    db.session.expire_all()
    case.anonymised_at = now
    record_event(
        "case.anonymised",
        actor=None,
        now=now,
        object_type="case",
        object_id=case.id,
        panel_id=case.panel_id,
    )
