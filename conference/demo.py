"""A believable, clearly fictional demo world: two panels, about 40 cases, meetings, actions.

Every person is invented and named so that nobody can mistake the data for real records.
The world is built relative to `now`, so the demo always has a past and an upcoming meeting.
"""

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from conference.actions.models import Action, ActionStatus, ActionUpdate, ProgressReport, RagStatus
from conference.auth.models import Agency, AgencyKind, User
from conference.auth.services import add_membership, create_user
from conference.cases.models import (
    Case,
    CaseShare,
    CaseStatus,
    CaseStatusChange,
    ConcernCategory,
    ConsentGiver,
    ConsentPurpose,
    ConsentRecord,
    ConsentState,
    CoordinatorAssignment,
    Guardian,
    LegalBasis,
    Referral,
    ReferralSource,
    RiskLevel,
    Subject,
)
from conference.cases.rules import age_band, name_key
from conference.cases.services import allocate_reference
from conference.directory.models import (
    Service,
    ServiceKind,
    ServiceReferral,
    ServiceReferralStatus,
)
from conference.extensions import db
from conference.meetings.models import (
    AgendaItem,
    AgendaItemKind,
    Attendance,
    AttendanceStatus,
    CurrentItem,
    InvitationReply,
    ItemOutcome,
    Meeting,
    MeetingStatus,
    Position,
    Recommendation,
    RecommendationKind,
    RecommendationOutcome,
    Stance,
)
from conference.meetings.rules import add_months
from conference.meetings.services.agenda import build_agenda, publish_agenda
from conference.minutes import services as minutes_services
from conference.panels.models import AgencyTier, Panel, PanelAgency, PanelRole

DEMO_PASSWORD = "casedemo-2026"  # the fictional demo's published password # noqa: S105 # nosec B105


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    agency: str
    description: str
    panels: tuple[tuple[str, PanelRole], ...] = ()
    administrator: bool = False
    auditor: bool = False
    locale: str | None = None  # the language the account reads the app in


AGENCIES = (
    ("RMU", "Riverton Municipality", AgencyKind.MUNICIPALITY),
    ("RPO", "Riverton Police", AgencyKind.POLICE),
    ("RPP", "Riverton Public Prosecutor", AgencyKind.PROSECUTOR),
    ("RSS", "Riverton Social Services", AgencyKind.SOCIAL_SERVICES),
    ("RHS", "Riverton Health Service", AgencyKind.HEALTH),
    ("RYW", "Riverton Youth Work", AgencyKind.YOUTH_WORK),
    ("ODF", "Open Doors Foundation", AgencyKind.NGO),
    ("RIC", "Riverton Interfaith Council", AgencyKind.RELIGIOUS_COMMUNITY),
    ("NMU", "Northvale Municipality", AgencyKind.MUNICIPALITY),
    ("NPO", "Northvale Police", AgencyKind.POLICE),
    ("NSH", "Northvale Social and Health Services", AgencyKind.SOCIAL_SERVICES),
    ("NYS", "Northvale Youth Services", AgencyKind.YOUTH_WORK),
)

RVT, NVA = "RVT", "NVA"
PANELS = {
    RVT: dict(
        name="Riverton Tri-Agency Safety Conference",
        cadence_weekday=1,
        cadence_every_weeks=2,
        cadence_start=time(10, 0),
        cadence_end=time(12, 0),
        default_place="Riverton Town Hall, Room 4",
        tiers={
            "RMU": AgencyTier.CORE,
            "RPO": AgencyTier.CORE,
            "RPP": AgencyTier.CORE,
            "RSS": AgencyTier.PARTNER,
            "RHS": AgencyTier.PARTNER,
            "RYW": AgencyTier.PARTNER,
            "ODF": AgencyTier.PARTNER,
            "RIC": AgencyTier.PARTNER,
        },
    ),
    NVA: dict(
        name="Northvale Anchor Team",
        # A Finnish Anchor team: its documents in Finnish, its time Finland's.
        locale="fi",
        timezone="Europe/Helsinki",
        cadence_weekday=3,
        cadence_every_weeks=2,
        cadence_start=time(13, 0),
        cadence_end=time(15, 0),
        default_place="Northvale Police Station, Meeting Room B",
        minors_first=True,
        tiers={
            "NMU": AgencyTier.CORE,
            "NPO": AgencyTier.CORE,
            "NSH": AgencyTier.CORE,
            "NYS": AgencyTier.PARTNER,
        },
    ),
}

DEMO_ACCOUNTS = (
    DemoAccount(
        "admin@example.org",
        "Adam Admin",
        "RMU",
        "administrator (no case access)",
        administrator=True,
    ),
    DemoAccount(
        "chair@example.org",
        "Chris Chair",
        "RMU",
        "chair, Riverton (municipality)",
        ((RVT, PanelRole.CHAIR),),
    ),
    DemoAccount(
        "secretary@example.org",
        "Sid Secretary",
        "RMU",
        "secretary, Riverton (municipality)",
        ((RVT, PanelRole.SECRETARY),),
    ),
    DemoAccount(
        "police@example.org",
        "Pat Police",
        "RPO",
        "core member, Riverton (police)",
        ((RVT, PanelRole.MEMBER),),
    ),
    DemoAccount(
        "prosecutor@example.org",
        "Pru Prosecutor",
        "RPP",
        "core member, Riverton (prosecutor)",
        ((RVT, PanelRole.MEMBER),),
    ),
    DemoAccount(
        "social@example.org",
        "Sol Social",
        "RSS",
        "partner, Riverton (social services), coordinates some cases",
        ((RVT, PanelRole.PARTNER),),
    ),
    DemoAccount(
        "ngo@example.org", "Nico Ngo", "ODF", "partner, Riverton (NGO)", ((RVT, PanelRole.PARTNER),)
    ),
    DemoAccount(
        "auditor@example.org", "Audrey Auditor", "RMU", "auditor / data protection", auditor=True
    ),
    DemoAccount(
        "anchor@example.org",
        "Andy Anchor",
        "NMU",
        "member of Northvale only",
        ((NVA, PanelRole.MEMBER),),
        locale="fi",
    ),
    DemoAccount(
        "health@example.org",
        "Hana Health",
        "RHS",
        "partner, Riverton (health)",
        ((RVT, PanelRole.PARTNER),),
    ),
    DemoAccount(
        "youth@example.org",
        "Yuri Youth",
        "RYW",
        "partner, Riverton (youth work)",
        ((RVT, PanelRole.PARTNER),),
    ),
    DemoAccount(
        "north-chair@example.org",
        "Nell Northchair",
        "NMU",
        "chair, Northvale",
        ((NVA, PanelRole.CHAIR),),
        locale="fi",
    ),
    DemoAccount(
        "north-police@example.org",
        "Nora Northpolice",
        "NPO",
        "core member, Northvale (police)",
        ((NVA, PanelRole.MEMBER),),
        locale="fi",
    ),
    DemoAccount(
        "north-social@example.org",
        "Sam Northsocial",
        "NSH",
        "core member, Northvale (social and health)",
        ((NVA, PanelRole.MEMBER),),
        locale="fi",
    ),
)

