"""Hostile input: random, oversized and malicious values posted to every form of the app.

Never a 500; a refused form changes nothing in the database; what was typed comes back as text,
never as markup. The forms are read from the pages a chair sees, so a new form is covered.
"""

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conference.extensions import db
from tests.auth.test_matrix import Objects, browser_of, build
from tests.html import error_beside, post_forms

SCRIPT = "<script>alert('x')</script>"
HOSTILE = [
    SCRIPT,
    '"><img src=x onerror=alert(1)>',
    "' OR 1=1 --",
    "\x00",
    "nul\x00inside",
    "9" * 40,
    "-1",
    "0",
    "2026-02-30",
    "9999-12-31",
    "0000-00-00",
    "1e309",
    "NaN",
    "١٢٣",
    "\u202eevil",
    "   ",
    "../../etc/passwd",
    "{{ 7 * 7 }}",
]
value = st.one_of(
    st.sampled_from(HOSTILE),
    st.text(max_size=80),
    st.text(min_size=1, max_size=8).map(lambda s: s * 2500),  # far beyond any column
)
# Writes by the sign-in machinery and the audit trail are not records a form half-saves.
NOT_RECORDS = {"audit_event", "audit_chain", "user_session", "sign_in_throttle"}
# Forms that end the session that the test goes on with.
SKIP = ("/logout", "/account/password", "/account/recovery-codes")


def pages(o: Objects) -> list[str]:
    case = f"/cases/{o.reference}"
    meeting = f"/meetings/{o.meeting}"
    return [
        "/cases/new",
        case,
        f"{case}/restricted",
        f"{case}/edit",
        f"{case}/subject",
        f"{case}/reports/{o.meeting}",
        f"/actions/{o.action}",
        "/meetings/new",
        "/meetings/series",
        meeting,
        f"{meeting}/edit",
        f"{meeting}/agenda",
        f"{meeting}/opening",
        f"{meeting}/items/{o.item}",
        f"/minutes/{o.minutes}",
        "/services/",
        "/services/new",
        f"/services/{o.service}",
        f"/panels/{o.panel_code}/settings",
        "/audit/subjects",
        "/account",
    ]


def counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table)) or 0
        for table in db.metadata.sorted_tables
        if table.name not in NOT_RECORDS
    }


@pytest.fixture
def chair(app: Flask) -> tuple[FlaskClient, list[tuple[str, dict[str, str]]], list[str]]:
    objects, users = build()
    users["chair"].is_auditor = True  # to reach the subject export's form too
    db.session.commit()
    client = browser_of(app, users["chair"])
    forms: dict[str, dict[str, str]] = {}
    for url in pages(objects):
        response = client.get(url)
        assert response.status_code == 200, url
        for action, fields in post_forms(response.get_data(as_text=True), url):
            if not action.startswith(SKIP):
                forms.setdefault(action, fields)
    return client, sorted(forms.items()), pages(objects)


