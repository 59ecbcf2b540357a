"""The record a panel can trust: a sitting driven through the chair's view makes one decision of
every kind, and each is in the minutes (their content, the page, the PDF); signatures belong to
the document; a closed meeting is final."""

import hashlib
import html
import io
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, current_app
from flask.testing import FlaskClient
from pypdf import PdfReader

from conference.cases.models import CaseStatus, ConsentPurpose, ConsentState
from conference.db import utcnow
from conference.documents.minutes import DECISIONS
from conference.extensions import db
from conference.meetings.models import (
    AgendaItem,
    AgendaItemKind,
    AttendanceStatus,
    Meeting,
    MeetingStatus,
    Recommendation,
)
from conference.minutes import archive
from conference.minutes.models import ArchivedFile, MinutesVersion
from conference.panels.models import PanelRole
from tests.factories import (
    TEST_PASSWORD,
    ActionFactory,
    AgendaItemFactory,
    AttendanceFactory,
    ConsentRecordFactory,
    MeetingFactory,
    ServiceFactory,
    member,
)
from tests.html import post_forms
from tests.worlds import World, build_world


def pdf_text(body: bytes) -> str:
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    return " ".join(text.split())


@pytest.fixture
def world() -> World:
    world = build_world()
    pro = next(pa.agency for pa in world.panel.agency_tiers if pa.agency.code == "PRO")
    world.users["prosecutor"] = member(world.panel, PanelRole.MEMBER, pro, name="Pia Prosecutor")
    world.cases["plain"].status = CaseStatus.REFERRED
    world.cases["plain"].crime_suspected = True
    return world


@pytest.fixture
def sitting(world: World) -> Meeting:
    """Last meeting (closed, one action still open) and this one, in session now."""
    now = utcnow()
    last = MeetingFactory(
        panel=world.panel,
        starts_at=now - timedelta(days=14),
        status=MeetingStatus.CLOSED,
    )
    ActionFactory(
        case=world.cases["coordinated"],
        meeting_id=last.id,
        owner=world.users["police"],
        text="Speak to the school",
        due_on=(now - timedelta(days=2)).date(),
    )
    meeting = MeetingFactory(
        panel=world.panel,
        starts_at=now - timedelta(minutes=30),
        ends_at=now + timedelta(hours=2),
        chair=world.users["chair"],
        secretary=world.users["secretary"],
        status=MeetingStatus.IN_PROGRESS,
        opened_at=now - timedelta(minutes=30),
    )
    for key in ("chair", "secretary", "police", "prosecutor", "social"):
        AttendanceFactory(
            meeting=meeting,
            user=world.users[key],
            status=AttendanceStatus.PRESENT,
            confidentiality_acknowledged_at=now,
        )
    AgendaItemFactory(meeting=meeting, kind=AgendaItemKind.ACTION_REVIEW, case=None, position=1)
    AgendaItemFactory(meeting=meeting, case=world.cases["plain"], position=2)
    AgendaItemFactory(meeting=meeting, case=world.cases["coordinated"], position=3)
    AgendaItemFactory(
        meeting=meeting, kind=AgendaItemKind.GENERAL, case=None, title="Annual plan", position=4
    )
    service = ServiceFactory(panel_id=world.panel.id, name="Exit North")
    ConsentRecordFactory(
        case_id=world.cases["plain"].id,
        purpose=ConsentPurpose.SERVICE_REFERRAL,
        state=ConsentState.GIVEN,
        service_id=service.id,
    )
    db.session.commit()
    return meeting


def _items(meeting: Meeting) -> list[AgendaItem]:
    return list(
        db.session.scalars(
            sa.select(AgendaItem)
            .where(AgendaItem.meeting_id == meeting.id)
            .order_by(AgendaItem.position)
        )
    )


def _ok(response: Any) -> None:
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]


# Each route of the chair's view that records something, how the test uses it, and what of it
# the minutes must then hold. A new route without a row here fails
# test_every_route_of_the_sitting_has_its_place_in_the_minutes.
Drive = Callable[[FlaskClient, World, Meeting], None]


def _record(client: FlaskClient, world: World, meeting: Meeting) -> None:
    _review, plain, coordinated, general = _items(meeting)
    for item, outcome, facts in (
        (plain, "discussed", "Threats posted online twice."),
        (coordinated, "deferred", ""),
        (general, "discussed", "Plan agreed for next year."),
    ):
        _ok(
            client.post(
                f"/meetings/{meeting.id}/items/{item.id}/record",
                data={
                    "item-facts": facts,
                    "item-assessed_risk": "high" if item is plain else "",
                    "item-assessment": "Escalating rhetoric." if item is plain else "",
                    "item-outcome": outcome,
                    "item-version": str(item.version_id),
                },
            )
        )


