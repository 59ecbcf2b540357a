"""factory_boy factories for every model, on the app's session, with a fixed clock."""

from datetime import UTC, date, datetime, timedelta
from functools import cache

import factory
from factory.alchemy import SQLAlchemyModelFactory

from conference import models as m
from conference.actions.models import ActionStatus, RagStatus
from conference.auth.models import AgencyKind
from conference.auth.passwords import hash_password
from conference.cases.models import (
    CaseStatus,
    ConcernCategory,
    ConsentPurpose,
    ConsentState,
    ReferralSource,
    RiskLevel,
)
from conference.cases.services import allocate_reference
from conference.directory.models import ServiceKind, ServiceReferralStatus
from conference.documents.models import RenderStatus
from conference.extensions import db
from conference.meetings.models import AgendaChangeKind, AgendaItemKind, RecommendationKind, Stance
from conference.minutes.models import SignatureRole
from conference.notify.models import NotificationKind
from conference.panels.models import AgencyTier, PanelRole

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
TEST_PASSWORD = "correct horse battery"


@cache
def _test_password_hash() -> str:
    return hash_password(TEST_PASSWORD)


class Base(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "flush"


class AgencyFactory(Base):
    class Meta:
        model = m.Agency

    code = factory.Sequence(lambda n: f"A{n:03d}")
    name = factory.Sequence(lambda n: f"Agency {n}")
    kind = AgencyKind.MUNICIPALITY


class UserFactory(Base):
    class Meta:
        model = m.User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = factory.Sequence(lambda n: f"Test User {n}")
    agency = factory.SubFactory(AgencyFactory)
    password_hash = factory.LazyFunction(_test_password_hash)
    created_at = NOW


class UserSessionFactory(Base):
    class Meta:
        model = m.UserSession

    user = factory.SubFactory(UserFactory)
    token_hash = factory.Sequence(lambda n: f"{n:064x}")
    created_at = NOW
    last_seen_at = NOW
    authenticated_at = NOW


class SignInThrottleFactory(Base):
    class Meta:
        model = m.SignInThrottle

    key = factory.Sequence(lambda n: f"account:{n:064x}")
    failures = 1
    last_failure_at = NOW


class RecoveryCodeFactory(Base):
    class Meta:
        model = m.RecoveryCode

    user = factory.SubFactory(UserFactory)
    code_hash = factory.Sequence(lambda n: f"{n:064x}")


class PanelFactory(Base):
    class Meta:
        model = m.Panel

    code = factory.Sequence(lambda n: f"P{n:02d}")
    name = factory.Sequence(lambda n: f"Panel {n}")
    created_at = NOW


class PanelAgencyFactory(Base):
    class Meta:
        model = m.PanelAgency

    panel = factory.SubFactory(PanelFactory)
    agency = factory.SubFactory(AgencyFactory)
    tier = AgencyTier.CORE


class MembershipFactory(Base):
    class Meta:
        model = m.Membership

    panel = factory.SubFactory(PanelFactory)
    user = factory.SubFactory(UserFactory)
    role = PanelRole.MEMBER
    since = date(2025, 1, 1)


class CaseFactory(Base):
    class Meta:
        model = m.Case

    panel = factory.SubFactory(PanelFactory)
    ref_year = 2026
    reference = None  # allocated by the real counter unless given
    ref_number = None
    status = CaseStatus.OPEN
    concern_category = ConcernCategory.UNCLEAR
    risk_level = RiskLevel.MEDIUM
    referred_at = NOW - timedelta(days=30)
    created_at = factory.LazyAttribute(lambda o: o.referred_at)
    updated_at = factory.LazyAttribute(lambda o: o.referred_at)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        if kwargs.get("reference") is None:
            kwargs["reference"], kwargs["ref_number"] = allocate_reference(
                kwargs["panel"], kwargs["ref_year"]
            )
        return super()._create(model_class, *args, **kwargs)


class ReferenceCounterFactory(Base):
    class Meta:
        model = m.ReferenceCounter

    panel = factory.SubFactory(PanelFactory)
    year = 2026
    last_number = 0

    @classmethod
    def _create(cls, model_class, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs["panel_id"] = kwargs.pop("panel").id
        return super()._create(model_class, *args, **kwargs)


class SubjectFactory(Base):
    class Meta:
        model = m.Subject

    case = factory.SubFactory(CaseFactory)
    full_name = factory.Sequence(lambda n: f"Subject Fictional {n}")
    name_key = factory.LazyAttribute(lambda o: o.full_name.lower())
    date_of_birth = date(2000, 5, 17)


class GuardianFactory(Base):
    class Meta:
        model = m.Guardian

    subject = factory.SubFactory(SubjectFactory)
    name = "Guardian Fictional"
    relationship_to_subject = "parent"


class ReferralFactory(Base):
    class Meta:
        model = m.Referral

    case = factory.SubFactory(CaseFactory)
    source = ReferralSource.SCHOOL
    received_on = TODAY - timedelta(days=31)
    referred_by_id = factory.LazyFunction(lambda: UserFactory().id)
    referring_agency_id = factory.LazyFunction(lambda: AgencyFactory().id)
    narrative = "A fictional concern."
    created_at = NOW


def _user_id_factory() -> factory.LazyFunction:
    return factory.LazyFunction(lambda: UserFactory().id)


class CaseNoteFactory(Base):
    class Meta:
        model = m.CaseNote

    case_id = factory.LazyFunction(lambda: CaseFactory().id)
    author_id = _user_id_factory()
    text = "A fictional note."
    created_at = NOW


class ConsentRecordFactory(Base):
    class Meta:
        model = m.ConsentRecord

    case_id = factory.LazyFunction(lambda: CaseFactory().id)
    purpose = ConsentPurpose.PARTNER_SHARING
    state = ConsentState.GIVEN
    recorded_at = NOW
    recorded_by_id = _user_id_factory()


class CaseShareFactory(Base):
    class Meta:
        model = m.CaseShare

    case = factory.SubFactory(CaseFactory)
    agency = factory.SubFactory(AgencyFactory)
    shared_at = NOW
    shared_by_id = _user_id_factory()


class CaseStatusChangeFactory(Base):
    class Meta:
        model = m.CaseStatusChange

    case_id = factory.LazyFunction(lambda: CaseFactory().id)
    to_status = CaseStatus.OPEN
    from_status = CaseStatus.REFERRED
    changed_at = NOW


class CoordinatorAssignmentFactory(Base):
    class Meta:
        model = m.CoordinatorAssignment

    case_id = factory.LazyFunction(lambda: CaseFactory().id)
    user = factory.SubFactory(UserFactory)
    agency = factory.LazyAttribute(lambda o: o.user.agency)
    started_at = NOW


class MeetingFactory(Base):
    class Meta:
        model = m.Meeting

    panel = factory.SubFactory(PanelFactory)
    starts_at = NOW + timedelta(days=7)
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(hours=2))
    created_at = NOW


class AttendanceFactory(Base):
    class Meta:
        model = m.Attendance

    meeting = factory.SubFactory(MeetingFactory)
    user = factory.SubFactory(UserFactory)
    agency = factory.LazyAttribute(lambda o: o.user.agency)


class AgendaItemFactory(Base):
    class Meta:
        model = m.AgendaItem

    # A meeting of its own for each item made without one (a panel sits once at a time).
    meeting = factory.SubFactory(
        MeetingFactory, starts_at=factory.Sequence(lambda n: NOW + timedelta(days=7, seconds=n))
    )
    kind = AgendaItemKind.CASE
    case = factory.SubFactory(CaseFactory)
    position = factory.Sequence(lambda n: n + 1)


class AgendaChangeFactory(Base):
    class Meta:
        model = m.AgendaChange

    item = factory.SubFactory(AgendaItemFactory)
    meeting = factory.LazyAttribute(lambda o: o.item.meeting)
    kind = AgendaChangeKind.ADDED
    at = NOW
    by_id = _user_id_factory()


class ConflictDeclarationFactory(Base):
    class Meta:
        model = m.ConflictDeclaration

    agenda_item_id = factory.LazyFunction(lambda: AgendaItemFactory().id)
    user_id = _user_id_factory()
    declared_at = NOW
    recorded_by_id = _user_id_factory()


class RecommendationFactory(Base):
    class Meta:
        model = m.Recommendation

    item = factory.SubFactory(AgendaItemFactory)
    case_id = factory.LazyAttribute(lambda o: o.item.case_id)
    kind = RecommendationKind.SUPPORT_MEASURE
    text = "Offer a mentor."
    created_at = NOW
    created_by_id = _user_id_factory()


class PositionFactory(Base):
    class Meta:
        model = m.Position

    recommendation = factory.SubFactory(RecommendationFactory)
    agency = factory.SubFactory(AgencyFactory)
    user_id = _user_id_factory()
    stance = Stance.AGREE
    recorded_at = NOW


class CurrentItemFactory(Base):
    class Meta:
        model = m.CurrentItem

    item = factory.SubFactory(AgendaItemFactory)
    meeting_id = factory.LazyAttribute(lambda o: o.item.meeting_id)
    since = NOW
    set_by_id = _user_id_factory()


class ActionFactory(Base):
    class Meta:
        model = m.Action

    case = factory.SubFactory(CaseFactory)
    text = "Do the agreed thing."
    owner = factory.SubFactory(UserFactory)
    owner_agency = factory.LazyAttribute(lambda o: o.owner.agency)
    due_on = TODAY + timedelta(days=7)
    status = ActionStatus.OPEN
    created_at = NOW
    created_by_id = factory.LazyAttribute(lambda o: o.owner.id)


class ActionUpdateFactory(Base):
    class Meta:
        model = m.ActionUpdate

    action = factory.SubFactory(ActionFactory)
    by_id = factory.LazyAttribute(lambda o: o.action.owner_id)
    at = NOW
    from_status = ActionStatus.OPEN
    to_status = ActionStatus.IN_PROGRESS


class ProgressReportFactory(Base):
    class Meta:
        model = m.ProgressReport

    case = factory.SubFactory(CaseFactory)
    author = factory.SubFactory(UserFactory)
    rag = RagStatus.ON_TRACK
    summary = "Measures running."
    created_at = NOW


class ServiceFactory(Base):
    class Meta:
        model = m.Service

    panel_id = factory.LazyFunction(lambda: PanelFactory().id)
    name = factory.Sequence(lambda n: f"Service {n}")
    provider = "Provider"
    kind = ServiceKind.MENTORING


class ServiceReferralFactory(Base):
    class Meta:
        model = m.ServiceReferral

    case = factory.SubFactory(CaseFactory)
    service = factory.SubFactory(ServiceFactory)
    created_at = NOW
    updated_at = NOW
    created_by_id = _user_id_factory()


class ServiceReferralStepFactory(Base):
    class Meta:
        model = m.ServiceReferralStep

    referral = factory.SubFactory(ServiceReferralFactory)
    to_status = ServiceReferralStatus.PROPOSED
    at = NOW
    by_id = _user_id_factory()


class FormSubmissionFactory(Base):
    class Meta:
        model = m.FormSubmission

    token = factory.Sequence(lambda n: f"{n:032x}")
    user_id = _user_id_factory()
    created_at = NOW


class MinutesVersionFactory(Base):
    class Meta:
        model = m.MinutesVersion

    meeting = factory.SubFactory(MeetingFactory)
    number = 1
    document_id = factory.Faker("uuid4")
    created_at = NOW
    created_by_id = _user_id_factory()


class MinutesSignatureFactory(Base):
    class Meta:
        model = m.MinutesSignature

    version = factory.SubFactory(MinutesVersionFactory)
    user_id = _user_id_factory()
    agency_id = factory.LazyFunction(lambda: AgencyFactory().id)
    role = SignatureRole.CHAIR
    signed_at = NOW


class ArchivedFileFactory(Base):
    class Meta:
        model = m.ArchivedFile

    version = factory.SubFactory(MinutesVersionFactory)
    path = factory.Sequence(lambda n: f"P01/2026/minutes-{n}.pdf")
    sha256 = "0" * 64
    size_bytes = 1024
    created_at = NOW


class MinutesCommentFactory(Base):
    class Meta:
        model = m.MinutesComment

    version = factory.SubFactory(MinutesVersionFactory)
    author_id = _user_id_factory()
    body = "Item 2 should say the school was told."
    created_at = NOW


class AuditEventFactory(Base):
    class Meta:
        model = m.AuditEvent

    at = NOW
    action = "case.viewed"


class NotificationFactory(Base):
    class Meta:
        model = m.Notification

    user_id = _user_id_factory()
    kind = NotificationKind.ACTION_DUE
    title = "Action due"
    created_at = NOW


def core_panel(*, code: str | None = None, core: int = 3, partners: int = 2) -> m.Panel:
    """A panel with `core` core agencies and `partners` partner agencies."""
    panel = PanelFactory(**({"code": code} if code else {}))
    for _ in range(core):
        PanelAgencyFactory(panel=panel, tier=AgencyTier.CORE)
    for _ in range(partners):
        PanelAgencyFactory(panel=panel, tier=AgencyTier.PARTNER)
    return panel


def member(panel: m.Panel, role: PanelRole, agency: m.Agency, **user_fields: object) -> m.User:
    """A user of `agency` with `role` on `panel`."""
    user = UserFactory(agency=agency, **user_fields)
    MembershipFactory(panel=panel, user=user, role=role)
    return user


class JobLeaseFactory(Base):
    class Meta:
        model = m.JobLease

    name = factory.Sequence(lambda n: f"job-{n}")
    holder = "test"
    until = NOW


class ContentVersionFactory(Base):
    """The one row counting committed changes (written by the commits themselves)."""

    class Meta:
        model = m.ContentVersion
        sqlalchemy_get_or_create = ("id",)  # any commit before may have written it

    id = 1
    n = 1


class AuditChainFactory(Base):
    class Meta:
        model = m.AuditChain

    seq = 0
    head = ""


class RenderedDocumentFactory(Base):
    class Meta:
        model = m.RenderedDocument

    key = factory.Sequence(lambda n: f"{n:064x}")
    kind = "agenda"
    meeting = factory.SubFactory(MeetingFactory)
    status = RenderStatus.READY
    body = b"%PDF-1.7"
    created_at = NOW