FIRST_NAMES = (
    "Alex",
    "Sam",
    "Robin",
    "Jamie",
    "Kim",
    "Noa",
    "Charlie",
    "Jesse",
    "Max",
    "Luca",
    "Sasha",
    "Mika",
    "Rene",
    "Dani",
    "Toni",
    "Eli",
    "Quinn",
    "Remy",
    "Ari",
    "Bo",
)
LAST_NAMES = (
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
)
CONCERNS = (
    "DEMO (fictional): shared violent extremist videos in a school group chat.",
    "DEMO (fictional): expressed support for an attack and asked peers about weapons.",
    "DEMO (fictional): family worried about sudden isolation and an online extremist group.",
    "DEMO (fictional): repeated threats of violence against a former partner.",
    "DEMO (fictional): threats against a council officer after a housing dispute.",
    "DEMO (fictional): drawings and notes glorifying a past attack found by a teacher.",
)
# (status, how many) per panel: every lifecycle state appears.
CASE_PLAN = {
    RVT: (
        (CaseStatus.REFERRED, 4),
        (CaseStatus.OPEN, 8),
        (CaseStatus.MONITORING, 6),
        (CaseStatus.CLOSURE_PROPOSED, 3),
        (CaseStatus.CLOSED, 6),
        (CaseStatus.DECLINED, 3),
    ),
    NVA: (
        (CaseStatus.REFERRED, 2),
        (CaseStatus.OPEN, 3),
        (CaseStatus.MONITORING, 2),
        (CaseStatus.CLOSURE_PROPOSED, 1),
        (CaseStatus.CLOSED, 1),
        (CaseStatus.DECLINED, 1),
    ),
}
# How long ago (days) cases in each state were referred.
REFERRED_DAYS_AGO = {
    CaseStatus.REFERRED: (1, 12),
    CaseStatus.OPEN: (30, 160),
    CaseStatus.MONITORING: (120, 300),
    CaseStatus.CLOSURE_PROPOSED: (200, 380),
    CaseStatus.CLOSED: (250, 600),
    CaseStatus.DECLINED: (20, 120),
}
ACTION_TEXTS = (
    "Invite to a first conversation with the exit programme (guided referral).",
    "Check school attendance and share the outcome with the coordinator.",
    "Offer family counselling to the parents.",
    "Arrange a mentor from the interfaith council.",
    "Assess eligibility for the youth mental health team.",
    "Review police information and report any new incidents.",
    "Hold a follow-up home visit with youth work.",
)


@dataclass
class World:
    """What the seed has built so far, by code."""

    now: datetime
    rng: random.Random
    agencies: dict[str, Agency] = field(default_factory=dict)
    panels: dict[str, Panel] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return self.now.date()

    def user(self, local_part: str) -> User:
        return self.users[f"{local_part}@example.org"]


def seed(now: datetime) -> bool:
    """Build the demo world unless it is already there; returns whether anything was created."""
    if db.session.scalar(sa.select(Panel.id).where(Panel.code == RVT)) is not None:
        return False
    world = World(now=now, rng=random.Random(2026))  # reproducible fake data # noqa: S311 # nosec B311
    _agencies_and_panels(world)
    _accounts(world)
    _services(world)
    for code in (RVT, NVA):
        cases = _cases(world, code)
        _past_two_years(world, code, cases)
        _meetings(world, code, cases)
    db.session.flush()
    return True


def _agencies_and_panels(world: World) -> None:
    for code, name, kind in AGENCIES:
        agency = Agency(code=code, name=name, kind=kind)
        db.session.add(agency)
        world.agencies[code] = agency
    for code, spec in PANELS.items():
        settings = {k: v for k, v in spec.items() if k != "tiers"}
        panel = Panel(code=code, created_at=world.now, **settings)
        for agency_code, tier in spec["tiers"].items():  # type: ignore[attr-defined]
            panel.agency_tiers.append(PanelAgency(agency=world.agencies[agency_code], tier=tier))
        db.session.add(panel)
        world.panels[code] = panel
    db.session.flush()


def _accounts(world: World) -> None:
    since = world.today - timedelta(days=730)
    for account in DEMO_ACCOUNTS:
        user = create_user(
            email=account.email,
            name=account.name,
            agency=world.agencies[account.agency],
            password=DEMO_PASSWORD,
            now=world.now,
            is_administrator=account.administrator,
            is_auditor=account.auditor,
        )
        user.locale = account.locale
        for panel_code, role in account.panels:
            add_membership(user, world.panels[panel_code], role, since=since, now=world.now)
        world.users[account.email] = user