def _recommend(client: FlaskClient, world: World, meeting: Meeting) -> None:
    plain = _items(meeting)[1]
    for text in ("Refer to the exit programme.", "Ask for a restraining order."):
        _ok(
            client.post(
                f"/meetings/{meeting.id}/items/{plain.id}/recommendations",
                data={"rec-kind": "service_referral", "rec-text": text},
            )
        )


def _positions(client: FlaskClient, world: World, meeting: Meeting) -> None:
    plain = _items(meeting)[1]
    adopt, block = sorted(
        db.session.scalars(
            sa.select(Recommendation).where(Recommendation.agenda_item_id == plain.id)
        ),
        key=lambda r: r.id,
    )
    for recommendation, objector in ((adopt, None), (block, "police")):
        for key in ("chair", "police", "prosecutor", "social"):
            if recommendation is block and key == "prosecutor":
                _own_position(world, meeting, recommendation, key)  # from their own device
                continue
            stance = "object" if key == objector else "agree"
            _ok(
                client.post(
                    f"/meetings/{meeting.id}/items/{plain.id}/recommendations/"
                    f"{recommendation.id}/positions",
                    data={
                        f"pos{recommendation.id}-speaker_id": str(world.users[key].id),
                        f"pos{recommendation.id}-stance": stance,
                        f"pos{recommendation.id}-reason": "Not proportionate yet."
                        if stance == "object"
                        else "",
                    },
                )
            )


def _own_position(world: World, meeting: Meeting, recommendation: Recommendation, key: str) -> None:
    """A member gives their agency's position on the live page, signed in on their own."""
    member = current_app.test_client()
    _ok(member.post("/login", data={"email": world.users[key].email, "password": TEST_PASSWORD}))
    prefix = f"own{recommendation.id}"
    _ok(
        member.post(
            f"/meetings/{meeting.id}/live/recommendations/{recommendation.id}/position",
            data={
                f"{prefix}-stance": "agree_with_reservation",
                f"{prefix}-reason": "Only with a review in three months.",
            },
        )
    )


def _decide(client: FlaskClient, world: World, meeting: Meeting) -> None:
    plain = _items(meeting)[1]
    for recommendation in db.session.scalars(
        sa.select(Recommendation).where(Recommendation.agenda_item_id == plain.id)
    ):
        _ok(
            client.post(
                f"/meetings/{meeting.id}/items/{plain.id}/recommendations/"
                f"{recommendation.id}/decide"
            )
        )


def _adopted(meeting: Meeting) -> Recommendation:
    plain = _items(meeting)[1]
    return db.session.scalars(
        sa.select(Recommendation)
        .where(Recommendation.agenda_item_id == plain.id)
        .order_by(Recommendation.id)
    ).first()


def _status(client: FlaskClient, world: World, meeting: Meeting) -> None:
    plain = _items(meeting)[1]
    _ok(
        client.post(
            f"/meetings/{meeting.id}/items/{plain.id}/status",
            data={
                "status-status": "open",
                "status-recommendation_id": str(_adopted(meeting).id),
                "status-reason": "The panel takes the case on.",
            },
        )
    )


def _coordinator(client: FlaskClient, world: World, meeting: Meeting) -> None:
    plain = _items(meeting)[1]
    _ok(
        client.post(
            f"/meetings/{meeting.id}/items/{plain.id}/coordinator",
            data={
                "coord-user_id": str(world.users["social"].id),
                "coord-reason": "Knows the family.",
                "coord-override_reason": "Support-led; no investigation is open.",
            },
        )
    )


def _action(client: FlaskClient, world: World, meeting: Meeting) -> None:
    plain = _items(meeting)[1]
    due = (utcnow() + timedelta(days=14)).date().isoformat()
    _ok(
        client.post(
            f"/meetings/{meeting.id}/items/{plain.id}/actions",
            data={
                "act-recommendation_id": str(_adopted(meeting).id),
                "act-text": "Book the first exit meeting",
                "act-owner_id": str(world.users["prosecutor"].id),
                "act-due_on": due,
            },
        )
    )


def _conflict(client: FlaskClient, world: World, meeting: Meeting) -> None:
    coordinated = _items(meeting)[2]
    _ok(
        client.post(
            f"/meetings/{meeting.id}/items/{coordinated.id}/conflicts",
            data={"coi-user_id": str(world.users["secretary"].id)},
        )
    )


