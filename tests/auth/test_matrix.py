"""The authorisation matrix: every route of the URL map, for every role, against the table.

A route added without a row in `EXPECTED` fails `test_every_route_has_a_row`. Each route is
tried in a world of its own, by each role in a browser of its own, so one role's change cannot
sway the next. The outcome is classed as the person meets it: sent to sign in, refused (403 or
404, the same to them), or let in (anything else below 500: a page, a PDF, a redirect after a
change, a form sent back with its errors, or a state the step cannot apply to).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from conference.auth.models import User
from conference.auth.sessions import start_session
from conference.db import utcnow
from conference.extensions import db, login_manager
from conference.meetings.models import AttendanceStatus, MeetingStatus
from conference.minutes import services as minutes_services
from conference.minutes.models import MinutesStatus
from conference.panels.models import AgencyTier, PanelRole
from tests.factories import (
    NOW,
    ActionFactory,
    AgencyFactory,
    AgendaItemFactory,
    AttendanceFactory,
    MeetingFactory,
    MinutesCommentFactory,
    MinutesVersionFactory,
    NotificationFactory,
    PanelAgencyFactory,
    RecommendationFactory,
    ServiceFactory,
    ServiceReferralFactory,
    member,
)
from tests.worlds import build_world

ROLES = (
    "anonymous",
    "admin",
    "auditor",
    "chair",
    "secretary",
    "member",
    "coordinator",
    "partner_shared",
    "partner_unshared",
    "other_panel",
)

# Who gets in, route by route; every other role is refused (anonymous: sent to sign in, except
# on the public routes). The case in question is coordinated by a partner (the coordinator) and
# shared with another (partner_shared); a third partner has no share.
EVERYONE = frozenset(ROLES) - {"anonymous"}
PANEL = frozenset(
    {"chair", "secretary", "member", "coordinator", "partner_shared", "partner_unshared"}
)
FULL = frozenset({"chair", "secretary", "member"})
LEADS = frozenset({"chair", "secretary"})
SEES_CASE = FULL | {"coordinator", "partner_shared"}
RESTRICTED = FULL | {"coordinator"}
LEADS_AND_COORDINATOR = LEADS | {"coordinator"}
PUBLIC = frozenset(ROLES)
ADMIN = frozenset({"admin"})
AUDITOR = frozenset({"auditor"})
STATISTICS = FULL | AUDITOR  # the chair, the secretary, core members and the auditors


@dataclass
class Objects:
    """The ids the routes take."""

    reference: str
    panel_code: str
    meeting: int
    held_meeting: int
    item: int
    recommendation: int
    attendance: int
    action: int
    share: int
    service: int
    service_referral: int
    notification: int
    minutes: int
    comment: int
    agency: int
    bystander: int


def build() -> tuple[Objects, dict[str, User]]:
    world = build_world()
    panel = world.panel
    users = world.users
    youth = AgencyFactory(code="YTH")
    PanelAgencyFactory(panel=panel, agency=youth, tier=AgencyTier.PARTNER)
    roles: dict[str, User] = {
        "admin": users["admin"],
        "auditor": users["auditor"],
        "chair": users["chair"],
        "secretary": users["secretary"],
        "member": users["police"],
        "coordinator": users["social"],
        "partner_shared": users["ngo"],
        "partner_unshared": member(panel, PanelRole.PARTNER, youth),
        "other_panel": users["other"],
    }
    case = world.cases["shared"]
    case.coordinator = users["social"]
    share = case.shares[0]

    meeting = MeetingFactory(
        panel=panel,
        chair=users["chair"],
        secretary=users["secretary"],
        status=MeetingStatus.IN_PROGRESS,
    )
    attendance = AttendanceFactory(
        meeting=meeting, user=users["chair"], status=AttendanceStatus.PRESENT
    )
    item = AgendaItemFactory(meeting=meeting, case=case, position=1)
    recommendation = RecommendationFactory(item=item, text="Offer a mentor.")
    action = ActionFactory(case=case, meeting_id=meeting.id, owner=users["police"])

    held = MeetingFactory(
        panel=panel,
        chair=users["chair"],
        secretary=users["secretary"],
        starts_at=NOW - timedelta(days=2),
        status=MeetingStatus.CLOSED,
    )
    AgendaItemFactory(meeting=held, case=case, position=1)
    for key in ("chair", "secretary", "police", "social", "ngo"):
        AttendanceFactory(meeting=held, user=users[key], status=AttendanceStatus.PRESENT)
    first = minutes_services.draft_minutes(held, actor=users["secretary"], now=NOW)
    # An amended version, circulated, so that every minutes route has something to act on.
    minutes = MinutesVersionFactory(
        meeting=held,
        number=2,
        supersedes_id=first.id,
        content=first.content,
        status=MinutesStatus.CIRCULATED,
        circulated_at=NOW,
    )

    comment = MinutesCommentFactory(version=minutes, author_id=users["police"].id, item_number=1)

    service = ServiceFactory(panel_id=panel.id)
    service_referral = ServiceReferralFactory(case=case, service=service)
    notification = NotificationFactory(user_id=users["chair"].id)
    db.session.commit()
    objects = Objects(
        reference=case.reference,
        panel_code=panel.code,
        meeting=meeting.id,
        held_meeting=held.id,
        item=item.id,
        recommendation=recommendation.id,
        attendance=attendance.id,
        action=action.id,
        share=share.id,
        service=service.id,
        service_referral=service_referral.id,
        notification=notification.id,
        minutes=minutes.id,
        comment=comment.id,
        agency=users["ngo"].agency_id,
        bystander=users["former"].id,
    )
    return objects, roles


Url = Callable[[Objects], str]


@dataclass(frozen=True)
class Row:
    method: str
    url: Url
    allowed: frozenset[str]
    lands_on_sign_in: bool = False  # signing out: success is the sign-in page


def get(url: Url, allowed: frozenset[str]) -> Row:
    return Row("GET", url, allowed)


def post(url: Url, allowed: frozenset[str]) -> Row:
    return Row("POST", url, allowed)


def _meeting(o: Objects) -> str:
    return f"/meetings/{o.meeting}"


def _item(o: Objects) -> str:
    return f"/meetings/{o.meeting}/items/{o.item}"


def _case(o: Objects) -> str:
    return f"/cases/{o.reference}"


EXPECTED: dict[str, Row] = {
    "static": get(lambda o: "/static/css/app.css", PUBLIC),
    "bootstrap.static": get(lambda o: "/bootstrap/static/css/bootstrap.min.css", PUBLIC),
    "auth.login": get(lambda o: "/login", PUBLIC),
    # For machines: liveness, readiness, and the scrape (from METRICS_ALLOW, loopback here).
    "ops.healthz": get(lambda o: "/healthz", PUBLIC),
    "ops.readyz": get(lambda o: "/readyz", PUBLIC),
    "ops.metrics": get(lambda o: "/metrics", PUBLIC),
    "languages.choose": post(lambda o: "/language", PUBLIC),
    # Signed-in people are sent home; anonymous ones without a password step to sign in.
    "auth.second_factor": get(lambda o: "/login/code", EVERYONE),
    "auth.logout": Row("POST", lambda o: "/logout", frozenset(), lands_on_sign_in=True),
    "auth.account": get(lambda o: "/account", EVERYONE),
    "auth.change_password": post(lambda o: "/account/password", EVERYONE),
    "auth.mfa_setup": get(lambda o: "/account/second-factor", EVERYONE),
    "auth.new_recovery_codes": post(lambda o: "/account/recovery-codes", frozenset()),
    "auth.reauthenticate": get(lambda o: "/account/confirm", EVERYONE),
    "auth.accounts": get(lambda o: "/accounts/", ADMIN),
    "auth.set_active": post(lambda o: f"/accounts/{o.bystander}/active", ADMIN),
    "auth.reset_mfa": post(lambda o: f"/accounts/{o.bystander}/second-factor/reset", ADMIN),
    "home.index": get(lambda o: "/", EVERYONE),
    "audit.index": get(lambda o: "/audit/", AUDITOR),
    "audit.subjects": get(lambda o: "/audit/subjects", AUDITOR),
    "notify.inbox": get(lambda o: "/notifications/", EVERYONE),
    "notify.mark_all_read": post(lambda o: "/notifications/read", EVERYONE),
    "notify.open_notification": post(
        lambda o: f"/notifications/{o.notification}", frozenset({"chair"})
    ),
    "cases.index": get(lambda o: "/cases/", EVERYONE),
    # Finding a person: full members from a core agency (and coordinators who are full
    # members); partners, even one who coordinates, and administrators are refused.
    "cases.find": get(lambda o: "/cases/find", FULL | {"other_panel"}),  # on their own panels
    "cases.new": get(lambda o: "/cases/new", PANEL | {"other_panel"}),  # to their own panel
    "cases.show": get(_case, SEES_CASE),
    "cases.restricted": get(lambda o: f"{_case(o)}/restricted", RESTRICTED),
    "cases.edit": get(lambda o: f"{_case(o)}/edit", LEADS_AND_COORDINATOR),
    "cases.edit_subject": get(lambda o: f"{_case(o)}/subject", LEADS_AND_COORDINATOR),
    "cases.add_note": post(lambda o: f"{_case(o)}/notes", RESTRICTED),
    "cases.change_status": post(lambda o: f"{_case(o)}/status", LEADS_AND_COORDINATOR),
    "cases.record_consent": post(lambda o: f"{_case(o)}/consent", RESTRICTED),
    "cases.share": post(lambda o: f"{_case(o)}/shares", LEADS_AND_COORDINATOR),
    "cases.revoke_share": post(
        lambda o: f"{_case(o)}/shares/{o.share}/revoke", LEADS_AND_COORDINATOR
    ),
    "actions.my_work": get(lambda o: "/my-work", EVERYONE),
    "actions.show": get(lambda o: f"/actions/{o.action}", SEES_CASE),
    "actions.report": get(lambda o: f"{_case(o)}/reports/{o.meeting}", LEADS_AND_COORDINATOR),
    "directory.index": get(lambda o: "/services/", EVERYONE),  # their own panels' only
    "directory.new": get(lambda o: "/services/new", LEADS),
    "directory.edit": get(lambda o: f"/services/{o.service}", LEADS),
    # Following a referral to its outcome: the coordinator and the panel's core members.
    "directory.referral": get(lambda o: f"/services/referrals/{o.service_referral}", RESTRICTED),
    "directory.step": post(lambda o: f"/services/referrals/{o.service_referral}/step", RESTRICTED),
    "panels.settings": get(lambda o: f"/panels/{o.panel_code}/settings", LEADS),
    "statistics.index": get(lambda o: "/statistics", EVERYONE),  # the panels they may read
    "statistics.page": get(lambda o: f"/panels/{o.panel_code}/statistics", STATISTICS),
    "statistics.csv": get(lambda o: f"/panels/{o.panel_code}/statistics.csv", STATISTICS),
    "statistics.report": get(
        lambda o: f"/panels/{o.panel_code}/statistics.pdf?year=2026", STATISTICS
    ),
    "meetings.index": get(lambda o: "/meetings/", EVERYONE),
    "meetings.new": get(lambda o: "/meetings/new", LEADS),
    "meetings.series": get(lambda o: "/meetings/series", LEADS),
    "meetings.show": get(_meeting, PANEL),
    "meetings.edit": get(lambda o: f"{_meeting(o)}/edit", LEADS),
    "meetings.agenda": get(lambda o: f"{_meeting(o)}/agenda", PANEL),
    "meetings.agenda_pdf": get(lambda o: f"{_meeting(o)}/agenda.pdf", PANEL),
    "meetings.invite": get(lambda o: f"{_meeting(o)}/invite.ics", PANEL),
    # The pack: those invited (here the chair only) and those who run the meeting.
    "meetings.pack_pdf": get(lambda o: f"{_meeting(o)}/pack.pdf", LEADS),
    "meetings.build": post(lambda o: f"{_meeting(o)}/agenda/build", LEADS),
    "meetings.publish": post(lambda o: f"{_meeting(o)}/agenda/publish", LEADS),
    "meetings.add_case": post(lambda o: f"{_meeting(o)}/agenda/cases", LEADS),
    "meetings.add_general": post(lambda o: f"{_meeting(o)}/agenda/general", LEADS),
    "meetings.move": post(lambda o: f"{_meeting(o)}/agenda/items/{o.item}/move", LEADS),
    "meetings.retime": post(lambda o: f"{_meeting(o)}/agenda/items/{o.item}/minutes", LEADS),
    "meetings.remove": post(lambda o: f"{_meeting(o)}/agenda/items/{o.item}/remove", LEADS),
    "meetings.opening": get(lambda o: f"{_meeting(o)}/opening", LEADS),
    "meetings.attendance": post(lambda o: f"{_meeting(o)}/attendance", LEADS),
    "meetings.presence": post(lambda o: f"{_meeting(o)}/presence/{o.attendance}", LEADS),
    "meetings.open_sitting": post(lambda o: f"{_meeting(o)}/open", LEADS),
    "meetings.close_sitting": post(lambda o: f"{_meeting(o)}/close", LEADS),
    "meetings.sitting": get(_item, LEADS),
    "meetings.record_item": post(lambda o: f"{_item(o)}/record", LEADS),
    "meetings.add_recommendation": post(lambda o: f"{_item(o)}/recommendations", LEADS),
    "meetings.record_position": post(
        lambda o: f"{_item(o)}/recommendations/{o.recommendation}/positions", LEADS
    ),
    "meetings.decide": post(
        lambda o: f"{_item(o)}/recommendations/{o.recommendation}/decide", LEADS
    ),
    "meetings.declare_conflict": post(lambda o: f"{_item(o)}/conflicts", LEADS),
    "meetings.name_coordinator": post(lambda o: f"{_item(o)}/coordinator", LEADS),
    "meetings.add_action": post(lambda o: f"{_item(o)}/actions", LEADS),
    "meetings.refer": post(lambda o: f"{_item(o)}/referrals", LEADS),
    "meetings.review": post(lambda o: f"{_item(o)}/actions/{o.action}/review", LEADS),
    "meetings.change_case_status": post(lambda o: f"{_item(o)}/status", LEADS),
    "meetings.referral_step": post(
        lambda o: f"{_item(o)}/referrals/{o.service_referral}/step", LEADS
    ),
    # The chair's view fetches the positions as they arrive.
    "meetings.item_positions": get(lambda o: f"{_item(o)}/positions", LEADS),
    # The live meeting: every member of the panel; the position on a case only by those who
    # see the case (partners with a share, the coordinator); the reply by those invited.
    "meetings.live": get(lambda o: f"{_meeting(o)}/live", PANEL),
    "meetings.live_state": get(lambda o: f"{_meeting(o)}/live/state", PANEL),
    "meetings.give_position": post(
        lambda o: f"{_meeting(o)}/live/recommendations/{o.recommendation}/position", SEES_CASE
    ),
    "meetings.reply": get(lambda o: f"{_meeting(o)}/reply", frozenset({"chair"})),
    # Circulated minutes: for the full members who were present (partners read extracts of
    # signed minutes only).
    "minutes.for_meeting": get(lambda o: f"/meetings/{o.held_meeting}/minutes", FULL),
    "minutes.draft": post(lambda o: f"/meetings/{o.held_meeting}/minutes/draft", LEADS),
    "minutes.show": get(lambda o: f"/minutes/{o.minutes}", FULL),
    "minutes.print_view": get(lambda o: f"/minutes/{o.minutes}/print", FULL),
    "minutes.pdf": get(lambda o: f"/minutes/{o.minutes}.pdf", FULL),
    "minutes.extract_pdf": get(lambda o: f"/minutes/{o.minutes}/extracts/{o.agency}.pdf", FULL),
    "minutes.changes": get(lambda o: f"/minutes/{o.minutes}/changes", FULL),
    "minutes.circulate": post(lambda o: f"/minutes/{o.minutes}/circulate", LEADS),
    "minutes.correct": post(lambda o: f"/minutes/{o.minutes}/items/1", LEADS),
    "minutes.sign": post(lambda o: f"/minutes/{o.minutes}/sign", FULL),
    "minutes.amend": post(lambda o: f"/minutes/{o.minutes}/amend", LEADS),
    # Comments on the circulated draft: those it went to; answers: the chair and secretary.
    "minutes.comment": post(lambda o: f"/minutes/{o.minutes}/comments", FULL),
    "minutes.answer": post(lambda o: f"/minutes/{o.minutes}/comments/{o.comment}/answer", LEADS),
}


def browser_of(app: Flask, user: User) -> FlaskClient:
    """A browser with a session for the user, opened without the password form (which, with
    its deliberately slow hashing, is tested on its own)."""
    client = app.test_client()
    token = start_session(user.id, now=utcnow())
    db.session.commit()
    with app.test_request_context(environ_base=client.environ_base):
        identifier = login_manager._session_identifier_generator()
    with client.session_transaction() as flask_session:
        flask_session.update(sid=token, _user_id=str(user.id), _fresh=True, _id=identifier)
    return client


def outcome(client: FlaskClient, row: Row, objects: Objects) -> str:
    url = row.url(objects)
    response = client.open(url, method=row.method, data={})
    response.close()  # static files are streamed
    assert response.status_code < 500, f"{row.method} {url}: {response.status_code}"
    if response.status_code == 302 and response.location.startswith("/login"):
        return "login"
    if response.status_code in (403, 404):
        return "refused"
    return "in"


def test_every_route_has_a_row(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - EXPECTED.keys() == set(), "routes without a row in the matrix"
    assert EXPECTED.keys() - endpoints == set(), "rows for routes that no longer exist"


@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_the_route_lets_in_exactly_the_roles_in_its_row(app: Flask, endpoint: str) -> None:
    row = EXPECTED[endpoint]
    objects, users = build()
    seen = {}
    for role in ROLES:
        client = app.test_client() if role == "anonymous" else browser_of(app, users[role])
        seen[role] = outcome(client, row, objects)
    expected = {
        role: "in"
        if role in row.allowed
        else ("login" if role == "anonymous" or row.lands_on_sign_in else "refused")
        for role in ROLES
    }
    let_in = sorted(role for role, seen_outcome in seen.items() if seen_outcome == "in")
    assert seen == expected, f"{endpoint} let in {let_in}"
