"""The command line: creating users, and the demo world."""

import html

import sqlalchemy as sa
from click.testing import Result
from flask import Flask

from conference.actions.models import Action, ProgressReport
from conference.actions.rules import is_overdue
from conference.auth.models import User
from conference.cases.models import Case, CaseShare, CaseStatus, Subject
from conference.db import utcnow
from conference.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from conference.extensions import db
from conference.meetings.models import Meeting, MeetingStatus, Recommendation
from conference.minutes.models import MinutesVersion
from conference.panels.models import PanelRole
from tests.factories import AgencyFactory, PanelFactory


def run(app: Flask, *args: str, input: str | None = None) -> Result:
    db.session.commit()
    result = app.test_cli_runner().invoke(args=list(args), input=input)
    db.session.expire_all()
    return result


def test_users_create_makes_an_account_that_can_sign_in(app: Flask, client) -> None:
    AgencyFactory(code="POL")
    PanelFactory(code="RVT")
    result = run(
        app,
        "users",
        "create",
        "--email",
        "New.Member@Example.org",
        "--name",
        "New Member",
        "--agency",
        "pol",
        "--panel",
        "RVT:member",
        "--password",
        "a long enough secret",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(sa.select(User).where(User.email == "new.member@example.org"))
    assert user.agency.code == "POL"
    assert [(m.panel.code, m.role) for m in user.memberships] == [("RVT", PanelRole.MEMBER)]
    response = client.post(
        "/login", data={"email": "new.member@example.org", "password": "a long enough secret"}
    )
    assert response.status_code == 302


def test_users_create_prompts_for_the_password_twice(app: Flask) -> None:
    AgencyFactory(code="POL")
    result = run(
        app,
        "users",
        "create",
        "--email",
        "p@example.org",
        "--name",
        "P",
        "--agency",
        "POL",
        input="a long enough secret\na long enough secret\n",
    )
    assert result.exit_code == 0, result.output
    assert "a long enough secret" not in result.output


def test_users_create_refuses_bad_input_and_creates_nothing(app: Flask) -> None:
    AgencyFactory(code="POL")
    PanelFactory(code="RVT")
    cases = [
        (["--agency", "XXX", "--password", "a long enough secret"], "no agency"),
        (["--agency", "POL", "--password", "short"], "at least 12"),
        (
            ["--agency", "POL", "--password", "a long enough secret", "--panel", "RVT:boss"],
            "unknown role",
        ),
        (
            ["--agency", "POL", "--password", "a long enough secret", "--panel", "NOPE:member"],
            "no panel",
        ),
    ]
    for extra, message in cases:
        result = run(app, "users", "create", "--email", "x@example.org", "--name", "X", *extra)
        assert result.exit_code != 0
        assert message in result.output
    assert db.session.scalar(sa.select(sa.func.count()).select_from(User)) == 0


def test_users_create_refuses_a_taken_address(app: Flask) -> None:
    AgencyFactory(code="POL")
    args = [
        "users",
        "create",
        "--email",
        "x@example.org",
        "--name",
        "X",
        "--agency",
        "POL",
        "--password",
        "a long enough secret",
    ]
    assert run(app, *args).exit_code == 0
    result = run(app, *args)
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_the_demo_world_is_complete_and_loaded_once(app: Flask, client) -> None:
    assert run(app, "seed-demo").output.strip() == "demo data loaded"
    assert run(app, "seed-demo").output.strip() == "demo data already present"
    assert "already has users" in run(app, "seed-demo", "--if-empty").output

    cases = db.session.scalars(sa.select(Case)).all()
    # About 30 cases under way today, and two years of history whose cases have all ended.
    ended = (CaseStatus.CLOSED, CaseStatus.DECLINED)
    assert 25 <= len([c for c in cases if c.status not in ended]) <= 35
    assert len(cases) > 200
    assert {c.status for c in cases} == set(CaseStatus)
    assert {c.panel.code for c in cases} == {"RVT", "NVA"}
    assert len({c.reference for c in cases}) == len(cases)
    today = utcnow().date()
    actions = db.session.scalars(sa.select(Action)).all()
    assert any(is_overdue(a.status, a.due_on, today) for a in actions)
    assert any(not is_overdue(a.status, a.due_on, today) for a in actions)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(ProgressReport)) > 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Recommendation)) > 0
    assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseShare)) > 0
    riverton = db.session.scalars(
        sa.select(Meeting).join(Meeting.panel).where(Meeting.panel.has(code="RVT"))
    ).all()
    # Two years of past sittings; of the last two held, one with signed, archived minutes, one
    # whose minutes await co-signatures; and one in progress now.
    started = sorted((m for m in riverton if m.starts_at < utcnow()), key=lambda m: m.starts_at)
    assert [m.status.value for m in started].count("in_progress") == 1
    past = [m for m in started if m.status.value != "in_progress"]
    assert len(past) > 45
    assert sorted(m.status.value for m in past[-2:]) == ["closed", "minutes_signed"]
    assert {m.status.value for m in past[:-2]} == {"minutes_signed"}
    versions = db.session.scalars(sa.select(MinutesVersion)).all()
    assert sorted(v.status.value for v in versions) == ["archived", "circulated"]
    assert any(m.status is MeetingStatus.PLANNED and m.starts_at > utcnow() for m in riverton)
    names = db.session.scalars(sa.select(Subject.full_name)).all()
    assert all(
        name.split()[1]
        in {
            "Example",
            "Sample",
            "Placeholder",
            "Fictional",
            "Madeup",
            "Testcase",
            "Pretend",
            "Notreal",
            "Imaginary",
            "Dummy",
            "Specimen",
            "Mockingbird",
        }
        for name in names
    )

    # The police officer lands in the sitting and can give the police's position.
    client.post("/login", data={"email": "police@example.org", "password": DEMO_PASSWORD})
    home = client.get("/").get_data(as_text=True)
    assert "The Riverton Tri-Agency Safety Conference meeting is in progress." in html.unescape(
        home
    )
    [live] = [m for m in riverton if m.status is MeetingStatus.IN_PROGRESS]
    page = html.unescape(client.get(f"/meetings/{live.id}/live").get_data(as_text=True))
    assert "Riverton Public Prosecutor: Agree" in page
    assert "Waiting for: Riverton Police." in page
    assert "Give my agency's position" in page
    client.post("/logout")

    for account in DEMO_ACCOUNTS:
        response = client.post("/login", data={"email": account.email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, account.email
        client.post("/logout")


def test_demo_partners_see_only_their_share_and_anchor_only_their_panel(app: Flask, login) -> None:
    run(app, "seed-demo")
    users = {u.email: u for u in db.session.scalars(sa.select(User))}
    client = login(users["anchor@example.org"], DEMO_PASSWORD)
    page = client.get("/cases/").get_data(as_text=True)
    assert "NVA-" in page
    assert "RVT-" not in page
    client.post("/logout")

    ngo = users["ngo@example.org"]
    shared = set(
        db.session.scalars(
            sa.select(Case.reference)
            .join(CaseShare)
            .where(CaseShare.agency_id == ngo.agency_id, CaseShare.revoked_at.is_(None))
        )
    )
    assert shared
    page = login(ngo, DEMO_PASSWORD).get("/cases/").get_data(as_text=True)
    listed = {c.reference for c in db.session.scalars(sa.select(Case)) if c.reference in page}
    assert listed == shared


def test_demo_logins_prints_every_account(app: Flask) -> None:
    output = run(app, "demo-logins").output
    assert DEMO_PASSWORD in output
    for account in DEMO_ACCOUNTS:
        assert account.email in output