def _review(client: FlaskClient, world: World, meeting: Meeting) -> None:
    review = _items(meeting)[0]
    page = client.get(f"/meetings/{meeting.id}/items/{review.id}").get_data(as_text=True)
    [(action, fields)] = [(a, f) for a, f in post_forms(page, "") if "/review" in a]
    prefix = next(name for name in fields if name.endswith("-outcome")).removesuffix("-outcome")
    _ok(
        client.post(
            action,
            data={
                f"{prefix}-outcome": "done",
                f"{prefix}-note": "The school was seen on Monday.",
            },
        )
    )


def _refer(client: FlaskClient, world: World, meeting: Meeting) -> None:
    plain = _items(meeting)[1]
    service = db.session.scalar(sa.select(ServiceFactory._meta.model.id))
    _ok(
        client.post(
            f"/meetings/{meeting.id}/items/{plain.id}/referrals",
            data={
                "refer-service_id": str(service),
                "refer-recommendation_id": str(_adopted(meeting).id),
                "refer-guided": "y",
            },
        )
    )


def _referral_step(client: FlaskClient, world: World, meeting: Meeting) -> None:
    plain = _items(meeting)[1]
    page = client.get(f"/meetings/{meeting.id}/items/{plain.id}").get_data(as_text=True)
    [(action, fields)] = [(a, f) for a, f in post_forms(page, "") if a.endswith("/step")]
    prefix = next(name for name in fields if name.endswith("-status")).removesuffix("-status")
    _ok(client.post(action, data=fields | {f"{prefix}-status": "referred"}))


SITTING: dict[str, tuple[Drive, list[str]]] = {
    "meetings.record_item": (
        _record,
        ["Threats posted online twice.", "Escalating rhetoric.", "Plan agreed for next year."],
    ),
    "meetings.add_recommendation": (_recommend, ["Refer to the exit programme."]),
    # The chair enters positions for those present by phone; a member gives theirs on the live
    # page (meetings.give_position): both reach the minutes.
    "meetings.record_position": (
        _positions,
        [
            "Not proportionate yet.",
            "entered by the chair",
            "Agree with a reservation (Only with a review in three months.)",
        ],
    ),
    "meetings.decide": (_decide, ["Not adopted"]),
    "meetings.change_case_status": (_status, ["Case status: Referred → Open"]),
    "meetings.name_coordinator": (
        _coordinator,
        ["Coordinator named: Sol Social", "Support-led; no investigation is open."],
    ),
    "meetings.add_action": (_action, ["Book the first exit meeting", "Pia Prosecutor"]),
    "meetings.declare_conflict": (_conflict, ["declared a conflict of interest"]),
    "meetings.review": (_review, ["The school was seen on Monday."]),
    "meetings.refer": (_refer, ["Referral to Exit North", "guided"]),
    "meetings.referral_step": (_referral_step, ["consent recorded on"]),
}
# What the minutes hold without a route of its own: outcomes as they stand when closing.
ON_CLOSING = ["Not reached or deferred: carried over to the next meeting", "Deferred"]


def test_every_route_of_the_sitting_has_its_place_in_the_minutes(app: Flask) -> None:
    recording = {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/meetings/<int:meeting_id>/items/")
        and "POST" in (rule.methods or set())
    }
    assert recording == set(SITTING), "a decision of the sitting without its place in the minutes"
    assert len(DECISIONS) >= len(SITTING)


@pytest.fixture
def decided(world: World, sitting: Meeting, login: Any) -> MinutesVersion:
    """The sitting makes one decision of every kind, is closed, and its minutes drawn up."""
    client = login(world.users["chair"])
    for drive, _expected in SITTING.values():
        drive(client, world, sitting)
    _ok(client.post(f"/meetings/{sitting.id}/close", data={"confirmed": "1"}))
    _ok(login(world.users["secretary"]).post(f"/meetings/{sitting.id}/minutes/draft"))
    return db.session.scalars(
        sa.select(MinutesVersion).where(MinutesVersion.meeting_id == sitting.id)
    ).one()


def test_each_decision_is_in_the_minutes_content_the_page_and_the_pdf(
    world: World, decided: MinutesVersion, login: Any
) -> None:
    client = login(world.users["secretary"])
    content = str(decided.content)
    page = html.unescape(client.get(f"/minutes/{decided.id}").get_data(as_text=True))
    pdf = pdf_text(client.get(f"/minutes/{decided.id}.pdf").data)
    expected = [text for _drive, texts in SITTING.values() for text in texts] + ON_CLOSING
    for text in expected:
        assert text in page, text
        assert text in pdf, text
    typed = ["Threats posted online twice.", "Book the first exit meeting", "Exit North"]
    for text in [*typed, "Support-led; no investigation is open.", "Not proportionate yet."]:
        assert text in content, text  # kept in the stored version, so it never changes
    # Positions are recorded where the panel was not of one mind, and only there.
    assert "Police agency: Object (Not proportionate yet.)" in pdf.replace("POL", "Police")
    # Never the restricted details: the crime flag shows only as the override's reason.
    assert "crime_suspected" not in content