def _services(world: World) -> None:
    for panel_code, name, provider, kind, ages in (
        (
            RVT,
            "Riverton Exit Programme",
            "Open Doors Foundation",
            ServiceKind.EXIT_PROGRAMME,
            (14, None),
        ),
        (
            RVT,
            "Mentoring Circle",
            "Riverton Interfaith Council",
            ServiceKind.RELIGIOUS_SUPPORT,
            (12, None),
        ),
        (
            RVT,
            "Youth Mental Health Team",
            "Riverton Health Service",
            ServiceKind.MENTAL_HEALTH,
            (12, 23),
        ),
        (
            RVT,
            "Family Bridge Counselling",
            "Riverton Social Services",
            ServiceKind.FAMILY_COUNSELLING,
            (None, None),
        ),
        (
            RVT,
            "Victim Support Riverton",
            "Riverton Social Services",
            ServiceKind.VICTIM_SUPPORT,
            (None, None),
        ),
        (
            NVA,
            "Northvale Youth Mentoring",
            "Northvale Youth Services",
            ServiceKind.MENTORING,
            (12, 25),
        ),
    ):
        db.session.add(
            Service(
                panel_id=world.panels[panel_code].id,
                name=name,
                provider=provider,
                kind=kind,
                min_age=ages[0],
                max_age=ages[1],
                languages="English, Dutch, Arabic, Turkish",
                contact="intake desk, office hours",
            )
        )


def _coordinator_for(world: World, panel_code: str, crime_suspected: bool, index: int) -> User:
    if panel_code == NVA:
        return world.user("north-police" if crime_suspected else "north-social")
    if crime_suspected:
        return world.user("police")
    return (world.user("social"), world.user("secretary"), world.user("youth"))[index % 3]


def _cases(world: World, panel_code: str) -> list[Case]:
    panel = world.panels[panel_code]
    rng = world.rng
    members = [
        u for u in world.users.values() if any(m.panel_id == panel.id for m in u.memberships)
    ]
    cases: list[Case] = []
    index = 0
    for status, count in CASE_PLAN[panel_code]:
        for _ in range(count):
            index += 1
            low, high = REFERRED_DAYS_AGO[status]
            referred_at = world.now - timedelta(
                days=rng.randint(low, high), hours=rng.randint(0, 8)
            )
            case = _case(world, panel, status, referred_at, index, members)
            cases.append(case)
    return cases


def _case(
    world: World,
    panel: Panel,
    status: CaseStatus,
    referred_at: datetime,
    index: int,
    members: list[User],
) -> Case:
    rng = world.rng
    crime_suspected = rng.random() < 0.3
    reference, number = allocate_reference(panel, referred_at.year)
    risk = rng.choices(list(RiskLevel), weights=(3, 4, 2, 1))[0]
    if index % 9 == 0:
        risk = RiskLevel.CRITICAL
    active = status in (CaseStatus.OPEN, CaseStatus.MONITORING, CaseStatus.CLOSURE_PROPOSED)
    coordinator = (
        _coordinator_for(world, panel.code, crime_suspected, index)
        if active or status is CaseStatus.CLOSED
        else None
    )
    case = Case(
        panel=panel,
        reference=reference,
        ref_year=referred_at.year,
        ref_number=number,
        status=status,
        concern_category=rng.choice(list(ConcernCategory)),
        risk_level=risk,
        crime_suspected=crime_suspected,
        lead_agency=coordinator.agency if coordinator else None,
        coordinator=coordinator if status is not CaseStatus.CLOSED else None,
        next_review_on=(world.today + timedelta(days=rng.randint(-10, 50))) if active else None,
        is_repeat_referral=index % 11 == 0,
        referred_at=referred_at,
        created_at=referred_at,
        updated_at=referred_at,
    )
    db.session.add(case)
    minor = index % 4 == 0
    birth_year = world.today.year - (rng.randint(14, 17) if minor else rng.randint(19, 45))
    subject = Subject(
        case=case,
        full_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        date_of_birth=date(birth_year, rng.randint(1, 12), rng.randint(1, 28)),
        address=f"{rng.randint(1, 120)} Example Street, {panel.name.split()[0]}",
        languages=rng.choice(("English", "English, Arabic", "Dutch, Turkish", "English, Somali")),
    )
    subject.name_key = name_key(subject.full_name)
    if minor:
        subject.guardians.append(
            Guardian(
                name=f"Parent {subject.full_name.split()[1]}",
                relationship_to_subject="parent",
                contact="via school liaison",
            )
        )
    db.session.add(subject)
    referrer = rng.choice(members)
    referral = Referral(
        case=case,
        source=rng.choice(list(ReferralSource)),
        received_on=(referred_at - timedelta(days=rng.randint(0, 4))).date(),
        referred_by_id=referrer.id,
        referring_agency_id=referrer.agency_id,
        narrative=rng.choice(CONCERNS),
        created_at=referred_at,
    )
    db.session.add(referral)
    case.age_band = age_band(subject.date_of_birth, referral.received_on)  # as intake does
    db.session.flush()
    _history(world, case, status, referred_at, coordinator)
    if active:
        _consent_and_shares(world, case, index)
    return case


def _history(
    world: World, case: Case, status: CaseStatus, referred_at: datetime, coordinator: User | None
) -> None:
    """The status changes and the coordinator assignment that led to the case's state."""
    path = {
        CaseStatus.REFERRED: [],
        CaseStatus.DECLINED: [CaseStatus.DECLINED],
        CaseStatus.OPEN: [CaseStatus.OPEN],
        CaseStatus.MONITORING: [CaseStatus.OPEN, CaseStatus.MONITORING],
        CaseStatus.CLOSURE_PROPOSED: [
            CaseStatus.OPEN,
            CaseStatus.MONITORING,
            CaseStatus.CLOSURE_PROPOSED,
        ],
        CaseStatus.CLOSED: [CaseStatus.OPEN, CaseStatus.MONITORING, CaseStatus.CLOSED],
    }[status]
    reasons = {
        CaseStatus.OPEN: "Panel agreed the concern needs a multi-agency response.",
        CaseStatus.DECLINED: "Panel agreed a single agency can handle the concern.",
        CaseStatus.MONITORING: "Measures in place; the panel monitors progress.",
        CaseStatus.CLOSURE_PROPOSED: "Coordinator proposes closure: measures completed.",
        CaseStatus.CLOSED: "Panel agreed to close: no remaining concern of violence.",
    }
    span = (world.now - referred_at) / (len(path) + 1)
    previous: CaseStatus | None = None
    db.session.add(
        CaseStatusChange(
            case_id=case.id,
            from_status=None,
            to_status=CaseStatus.REFERRED,
            reason="Referral received.",
            changed_at=referred_at,
        )
    )
    previous = CaseStatus.REFERRED
    for step, to_status in enumerate(path, start=1):
        at = referred_at + span * step
        db.session.add(
            CaseStatusChange(
                case_id=case.id,
                from_status=previous,
                to_status=to_status,
                reason=reasons[to_status],
                changed_at=at,
            )
        )
        previous = to_status
        if to_status is CaseStatus.CLOSED:
            case.closed_at = at
    if coordinator is not None:
        db.session.add(
            CoordinatorAssignment(
                case_id=case.id,
                user_id=coordinator.id,
                agency_id=coordinator.agency_id,
                reason="Crime suspected: police coordinate."
                if case.crime_suspected
                else "Best placed to keep the agreed support moving.",
                started_at=referred_at + span,
                ended_at=case.closed_at,
            )
        )


