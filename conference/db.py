"""The declarative base, column classification helpers and the aware-UTC datetime type."""

import enum
import json
import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, MappedColumn, mapped_column, registry

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and always returns them aware (SQLite drops tzinfo)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def tune_connections(engine: sa.Engine) -> None:
    """Per-connection settings: PostgreSQL without JIT compilation.

    The JIT compiles a plan whose estimated cost is high, which a query over a national caseload
    reaches at once; compiling took 0.4 s for a statement that runs in 0.2 s (the agenda
    builder's, the statistics page's). Nothing the app asks gains from it.
    """
    if engine.dialect.name != "postgresql":
        return

    @sa.event.listens_for(engine, "connect")
    def _no_jit(dbapi_connection: Any, _record: Any) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET jit = off")
        dbapi_connection.commit()


# Set in a connection's info while its transaction has written anything (see `end_reading`).
WROTE = "conference.wrote"
# Set while its transaction has changed what pages show: its commit counts one more change.
CHANGED = "conference.changed"
# Set on a connection whose changes are not counted (the schema's migrations: the count's
# table may not exist yet, and servers restart on a new schema anyway).
UNCOUNTED = "conference.uncounted"

# The count of committed changes, read by the page cache (`conference.pagecache`).
CHANGE_COUNT_TABLE = "content_version"
# Tables whose rows no page shows: writing them changes no page. Every other table counts.
BOOKKEEPING_TABLES = frozenset(
    {
        "audit_event",  # appended by every audited view
        "audit_chain",
        "user_session",  # touched as people use the site
        "sign_in_throttle",
        "form_submission",
        "job_lease",  # the scheduler's
        "alembic_version",
        CHANGE_COUNT_TABLE,
    }
)
# Statements that change no row pages show: transaction control, settings, and the schema
# (whose changes come with a restart, and may drop the count's own table).
_NOT_COUNTED = (
    "SAVEPOINT",
    "RELEASE",
    "ROLLBACK",
    "PRAGMA",
    "SHOW",
    "SET ",
    "CREATE",
    "DROP",
    "ALTER",
    "COMMENT",
)
_WRITTEN_TABLE = re.compile(
    r"\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE|DELETE\s+FROM|COPY)\s+\"?(\w+)", re.IGNORECASE
)
COUNT_CHANGE = (  # the same words in PostgreSQL and SQLite
    "INSERT INTO content_version (id, n) VALUES (1, 1) "
    "ON CONFLICT (id) DO UPDATE SET n = content_version.n + 1"
)


def changes_pages(statement: str) -> bool:
    """Whether a statement may change what a page shows: any write but to a bookkeeping table
    (a statement not understood counts)."""
    if statement.lstrip()[:9].upper().startswith(("SELECT", *_NOT_COUNTED)):
        return False
    written = _WRITTEN_TABLE.match(statement)
    return written is None or written.group(1).lower() not in BOOKKEEPING_TABLES