def test_the_referral_rests_on_the_consent_record_never_its_notes(
    world: World, decided: MinutesVersion
) -> None:
    [item] = [i for i in decided.content["items"] if i.get("reference") == "RVT-2026-0001"]
    [referral] = item["referrals"]
    assert referral["proposed_here"]
    assert referral["guided"]
    assert referral["steps"][-1]["to"] == "Referred"
    assert "consent record" in referral["steps"][-1]["basis"]


def test_signatures_are_part_of_every_copy_of_the_minutes(
    app: Flask, world: World, decided: MinutesVersion, login: Any
) -> None:
    secretary = login(world.users["secretary"])
    _ok(secretary.post(f"/minutes/{decided.id}/circulate"))
    draft_pdf = pdf_text(secretary.get(f"/minutes/{decided.id}.pdf").data)
    assert "Chair: Chris Chair, MUN agency · signature awaited" in draft_pdf
    assert "POL agency · signature awaited" in draft_pdf
    for key in ("chair", "police", "prosecutor"):
        client = login(world.users[key])
        _ok(client.post(f"/minutes/{decided.id}/sign", data={"password": TEST_PASSWORD}))
    db.session.expire_all()
    version = db.session.get(MinutesVersion, decided.id)
    assert version.archived_at is not None
    # The audit chain was anchored outside the database at archiving, and the manifest says so.
    anchor = archive.manifest_of(version)["audit_anchor"]
    anchor_file = Path(app.config["EXPORTS_DIR"]) / anchor["file"]
    assert hashlib.sha256(anchor_file.read_bytes()).hexdigest() == anchor["sha256"]
    assert app.test_cli_runner().invoke(args=["audit", "verify"]).exit_code == 0
    client = login(world.users["police"])
    page = client.get(f"/minutes/{decided.id}").get_data(as_text=True)
    printed = client.get(f"/minutes/{decided.id}/print").get_data(as_text=True)
    for copy in (page, printed):
        assert "Chris Chair" in copy
        assert "signed" in copy
        assert "Pia Prosecutor" in copy
        assert "signature awaited" not in copy
    archived = db.session.scalars(
        sa.select(ArchivedFile.body).where(
            ArchivedFile.version_id == decided.id, ArchivedFile.path.like("%.pdf")
        )
    ).all()
    assert len(archived) >= 2  # the minutes and at least one extract
    for body in archived:
        text = pdf_text(body)
        assert "Chair: Chris Chair, MUN agency · signed" in text
        assert "Co-signed for a core agency: Pia Prosecutor, PRO agency · signed" in text


def _snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table the meeting's record lives in."""
    names = [
        "meeting",
        "attendance",
        "agenda_item",
        "agenda_change",
        "recommendation",
        "position",
        "conflict_declaration",
        "coordinator_assignment",
        "case_file",
        "case_status_change",
        "action",
        "action_update",
        "service_referral",
        "service_referral_step",
    ]
    tables = db.metadata.tables
    return {
        name: sorted(
            (tuple(str(v) for v in row) for row in db.session.execute(sa.select(tables[name]))),
        )
        for name in names
    }


def test_a_closed_meeting_is_final_whatever_form_is_posted(
    world: World, sitting: Meeting, login: Any
) -> None:
    client = login(world.users["chair"])
    # Every form the chair has on the meeting's pages while it is in session...
    pages = [f"/meetings/{sitting.id}", f"/meetings/{sitting.id}/opening"] + [
        f"/meetings/{sitting.id}/items/{item.id}" for item in _items(sitting)
    ]
    forms = []
    for url in pages:
        page = client.get(url).get_data(as_text=True)
        forms += [
            (action, fields)
            for action, fields in post_forms(page, url)
            if not action.endswith(("/close", "/logout", "/language"))
        ]
    assert len(forms) > 15
    _ok(client.post(f"/meetings/{sitting.id}/close", data={"confirmed": "1"}))
    before = _snapshot()
    # ...posted once it is closed: refused with a message, nothing changed.
    for action, fields in forms:
        response = client.post(action, data=fields)
        assert response.status_code < 500, action
        if response.status_code == 302:
            assert "minutes amendment" in client.get(response.headers["Location"]).get_data(
                as_text=True
            ), action
        else:
            assert "minutes amendment" in response.get_data(as_text=True), action
    assert _snapshot() == before
    # And its pages offer nothing to post any more.
    for url in pages:
        page = client.get(url).get_data(as_text=True)
        live = [a for a, _f in post_forms(page, url) if not a.endswith(("/logout", "/language"))]
        assert live == [], (url, live)