def _consent_and_shares(world: World, case: Case, index: int) -> None:
    recorder = world.user("secretary") if case.panel.code == RVT else world.user("north-chair")
    at = case.referred_at + timedelta(days=10)
    is_minor_case = bool(case.subject and case.subject.guardians)
    state = (ConsentState.GIVEN, ConsentState.REFUSED, ConsentState.NOT_SOUGHT)[index % 3]
    db.session.add(
        ConsentRecord(
            case_id=case.id,
            purpose=ConsentPurpose.SERVICE_REFERRAL,
            state=state,
            given_by=(ConsentGiver.GUARDIAN if is_minor_case else ConsentGiver.SUBJECT)
            if state is not ConsentState.NOT_SOUGHT
            else None,
            guardian_name=case.subject.guardians[0].name
            if is_minor_case and case.subject
            else None,
            legal_basis=LegalBasis.CONSENT if state is ConsentState.GIVEN else None,
            recorded_at=at,
            recorded_by_id=recorder.id,
        )
    )
    if case.panel.code != RVT or index % 4 != 1:
        return
    # Some Riverton cases are shared with the NGO on consent; one consent was later withdrawn.
    consent = ConsentRecord(
        case_id=case.id,
        purpose=ConsentPurpose.PARTNER_SHARING,
        state=ConsentState.GIVEN,
        given_by=ConsentGiver.SUBJECT,
        legal_basis=LegalBasis.CONSENT,
        partner_agency_id=world.agencies["ODF"].id,
        recorded_at=at,
        recorded_by_id=recorder.id,
    )
    db.session.add(consent)
    db.session.flush()
    share = CaseShare(
        case_id=case.id,
        agency_id=world.agencies["ODF"].id,
        consent_id=consent.id,
        legal_basis=LegalBasis.CONSENT,
        shared_at=at,
        shared_by_id=recorder.id,
    )
    db.session.add(share)
    if index == 13:
        withdrawn_at = at + timedelta(days=30)
        db.session.add(
            ConsentRecord(
                case_id=case.id,
                purpose=ConsentPurpose.PARTNER_SHARING,
                state=ConsentState.WITHDRAWN,
                given_by=ConsentGiver.SUBJECT,
                partner_agency_id=world.agencies["ODF"].id,
                recorded_at=withdrawn_at,
                recorded_by_id=recorder.id,
            )
        )
        share.revoked_at = withdrawn_at


def _meeting_dates(world: World, panel: Panel) -> tuple[date, date, date]:
    """The two last sittings before today and the next one, on the panel's weekday."""
    days_since = (world.today.weekday() - panel.cadence_weekday) % 7 or 7
    last = world.today - timedelta(days=days_since)
    step = timedelta(weeks=panel.cadence_every_weeks)
    return last - step, last, last + step


def _at(panel: Panel, day: date, clock: time) -> datetime:
    return datetime.combine(day, clock, tzinfo=ZoneInfo(panel.timezone)).astimezone(UTC)


def _chair(world: World, panel: Panel) -> User:
    return world.user("chair") if panel.code == RVT else world.user("north-chair")


def _new_meeting(world: World, panel: Panel, day: date, status: MeetingStatus) -> Meeting:
    chair = _chair(world, panel)
    secretary = world.user("secretary") if panel.code == RVT else None
    meeting = Meeting(
        panel=panel,
        starts_at=_at(panel, day, panel.cadence_start),
        ends_at=_at(panel, day, panel.cadence_end),
        place=panel.default_place,
        chair=chair,
        secretary=secretary,
        status=status,
        created_at=world.now - timedelta(days=60),
    )
    if status is not MeetingStatus.PLANNED:
        meeting.agenda_published_at = meeting.starts_at - timedelta(days=5)
        meeting.opened_at = meeting.starts_at
        meeting.closed_at = meeting.ends_at
    db.session.add(meeting)
    members = [
        u for u in world.users.values() if any(m.panel_id == panel.id for m in u.memberships)
    ]
    for user in members:
        if status is MeetingStatus.PLANNED:
            attendance = AttendanceStatus.INVITED
        elif user.email in ("ngo@example.org", "health@example.org"):
            attendance = AttendanceStatus.APOLOGIES
        else:
            attendance = AttendanceStatus.PRESENT
        db.session.add(
            Attendance(
                meeting=meeting,
                user_id=user.id,
                agency_id=user.agency_id,
                status=attendance,
                confidentiality_acknowledged_at=meeting.starts_at
                if attendance is AttendanceStatus.PRESENT
                else None,
            )
        )
    db.session.flush()
    return meeting