def note_writes(engine: sa.Engine) -> None:
    """Mark a connection whose transaction has run anything but a SELECT, until it ends; and
    count, in the same transaction just before it commits, each that changed what pages show."""

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _written(conn: sa.Connection, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip()[:6].upper() == "SELECT":
            return
        conn.info[WROTE] = True
        if changes_pages(statement):
            conn.info[CHANGED] = True

    @sa.event.listens_for(engine, "commit")
    def _committing(conn: sa.Connection) -> None:
        if conn.info.pop(CHANGED, False) and not conn.info.get(UNCOUNTED):
            # The driver's own cursor: the last statement of the transaction, whose lock on the
            # count's row is held only while the commit completes.
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute(COUNT_CHANGE)
            finally:
                cursor.close()
        conn.info.pop(WROTE, None)

    @sa.event.listens_for(engine, "rollback")
    def _rolled_back(conn: sa.Connection) -> None:
        conn.info.pop(WROTE, None)
        conn.info.pop(CHANGED, None)


def end_reading(session: Any) -> None:
    """End a request's transaction with COMMIT when it only read (for such a transaction the
    same as the ROLLBACK that closing the session sends).

    psycopg prepares a statement the fifth time a connection runs it, so that PostgreSQL plans
    it once rather than on every request; but it forgets every prepared statement at a
    ROLLBACK, and every request ended with one. Planning was most of PostgreSQL's time on a
    page. A transaction that wrote anything, or holds unsaved changes, is left to the ROLLBACK.
    """
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return
    try:
        if not session.connection().info.get(WROTE):
            session.commit()
    except sa.exc.SQLAlchemyError:  # the database failed or is gone: the page has its answer
        session.rollback()


def insert_many(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows that all give the same columns, as plain values (strings for enumerations,
    lists for JSON), with every column that has no server default.

    PostgreSQL takes them with COPY, which psycopg writes row by row in C: one INSERT per row
    (what executemany sends) costs 60 µs a row, and an array per column, unnested, spent about 13 ms
    a thousand rows quoting the arrays' strings in Python. SQLite's executemany is fast already.
    The COPY goes to the driver's connection: it is in the transaction, though not among the
    statements SQLAlchemy's events see.
    """
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(sa.insert(table), rows)
        return
    columns = list(rows[0])
    json_columns = {name for name in columns if isinstance(table.c[name].type, sa.JSON)}
    preparer = connection.dialect.identifier_preparer
    names = ", ".join(preparer.quote(name) for name in columns)
    # Table and column names come from the schema; the values travel as COPY data.
    statement = f"COPY {preparer.format_table(table)} ({names}) FROM STDIN"
    driver = connection.connection.driver_connection  # psycopg's, open in this transaction
    connection.info[WROTE] = True  # unseen by the events that note it (`end_reading`)
    if table.name not in BOOKKEEPING_TABLES:
        connection.info[CHANGED] = True
    with driver.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(
                [json.dumps(row[name]) if name in json_columns else row[name] for name in columns]
            )


_METADATA = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Base(DeclarativeBase):
    metadata = _METADATA
    # Given as a registry (not a class attribute) so that Flask-SQLAlchemy can copy the base.
    registry = registry(
        metadata=_METADATA,
        type_annotation_map={
            datetime: UTCDateTime(),
            enum.Enum: sa.Enum(
                enum.Enum,
                native_enum=False,
                length=40,
                values_callable=lambda members: [member.value for member in members],
                validate_strings=True,
            ),
            dict[str, Any]: sa.JSON(),
            list[str]: sa.JSON(),
        },
    )


class Classification(enum.StrEnum):
    """What a column may be used for in generated documents (DESIGN §4)."""

    RESTRICTED = "restricted"  # identity and sensitive narrative: never in a document
    NEED_TO_KNOW = "need_to_know"  # may appear in agendas, minutes and extracts
    INTERNAL = "internal"  # ids, timestamps, states, credentials: for the app only


def _classified(classification: Classification, *args: Any, **kwargs: Any) -> MappedColumn[Any]:
    info = dict(kwargs.pop("info", {}))
    info["classification"] = classification.value
    return mapped_column(*args, info=info, **kwargs)


def restricted(*args: Any, **kwargs: Any) -> MappedColumn[Any]:
    """A column of personal identity or sensitive narrative; never in a generated document."""
    return _classified(Classification.RESTRICTED, *args, **kwargs)


def need_to_know(*args: Any, **kwargs: Any) -> MappedColumn[Any]:
    """A column that may appear in agendas, minutes and extracts."""
    return _classified(Classification.NEED_TO_KNOW, *args, **kwargs)


def internal(*args: Any, **kwargs: Any) -> MappedColumn[Any]:
    """A column for the app's own bookkeeping: ids, timestamps, states, credentials."""
    return _classified(Classification.INTERNAL, *args, **kwargs)


def primary_key() -> MappedColumn[Any]:
    """The integer surrogate key every table has."""
    return internal(primary_key=True)


def created_at() -> MappedColumn[Any]:
    """When the row was written; set by the service from its `now`."""
    return internal(UTCDateTime())


def classification_of(column: sa.Column[Any]) -> str | None:
    """The declared classification of a column, or None when it has none."""
    return column.info.get("classification")


def utcnow() -> datetime:
    """The current aware UTC time; only entry points call it, and pass `now` down."""
    return datetime.now(UTC)


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Alembic hook: write our UTC type as the plain column type it stores."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def insert_or_ignore(session: Any, model: Any, **values: Any) -> None:
    """INSERT ... ON CONFLICT DO NOTHING on the unique columns given, on either database (in a
    session, or on a connection)."""
    bind = session if isinstance(session, sa.Connection) else session.get_bind()
    insert = postgresql.insert if bind.dialect.name == "postgresql" else sqlite.insert
    session.execute(insert(model).values(**values).on_conflict_do_nothing())
