"""No personal data in the logs, whatever fails: hidden SQL parameters, input bounded before the
database, and the redacting filter on every handler as the second line of defence."""

import io
import json
import logging
from datetime import date, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from conference.cases.models import NAME_KEY_LENGTH, Case, Subject
from conference.cases.rules import name_key
from conference.extensions import db
from conference.redaction import RedactingFilter, install_redaction
from tests.auth.test_matrix import browser_of
from tests.conftest import second_app
from tests.worlds import World, add_restricted_records, build_world

# One marker in every restricted field the intake writes; the date of birth is one too.
MARKERS = {
    "full_name": "Qorvald Markerperson",
    "address": "ADDRESSMARKER 7 Quay",
    "languages": "LANGMARKER",
    "guardians-0-name": "GUARDMARKER Parent",
    "guardians-0-relationship": "RELMARKER",
    "guardians-0-contact": "CONTACTMARKER 555",
    "narrative": "NARRATIVEMARKER saw the plans.",
    "duplicate_reason": "DUPLICATEMARKER reason",
}
BIRTH = date(1937, 4, 11)
BIRTH_SPELLINGS = ("1937-04-11", "datetime.date(1937, 4, 11)", "11 April 1937")
GROWS_UNDER_NFKC = "X " + 150 * "\ufb03"  # 152 characters typed, 452 once decomposed
GROWS_IN_SUBJECT_FORM = 20 * "\ufdfa"  # 20 characters typed, 360 once decomposed
LOGGERS = ("", "sqlalchemy.engine", "werkzeug", "conference")


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Everything logged at DEBUG, the database's own echo included."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def leaked(text: str, values: dict[str, str] | None = None) -> list[str]:
    values = MARKERS if values is None else values
    return [m for m in [*values.values(), *BIRTH_SPELLINGS] if m in text]


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """The log as a handler would write it: messages and exceptions with their tracebacks."""
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(formatter.format(record) for record in caplog.records)


def intake(world: World, **overrides: str) -> dict[str, str]:
    return {
        "panel_id": str(world.panel.id),
        "source": "school",
        "received_on": (date.today() - timedelta(days=2)).isoformat(),
        "concern_category": "far_right",
        "risk_level": "high",
        "date_of_birth": BIRTH.isoformat(),
        **MARKERS,
        **overrides,
    }


def test_the_matching_key_of_a_name_never_exceeds_its_column() -> None:
    for name in (GROWS_UNDER_NFKC, GROWS_IN_SUBJECT_FORM, "\u0130" * 200, "\u00df" * 200):
        key = name_key(name)
        assert 0 < len(key) <= NAME_KEY_LENGTH
        assert key == name_key(name)  # the same person still finds their earlier case
    assert name_key("Zoë  O'Neill-Smith") == "neill o smith zoe"


def test_an_intake_whose_name_grows_when_normalised_is_saved_and_logs_nothing(
    world: World, login: Any, logs: pytest.LogCaptureFixture
) -> None:
    client = login(world.users["police"])
    response = client.post("/cases/new", data=intake(world, full_name=GROWS_UNDER_NFKC))
    assert response.status_code == 302
    subject = db.session.scalar(sa.select(Subject).where(Subject.full_name == GROWS_UNDER_NFKC))
    assert subject is not None
    assert len(subject.name_key) == NAME_KEY_LENGTH
    assert not leaked(logged(logs))


def test_a_subject_whose_name_grows_when_normalised_is_saved_and_logs_nothing(
    world: World, login: Any, logs: pytest.LogCaptureFixture
) -> None:
    add_restricted_records(world)
    case = world.cases["plain"]
    client = login(world.users["chair"])
    data = {
        "version": str(case.version_id),
        "date_of_birth": BIRTH.isoformat(),
        **{k: v for k, v in MARKERS.items() if k not in ("narrative", "duplicate_reason")},
        "full_name": GROWS_IN_SUBJECT_FORM,
    }
    response = client.post(f"/cases/{case.reference}/subject", data=data)
    assert response.status_code == 302
    db.session.refresh(case.subject)
    assert case.subject.full_name == GROWS_IN_SUBJECT_FORM
    assert len(case.subject.name_key) <= NAME_KEY_LENGTH
    assert not leaked(logged(logs))