def _meetings(world: World, panel_code: str, cases: list[Case]) -> None:
    panel = world.panels[panel_code]
    first_day, last_day, next_day = _meeting_dates(world, panel)
    discussed = [
        c
        for c in cases
        if c.status in (CaseStatus.OPEN, CaseStatus.MONITORING, CaseStatus.CLOSURE_PROPOSED)
    ]
    past_days = (first_day, last_day) if panel_code == RVT else (last_day,)
    past = []
    for number, day in enumerate(past_days):
        meeting = _new_meeting(world, panel, day, MeetingStatus.CLOSED)
        _past_agenda(
            world, meeting, discussed[number::2], deferred_one=number == len(past_days) - 1
        )
        past.append(meeting)
    if panel_code == RVT:
        _minutes(world, signed=past[0], awaiting=past[1])
        _in_progress(world, panel, discussed[:2])
    upcoming = _new_meeting(world, panel, next_day, MeetingStatus.PLANNED)
    _progress_reports(world, upcoming, discussed)
    # The coming agenda: a draft for the chair of RVT to work on, already published for NVA.
    chair = _chair(world, panel)
    build_agenda(upcoming, actor=chair, now=world.now)
    if panel_code != RVT:
        publish_agenda(upcoming, actor=chair, now=world.now)


def _in_progress(world: World, panel: Panel, cases: list[Case]) -> None:
    """A sitting going on now: opened, attendance taken from the replies, the action review and
    one case decided, the chair on the next case with a recommendation open. Every agency
    present has given its position but the police, so that `police@example.org` lands in it
    and can give its own."""
    started = world.now.replace(second=0, microsecond=0) - timedelta(minutes=45)
    chair, secretary = world.user("chair"), world.user("secretary")
    meeting = Meeting(
        panel=panel,
        starts_at=started,
        ends_at=started + timedelta(hours=2),
        place=panel.default_place,
        chair=chair,
        secretary=secretary,
        status=MeetingStatus.IN_PROGRESS,
        created_at=world.now - timedelta(days=20),
        agenda_published_at=started - timedelta(days=5),
        opened_at=started,
    )
    db.session.add(meeting)
    members = [
        u for u in world.users.values() if any(m.panel_id == panel.id for m in u.memberships)
    ]
    away = ("ngo@example.org", "health@example.org")
    for user in members:
        db.session.add(
            Attendance(
                meeting=meeting,
                user_id=user.id,
                agency_id=user.agency_id,
                reply=InvitationReply.APOLOGIES
                if user.email in away
                else InvitationReply.ATTENDING,
                replied_at=started - timedelta(days=2),
                status=AttendanceStatus.APOLOGIES
                if user.email in away
                else AttendanceStatus.PRESENT,
                confidentiality_acknowledged_at=None if user.email in away else started,
            )
        )
    review = AgendaItem(
        meeting=meeting,
        kind=AgendaItemKind.ACTION_REVIEW,
        title="Review of open actions from the last meeting",
        position=1,
        minutes_allocated=10,
        outcome=ItemOutcome.DISCUSSED,
    )
    decided, current = (
        AgendaItem(
            meeting=meeting,
            kind=AgendaItemKind.CASE,
            case_id=case.id,
            reasons=["review_due"],
            position=position,
            minutes_allocated=panel.minutes_review,
        )
        for position, case in enumerate(cases, start=2)
    )
    decided.outcome = ItemOutcome.DISCUSSED
    decided.facts = "The coordinator reported that the first exit appointment was kept."
    db.session.add_all([review, decided, current])
    db.session.flush()
    present = [u for u in members if u.email not in away]
    speakers = {u.agency_id: u for u in reversed(present)}  # one person per agency
    for item, text, waiting_for in (
        (decided, "Continue the exit programme; review in three months.", None),
        (current, "Refer to the youth mental health team with a guided first appointment.", "RPO"),
    ):
        recommendation = Recommendation(
            agenda_item_id=item.id,
            case_id=item.case_id,
            kind=RecommendationKind.SERVICE_REFERRAL
            if waiting_for
            else RecommendationKind.SUPPORT_MEASURE,
            text=text,
            outcome=RecommendationOutcome.PENDING if waiting_for else RecommendationOutcome.ADOPTED,
            decided_at=None if waiting_for else started + timedelta(minutes=25),
            created_at=started + timedelta(minutes=15 if not waiting_for else 35),
            created_by_id=chair.id,
        )
        db.session.add(recommendation)
        db.session.flush()
        for agency_id, speaker in speakers.items():
            agency = db.session.get(Agency, agency_id)
            if agency is None or agency.code == waiting_for:
                continue
            db.session.add(
                Position(
                    recommendation_id=recommendation.id,
                    agency_id=agency_id,
                    user_id=speaker.id,
                    stance=Stance.AGREE,
                    recorded_at=recommendation.created_at + timedelta(minutes=3),
                    entered_by_id=speaker.id
                    if speaker.email.startswith("prosecutor")
                    else chair.id,
                )
            )
    db.session.add(
        CurrentItem(
            meeting_id=meeting.id,
            agenda_item_id=current.id,
            since=started + timedelta(minutes=30),
            set_by_id=chair.id,
        )
    )
    db.session.flush()


def _minutes(world: World, *, signed: Meeting, awaiting: Meeting) -> None:
    """The first sitting's minutes signed and archived; the last one's waiting for co-signers."""
    secretary, chair = world.user("secretary"), world.user("chair")
    for meeting in (signed, awaiting):
        at = meeting.ends_at + timedelta(days=1)
        version = minutes_services.draft_minutes(meeting, actor=secretary, now=at)
        minutes_services.circulate(version, actor=secretary, now=at)
        minutes_services.sign(version, actor=chair, now=at)
        if meeting is signed:
            for member in ("police", "prosecutor"):
                minutes_services.sign(version, actor=world.user(member), now=at)