def hostile_posts(client: FlaskClient, action: str, fields: dict[str, str]) -> None:
    """Post the form again and again, each field kept or replaced by a hostile value."""

    @settings(
        max_examples=8,
        deadline=None,
        derandomize=True,  # the same values on every run: CI stays reproducible
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(st.data())
    def post(data: st.DataObject) -> None:
        sent = {
            name: data.draw(st.one_of(st.just(default), value), label=name)
            for name, default in fields.items()
        }
        before = counts()
        response = client.post(action, data=sent)
        assert response.status_code < 500, f"{action}: {response.status_code}"
        assert not response.location or not response.location.startswith("/login"), "signed out"
        assert SCRIPT not in response.get_data(as_text=True), f"{action} echoed markup"
        if response.status_code != 302:
            db.session.expire_all()
            assert counts() == before, f"{action} saved part of a refused form"

    post()


# Each in turn in every field, with the form's other fields as the page gave them, so that the
# value reaches the service and the database, not only the form's validation.
ONE_AT_A_TIME = ["ordinary text\x00with a null", "9" * 30, "x" * 20000, SCRIPT]


def each_field_alone(client: FlaskClient, action: str, fields: dict[str, str]) -> None:
    for name in fields:
        for bad in ONE_AT_A_TIME:
            before = counts()
            response = client.post(action, data={**fields, name: bad})
            assert response.status_code < 500, f"{action} {name}={bad[:20]!r}: 500"
            assert SCRIPT not in response.get_data(as_text=True), f"{action} echoed markup"
            if response.status_code != 302:
                db.session.expire_all()
                assert counts() == before, f"{action} saved part of a refused form"


def test_every_form_survives_hostile_values(
    chair: tuple[FlaskClient, list[tuple[str, dict[str, str]]], list[str]],
) -> None:
    client, forms, urls = chair
    assert len(forms) >= 25, "the pages should offer the app's forms"
    for action, fields in forms:
        each_field_alone(client, action, fields)
        hostile_posts(client, action, fields)
    # What was saved is shown as text wherever it appears.
    shown = [client.get(url).get_data(as_text=True) for url in urls]
    assert not [url for url, page in zip(urls, shown, strict=True) if SCRIPT in page]
    assert any("&lt;script&gt;" in page for page in shown)


def test_a_null_character_is_refused_with_a_message_and_nothing_saved(
    chair: tuple[FlaskClient, list[tuple[str, dict[str, str]]], list[str]],
) -> None:
    client, forms, _ = chair
    action = next(action for action, _ in forms if action.endswith("/notes"))
    before = counts()
    response = client.post(action, data={"text": "She said\x00 hello"})
    assert response.status_code == 400
    assert "null character" in response.get_data(as_text=True)
    assert counts() == before


def test_huge_ids_in_paths_are_not_found(
    chair: tuple[FlaskClient, list[tuple[str, dict[str, str]]], list[str]],
) -> None:
    client, _, _ = chair
    huge = "9" * 25
    for path in (f"/actions/{huge}", f"/meetings/{huge}", f"/minutes/{huge}.pdf"):
        assert client.get(path).status_code == 404


# --- Values outside their window: pages beyond the end, dates nobody means ----------------------

HUGE_PAGES = ["9223372036854775807", "9" * 40, "-3", "0", "two"]


@pytest.mark.parametrize("listing", ["/cases/", "/audit/"])
def test_a_page_number_beyond_the_end_answers_the_last_page(
    chair: tuple[FlaskClient, list[tuple[str, dict[str, str]]], list[str]], listing: str
) -> None:
    client, _, _ = chair
    first = client.get(listing).get_data(as_text=True)
    row = "<tbody>" if listing == "/cases/" else "<td"
    assert row in first
    for page in HUGE_PAGES:
        response = client.get(f"{listing}?page={page}")
        assert response.status_code == 200, page
        assert row in response.get_data(as_text=True), f"page {page} shows the last page's rows"
    response = client.get("/audit/?until=9999-12-31&since=0001-01-01")
    assert response.status_code == 200


TOO_EARLY_OR_LATE = [
    ("/cases/new", "date_of_birth", "0001-01-01", "from 1900"),
    ("/cases/new", "date_of_birth", "1899-12-31", "from 1900"),
    ("/cases/new", "date_of_birth", "9999-12-31", "cannot be in the future"),
    ("/cases/new", "received_on", "0001-01-01", "more than ten years ago"),
    ("/cases/new", "received_on", "9999-12-31", "cannot be in the future"),
    ("/cases/[^/]+/subject", "date_of_birth", "0001-01-01", "from 1900"),
    ("/cases/[^/]+/edit", "next_review_on", "9999-12-31", "within ten years"),
    ("/cases/[^/]+/edit", "next_review_on", "0001-01-01", "within ten years"),
    ("/cases/[^/]+/edit", "next_review_on", "1999-01-01", "within ten years"),
    ("/meetings/new", "day", "9999-12-31", "at most ten years ahead"),
    ("/meetings/new", "day", "0001-01-01", "in the past"),
    ("/meetings/series", "first_on", "9999-12-31", "at most ten years ahead"),
    ("/meetings/[0-9]+/edit", "day", "9999-12-31", "at most ten years ahead"),
    ("/actions/[0-9]+", "new_due_on", "9999-12-31", "within five years"),
]


@pytest.mark.parametrize(("action_part", "field", "value", "message"), TOO_EARLY_OR_LATE)
def test_a_date_outside_its_window_is_refused_beside_the_field(
    chair: tuple[FlaskClient, list[tuple[str, dict[str, str]]], list[str]],
    action_part: str,
    field: str,
    value: str,
    message: str,
) -> None:
    client, forms, _ = chair
    action, fields = next(
        (action, fields)
        for action, fields in forms
        if re.fullmatch(action_part, action) and field in fields
    )
    # The page's selects as a person leaves them (the form reader does not read the selection).
    chosen = {"concern_category": "far_right", "risk_level": "high"}
    sent = {**fields, **{k: v for k, v in chosen.items() if k in fields}, field: value}
    before = counts()
    response = client.post(action, data=sent)
    assert response.status_code == 422, action
    assert message in (error_beside(response.get_data(as_text=True), field) or "")
    db.session.expire_all()
    assert counts() == before