def _break_subject_inserts(conn: Any, cursor: Any, statement: str, *args: Any) -> Any:
    """The database refuses the subject's row (the table is not there), with its values."""
    return statement.replace("INSERT INTO subject ", "INSERT INTO subject_gone "), args[0]


def test_a_write_the_database_refuses_leaves_no_personal_data_in_the_log_or_the_page(
    app: Flask, world: World, logs: pytest.LogCaptureFixture
) -> None:
    db.session.commit()
    with second_app(app, PROPAGATE_EXCEPTIONS=False) as failing:
        with failing.app_context():
            engine = db.engine
            sa.event.listen(engine, "before_cursor_execute", _break_subject_inserts, retval=True)
        try:
            client = browser_of(failing, world.users["police"])
            response = client.post("/cases/new", data=intake(world))
        finally:
            sa.event.remove(engine, "before_cursor_execute", _break_subject_inserts)
    assert response.status_code == 500
    text = logged(logs)
    assert "subject_gone" in text, "the failure itself is logged, for the administrator"
    assert not leaked(text)
    assert not leaked(response.get_data(as_text=True))
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Case)) == len(world.cases)


# --- The filter, on its own: the second line of defence ----------------------------------------


def _database_error_with_parameters() -> sa.exc.DBAPIError:
    """A real error from a database that was not told to hide parameters."""
    engine = sa.create_engine("sqlite://")
    try:
        with pytest.raises(sa.exc.DBAPIError) as failure, engine.connect() as conn:
            conn.execute(
                sa.text("INSERT INTO missing (name, born) VALUES (:name, :born)"),
                {"name": MARKERS["full_name"], "born": BIRTH},
            )
    finally:
        engine.dispose()
    assert MARKERS["full_name"] in str(failure.value)  # what the filter is there for
    return failure.value


class JsonLines(logging.Formatter):
    """A formatter that formats the exception itself, as JSON log formatters do."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"message": record.getMessage()}
        if record.exc_info:
            entry["exc_info"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exc_info"] = record.exc_text
        return json.dumps(entry)


@pytest.mark.parametrize("formatter", [logging.Formatter(), JsonLines()])
def test_the_filter_scrubs_what_a_database_error_carries(formatter: logging.Formatter) -> None:
    error = _database_error_with_parameters()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        try:
            raise error
        except sa.exc.DBAPIError:
            logger.exception("Exception on /cases/new [POST]")
        logger.error("failed: %s", error)
        logger.info("[%s] %r", "generated in 0.01s", (MARKERS["full_name"], BIRTH))
        logger.debug("Row %r", (1, MARKERS["address"]))
        logger.error(
            "duplicate key\nDETAIL:  Key (email)=(%s) already exists.", MARKERS["languages"]
        )
        logger.error('invalid input syntax for type date: "%s"', MARKERS["narrative"])
        logger.info('127.0.0.1 - - "GET /audit/?q=%s HTTP/1.1" 200 -', MARKERS["full_name"])
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    text = stream.getvalue()
    assert "Exception on /cases/new [POST]" in text
    assert "INSERT INTO missing" in text  # the statement stays: it names no value
    assert "Traceback" in text
    assert not leaked(text)


def test_the_app_puts_the_filter_on_the_root_handlers_and_its_own(app: Flask) -> None:
    root = logging.getLogger()
    handler = logging.StreamHandler(io.StringIO())
    root.addHandler(handler)
    try:
        install_redaction(app.logger)
        install_redaction(app.logger)  # once only
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    finally:
        root.removeHandler(handler)
    with second_app(app) as other:
        assert all(
            any(isinstance(f, RedactingFilter) for f in h.filters)
            for h in [*root.handlers, *other.logger.handlers]
        )