def _past_agenda(world: World, meeting: Meeting, cases: list[Case], deferred_one: bool) -> None:
    rng = world.rng
    panel = meeting.panel
    core = [pa.agency for pa in panel.agency_tiers if pa.tier is AgencyTier.CORE]
    chair = _chair(world, panel)
    db.session.add(
        AgendaItem(
            meeting=meeting,
            kind=AgendaItemKind.ACTION_REVIEW,
            title="Review of open actions from the last meeting",
            position=1,
            minutes_allocated=10,
            outcome=ItemOutcome.DISCUSSED,
        )
    )
    for position, case in enumerate(cases, start=2):
        outcome = (
            ItemOutcome.DEFERRED
            if deferred_one and position == len(cases) + 1
            else (ItemOutcome.DISCUSSED)
        )
        item = AgendaItem(
            meeting=meeting,
            kind=AgendaItemKind.CASE,
            case_id=case.id,
            reasons=["review_due"] if position % 2 else ["review_due", "overdue_action"],
            position=position,
            minutes_allocated=panel.minutes_review,
            outcome=outcome,
            facts="Coordinator reported on the measures agreed last time."
            if outcome is ItemOutcome.DISCUSSED
            else "",
        )
        db.session.add(item)
        db.session.flush()
        if outcome is not ItemOutcome.DISCUSSED:
            continue
        objection = position % 5 == 0
        kind = rng.choice(
            (
                RecommendationKind.SUPPORT_MEASURE,
                RecommendationKind.SERVICE_REFERRAL,
                RecommendationKind.CONSULT_EXPERTS,
            )
        )
        recommendation = Recommendation(
            agenda_item_id=item.id,
            case_id=case.id,
            kind=kind,
            text={
                RecommendationKind.SUPPORT_MEASURE: "Continue the agreed support; coordinator to "
                "involve youth work.",
                RecommendationKind.SERVICE_REFERRAL: "Refer to the exit programme with a guided "
                "first appointment.",
                RecommendationKind.CONSULT_EXPERTS: "Consult the national expert centre on the "
                "risk assessment.",
            }[kind],
            outcome=RecommendationOutcome.NOT_ADOPTED
            if objection
            else RecommendationOutcome.ADOPTED,
            decided_at=meeting.starts_at + timedelta(minutes=10 * position),
            created_at=meeting.starts_at + timedelta(minutes=10 * position),
            created_by_id=chair.id,
        )
        db.session.add(recommendation)
        db.session.flush()
        for seat, agency in enumerate(core):
            member = next(
                u
                for u in world.users.values()
                if u.agency_id == agency.id and any(m.panel_id == panel.id for m in u.memberships)
            )
            stance = (
                Stance.OBJECT
                if objection and seat == 2
                else (Stance.ABSTAIN if position % 3 == 0 and seat == 1 else Stance.AGREE)
            )
            db.session.add(
                Position(
                    recommendation_id=recommendation.id,
                    agency_id=agency.id,
                    user_id=member.id,
                    stance=stance,
                    reason="Proportionality not yet shown; revisit with more information."
                    if stance is Stance.OBJECT
                    else "",
                    recorded_at=recommendation.created_at,
                )
            )
        if not objection:
            _actions(world, meeting, case, recommendation, position)


def _actions(
    world: World, meeting: Meeting, case: Case, recommendation: Recommendation, position: int
) -> None:
    owner = case.coordinator or _chair(world, meeting.panel)
    for n in range(1 + position % 2):
        due_on = meeting.starts_at.date() + timedelta(days=7 + 4 * n + position % 5)
        if due_on < world.today:  # from the earlier meeting: some done, the rest overdue
            status = ActionStatus.DONE if (position + n) % 3 == 0 else ActionStatus.OPEN
        else:
            status = ActionStatus.IN_PROGRESS if n == 1 else ActionStatus.OPEN
        action = Action(
            case_id=case.id,
            recommendation_id=recommendation.id,
            meeting_id=meeting.id,
            text=ACTION_TEXTS[(position + n) % len(ACTION_TEXTS)],
            owner_id=owner.id,
            owner_agency_id=owner.agency_id,
            due_on=due_on,
            status=status,
            created_at=meeting.ends_at,
            created_by_id=meeting.chair_id or owner.id,
            completed_at=meeting.ends_at + timedelta(days=5)
            if status is ActionStatus.DONE
            else None,
        )
        db.session.add(action)
        db.session.flush()
        if status is not ActionStatus.OPEN:
            db.session.add(
                ActionUpdate(
                    action_id=action.id,
                    by_id=owner.id,
                    at=meeting.ends_at + timedelta(days=5),
                    from_status=ActionStatus.OPEN,
                    to_status=status,
                    note="First appointment took place."
                    if status is ActionStatus.DONE
                    else "Contact made; appointment being arranged.",
                )
            )


def _progress_reports(world: World, upcoming: Meeting, cases: list[Case]) -> None:
    """Reports for the coming meeting from about half the coordinators."""
    for n, case in enumerate(cases):
        if case.coordinator is None or n % 2:
            continue
        closure = case.status is CaseStatus.CLOSURE_PROPOSED
        rag = (
            RagStatus.ON_TRACK
            if closure
            else (RagStatus.OFF_TRACK, RagStatus.AT_RISK, RagStatus.ON_TRACK)[n % 3]
        )
        db.session.add(
            ProgressReport(
                case_id=case.id,
                meeting_id=upcoming.id,
                author_id=case.coordinator.id,
                rag=rag,
                summary={
                    RagStatus.ON_TRACK: "Agreed measures are running; engagement is good.",
                    RagStatus.AT_RISK: "Engagement has dropped; one appointment was missed.",
                    RagStatus.OFF_TRACK: "No contact for three weeks; new concerns reported.",
                }[rag],
                closure_proposed=closure,
                discussion_requested=rag is RagStatus.OFF_TRACK,
                created_at=world.now - timedelta(days=2),
                submitted_at=world.now - timedelta(days=2),
            )
        )
    # One guided referral to a service, resting on the consent the subject gave for it.
    service = db.session.scalar(sa.select(Service).where(Service.panel_id == upcoming.panel_id))
    consent = db.session.scalar(
        sa.select(ConsentRecord)
        .where(
            ConsentRecord.case_id.in_([c.id for c in cases]),
            ConsentRecord.purpose == ConsentPurpose.SERVICE_REFERRAL,
            ConsentRecord.state == ConsentState.GIVEN,
        )
        .order_by(ConsentRecord.id)
        .limit(1)
    )
    if service is None or consent is None:
        return
    consent.service_id = service.id
    db.session.add(
        ServiceReferral(
            case_id=consent.case_id,
            service_id=service.id,
            status=ServiceReferralStatus.REFERRED,
            guided=True,
            consent_id=consent.id,
            legal_basis=LegalBasis.CONSENT,
            created_at=world.now,
            created_by_id=consent.recorded_by_id,
            updated_at=world.now,
        )
    )


# --- Two years of history, for the statistics -------------------------------------------------

HISTORY_DAYS = 730
# New referrals a month in the two years before the recent sittings, per panel.
HISTORY_REFERRALS_PER_MONTH = {RVT: 6, NVA: 3}
CLOSING_REASONS = (
    "Panel agreed to close: measures completed, no remaining concern of violence.",
    "Panel agreed no further action is needed from the panel.",
)


def _past_two_years(world: World, code: str, cases: list[Case]) -> None:
    """The panel's sittings of the last two years, with cases referred, discussed, given
    actions and reports, and closed or declined; today's cases first discussed there too."""
    panel = world.panels[code]
    rng = random.Random(f"history-{code}")  # its own, so today's world stays as it was # noqa: S311 # nosec B311
    recent = _meeting_dates(world, panel)
    before = recent[0] if code == RVT else recent[1]
    step = timedelta(weeks=panel.cadence_every_weeks)
    days = []
    day = before - step
    while day > world.today - timedelta(days=HISTORY_DAYS):
        days.append(day)
        day -= step
    days.reverse()
    sittings = [_history_sitting(world, panel, day, rng) for day in days]
    members = [
        u for u in world.users.values() if any(m.panel_id == panel.id for m in u.memberships)
    ]
    referrals = HISTORY_REFERRALS_PER_MONTH[code] * HISTORY_DAYS // 30
    latest = (before - timedelta(days=70) - world.today).days + HISTORY_DAYS
    service_id = db.session.scalar(sa.select(Service.id).where(Service.panel_id == panel.id))
    # Flushed only where an id is needed: a few hundred cases stay a second or two.
    with db.session.no_autoflush:
        for case in cases:
            if case.status is not CaseStatus.REFERRED:
                sitting = _sitting_after(sittings, case.referred_at + timedelta(days=3))
                if sitting is not None:
                    _item(sitting, case, ItemOutcome.DISCUSSED)
        past = [
            _history_referral(
                panel,
                members,
                world.today - timedelta(days=HISTORY_DAYS - rng.randint(0, latest)),
                rng,
            )
            for _ in range(referrals)
        ]
        db.session.flush()  # the cases' ids
        finishing = [
            _history_story(world, sittings, case, n, rng, service_id) for n, case in enumerate(past)
        ]
        db.session.flush()  # the decisions' ids
        for finish in finishing:
            finish()
    db.session.flush()


def _history_sitting(world: World, panel: Panel, day: date, rng: random.Random) -> Meeting:
    meeting = _new_meeting(world, panel, day, MeetingStatus.MINUTES_SIGNED)
    for attendance in meeting.attendance:
        if attendance.status is AttendanceStatus.PRESENT and rng.random() < 0.12:
            attendance.status = rng.choice((AttendanceStatus.APOLOGIES, AttendanceStatus.ABSENT))
            attendance.confidentiality_acknowledged_at = None
    meeting.created_at = meeting.starts_at - timedelta(days=14)
    return meeting


def _sitting_after(sittings: list[Meeting], at: datetime) -> Meeting | None:
    return next((m for m in sittings if m.starts_at > at), None)


def _item(meeting: Meeting, case: Case, outcome: ItemOutcome) -> AgendaItem:
    item = AgendaItem(
        meeting=meeting,
        kind=AgendaItemKind.CASE,
        case=case,
        reasons=["review_due"],
        position=case.id,  # any order will do for a sitting long past
        minutes_allocated=meeting.panel.minutes_review,
        outcome=outcome,
    )
    db.session.add(item)
    return item


def _history_referral(
    panel: Panel, members: list[User], received: date, rng: random.Random
) -> Case:
    """A case referred in the past two years, with its person and referral."""
    referred_at = datetime.combine(received, time(11, 0), tzinfo=UTC)
    reference, number = allocate_reference(panel, referred_at.year)
    minor = rng.random() < 0.25
    case = Case(
        panel=panel,
        reference=reference,
        ref_year=referred_at.year,
        ref_number=number,
        status=CaseStatus.REFERRED,
        concern_category=rng.choices(list(ConcernCategory), weights=(4, 1, 3, 2, 3, 4))[0],
        risk_level=rng.choices(list(RiskLevel), weights=(3, 4, 2, 1))[0],
        crime_suspected=rng.random() < 0.3,
        is_repeat_referral=rng.random() < 0.1,
        referred_at=referred_at,
        created_at=referred_at,
        updated_at=referred_at,
    )
    birth_year = received.year - (rng.randint(13, 17) if minor else rng.randint(19, 50))
    subject = Subject(
        case=case,
        full_name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
        date_of_birth=date(birth_year, rng.randint(1, 12), rng.randint(1, 28)),
    )
    case.age_band = age_band(subject.date_of_birth, received)
    subject.name_key = name_key(subject.full_name)
    referrer = rng.choice(members)
    referral = Referral(
        case=case,
        source=rng.choice(list(ReferralSource)),
        received_on=received,
        referred_by_id=referrer.id,
        referring_agency_id=referrer.agency_id,
        narrative=rng.choice(CONCERNS),
        created_at=referred_at,
    )
    db.session.add_all([case, subject, referral])
    return case


Step = tuple[CaseStatus, datetime, Recommendation | None]


def _history_story(
    world: World,
    sittings: list[Meeting],
    case: Case,
    index: int,
    rng: random.Random,
    service_id: int | None,
) -> Callable[[], None]:
    """What became of a past case: its sittings, decisions, reports, actions and closing, or
    its decline. The steps that need the decisions' ids are returned, to run after a flush."""
    panel = case.panel
    steps: list[Step] = [(CaseStatus.REFERRED, case.referred_at, None)]
    first = _sitting_after(sittings, case.referred_at + timedelta(days=rng.choice((2, 3, 9, 16))))
    if first is None:
        return lambda: _history_steps(case, steps)
    if rng.random() < 0.15:
        decline = _decision(first, case, RecommendationKind.NO_FURTHER_ACTION)
        steps.append((CaseStatus.DECLINED, first.ends_at, decline))
        return lambda: _history_steps(case, steps)
    coordinator = _coordinator_for(world, panel.code, case.crime_suspected, index)
    opening = _decision(first, case, RecommendationKind.SUPPORT_MEASURE)
    steps.append((CaseStatus.OPEN, first.ends_at, opening))
    position = sittings.index(first)
    last = first
    steps_ahead = [position + k * rng.randint(2, 5) for k in range(1, rng.randint(2, 5))]
    for number in sorted(set(steps_ahead)):  # one report per case and sitting
        if number >= len(sittings):
            break
        _history_report(case, sittings[number], coordinator, rng)
        _item(sittings[number], case, rng.choices(list(ItemOutcome), weights=(88, 5, 2, 5))[0])
        last = sittings[number]
    kind = rng.choice((RecommendationKind.CLOSE_CASE, RecommendationKind.NO_FURTHER_ACTION))
    closing = _decision(last, case, kind)
    steps.append((CaseStatus.CLOSED, last.ends_at, closing))
    case.closed_at = last.ends_at
    if service_id is not None and rng.random() < 0.2:
        db.session.add(
            ServiceReferral(
                case=case,
                service_id=service_id,
                status=ServiceReferralStatus.ACCEPTED,
                guided=True,
                legal_basis=LegalBasis.PUBLIC_TASK,
                created_at=first.ends_at,
                created_by_id=coordinator.id,
                updated_at=last.ends_at,
            )
        )
    for months in (panel.post_exit_review_first_months, panel.post_exit_review_second_months):
        due = add_months(last.starts_at.date(), months)
        review = _sitting_after(sittings, datetime.combine(due, time(0), tzinfo=UTC))
        if review is not None and rng.random() < 0.85:
            late = rng.random() < 0.2 and sittings.index(review) + 1 < len(sittings)
            _item(
                sittings[sittings.index(review) + 1] if late else review,
                case,
                ItemOutcome.DISCUSSED,
            )

    def finish() -> None:
        db.session.add(
            CoordinatorAssignment(
                case_id=case.id,
                user_id=coordinator.id,
                agency_id=coordinator.agency_id,
                meeting_id=first.id,
                reason="Best placed to keep the agreed support moving.",
                started_at=first.ends_at,
                ended_at=case.closed_at,
            )
        )
        _history_actions(case, first, coordinator, opening, rng)
        _history_steps(case, steps)

    return finish


def _decision(meeting: Meeting, case: Case, kind: RecommendationKind) -> Recommendation:
    recommendation = Recommendation(
        item=_item(meeting, case, ItemOutcome.DISCUSSED),
        case_id=case.id,
        kind=kind,
        text={
            RecommendationKind.SUPPORT_MEASURE: "Open the case; coordinator to agree support.",
            RecommendationKind.NO_FURTHER_ACTION: "No further action by the panel.",
            RecommendationKind.CLOSE_CASE: "Close the case: the agreed measures are complete.",
        }[kind],
        outcome=RecommendationOutcome.ADOPTED,
        decided_at=meeting.ends_at,
        created_at=meeting.starts_at,
        created_by_id=meeting.chair_id,
    )
    db.session.add(recommendation)
    return recommendation


def _history_steps(
    case: Case, steps: list[tuple[CaseStatus, datetime, Recommendation | None]]
) -> None:
    previous = None
    for status, at, decision in steps:
        db.session.add(
            CaseStatusChange(
                case_id=case.id,
                from_status=previous,
                to_status=status,
                reason={
                    CaseStatus.REFERRED: "Referral received.",
                    CaseStatus.OPEN: "Panel agreed the concern needs a multi-agency response.",
                    CaseStatus.DECLINED: "Panel agreed a single agency can handle the concern.",
                    CaseStatus.MONITORING: "Measures in place; the panel monitors progress.",
                    CaseStatus.CLOSED: CLOSING_REASONS[
                        decision is not None
                        and decision.kind is RecommendationKind.NO_FURTHER_ACTION
                    ],
                }[status],
                recommendation_id=decision.id if decision else None,
                changed_at=at,
            )
        )
        case.status = status
        previous = status


def _history_actions(
    case: Case, meeting: Meeting, owner: User, recommendation: Recommendation, rng: random.Random
) -> None:
    for n in range(rng.randint(1, 3)):
        due_on = meeting.starts_at.date() + timedelta(days=rng.randint(14, 60))
        status = rng.choices(
            (
                ActionStatus.DONE,
                ActionStatus.NOT_POSSIBLE,
                ActionStatus.NOT_DONE,
                ActionStatus.CANCELLED,
            ),
            weights=(80, 8, 8, 4),
        )[0]
        db.session.add(
            Action(
                case_id=case.id,
                recommendation_id=recommendation.id,
                meeting_id=meeting.id,
                text=ACTION_TEXTS[(case.id + n) % len(ACTION_TEXTS)],
                owner_id=owner.id,
                owner_agency_id=owner.agency_id,
                due_on=due_on,
                status=status,
                created_at=meeting.ends_at,
                created_by_id=meeting.chair_id or owner.id,
                completed_at=datetime.combine(
                    due_on + timedelta(days=rng.randint(-10, 12)), time(15, 0), tzinfo=UTC
                )
                if status is ActionStatus.DONE
                else None,
            )
        )


def _history_report(case: Case, meeting: Meeting, author: User, rng: random.Random) -> None:
    if rng.random() < 0.1:
        return  # never written: missing
    rag = rng.choices(list(RagStatus), weights=(70, 20, 10))[0]
    submitted_at = meeting.starts_at - timedelta(days=rng.choice((1, 2, 4, 5, 6, 8)))
    db.session.add(
        ProgressReport(
            case_id=case.id,
            meeting_id=meeting.id,
            author_id=author.id,
            rag=rag,
            summary={
                RagStatus.ON_TRACK: "Agreed measures are running; engagement is good.",
                RagStatus.AT_RISK: "Engagement has dropped; one appointment was missed.",
                RagStatus.OFF_TRACK: "No contact for three weeks; new concerns reported.",
            }[rag],
            created_at=submitted_at,
            submitted_at=submitted_at,
        )
    )
