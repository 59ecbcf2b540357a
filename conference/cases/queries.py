"""Read queries for cases, always through the policy's scoped filter."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from conference.actions.models import Action, ProgressReport
from conference.auth.models import Agency, User
from conference.auth.permissions import case_visibility
from conference.cases.models import (
    Case,
    CaseNote,
    CaseShare,
    CaseStatus,
    CaseStatusChange,
    ConcernCategory,
    ConsentRecord,
    CoordinatorAssignment,
    RiskLevel,
)
from conference.cases.rules import ACTIVE_STATUSES
from conference.directory.models import Service, ServiceReferral, ServiceReferralStep
from conference.extensions import db
from conference.formatting import long_date
from conference.labels import label
from conference.meetings.models import AgendaItem, Recommendation


@dataclass(frozen=True)
class CaseFilters:
    q: str = ""
    status: CaseStatus | None = None
    risk: RiskLevel | None = None
    category: ConcernCategory | None = None
    coordinator_id: int | None = None
    review_due: bool = False


def visible_cases(user: User) -> sa.Select[Case]:
    """A select of the cases the user may see, newest referral first."""
    return (
        sa.select(Case)
        .where(case_visibility(user))
        .order_by(Case.referred_at.desc(), Case.id.desc())
        # Not the model's joined loads: they made the database join every visible case before
        # taking a page of them. One query each for the page's panels, agencies, coordinators.
        .options(
            selectinload(Case.panel), selectinload(Case.lead_agency), selectinload(Case.coordinator)
        )
    )


def filtered_cases(user: User, filters: CaseFilters, today: date) -> sa.Select[Case]:
    """The visible cases narrowed by the list's search and filters."""
    query = visible_cases(user)
    if filters.q:
        escaped = filters.q.upper().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Case.reference.like(f"%{escaped}%", escape="\\"))
    if filters.status is not None:
        query = query.where(Case.status == filters.status)
    if filters.risk is not None:
        query = query.where(Case.risk_level == filters.risk)
    if filters.category is not None:
        query = query.where(Case.concern_category == filters.category)
    if filters.coordinator_id is not None:
        query = query.where(Case.coordinator_id == filters.coordinator_id)
    if filters.review_due:
        query = query.where(Case.next_review_on <= today, Case.status.in_(ACTIVE_STATUSES))
    return query


def coordinator_choices(user: User) -> list[tuple[int, str]]:
    """The people coordinating cases the user may see, for the list's filter."""
    rows = db.session.execute(
        sa.select(User.id, User.name, Agency.code)
        .join(Agency, Agency.id == User.agency_id)
        # One look in the coordinator index per person, not a pass over every case.
        .where(
            sa.select(Case.id).where(Case.coordinator_id == User.id, case_visibility(user)).exists()
        )
        .order_by(User.name)
    ).all()
    return [(uid, f"{name} ({code})") for uid, name, code in rows]


def coordinated(user: User) -> sa.Select[Case]:
    """The active cases the user coordinates, next review first, as a query to page through."""
    return (
        sa.select(Case)
        .where(
            case_visibility(user),
            Case.coordinator_id == user.id,
            Case.status.in_(ACTIVE_STATUSES),
        )
        # Cases without a review date last: the order of ix_case_file_coordinator_review, so
        # that a coordinator of thousands of cases has the first page read from the index.
        .order_by(Case.next_review_on.asc().nulls_last(), Case.reference)
    )


def case_by_reference(reference: str) -> Case | None:
    """The case with this reference, whoever may see it; callers check access."""
    return db.session.scalar(
        sa.select(Case).where(Case.reference == reference).options(selectinload(Case.shares))
    )


def decisions_for(case: Case) -> Sequence[Recommendation]:
    """The case's recommendations with their meeting, newest first."""
    return db.session.scalars(
        sa.select(Recommendation)
        .where(Recommendation.case_id == case.id)
        .options(
            selectinload(Recommendation.item).joinedload(AgendaItem.meeting),
            # The items are all this case's: it is in the session already, no query for it.
            selectinload(Recommendation.item).lazyload(AgendaItem.case),
        )
        .order_by(Recommendation.created_at.desc())
    ).all()


def actions_for(case: Case) -> Sequence[Action]:
    """The case's actions, open ones by due date first."""
    return db.session.scalars(
        sa.select(Action)
        .where(Action.case_id == case.id)
        .order_by(Action.completed_at.is_not(None), Action.due_on)
    ).all()


def notes_for(case: Case) -> Sequence[CaseNote]:
    return db.session.scalars(
        sa.select(CaseNote).where(CaseNote.case_id == case.id).order_by(CaseNote.created_at.desc())
    ).all()


def consent_records_for(case: Case) -> Sequence[ConsentRecord]:
    return db.session.scalars(
        sa.select(ConsentRecord)
        .where(ConsentRecord.case_id == case.id)
        .order_by(ConsentRecord.recorded_at.desc(), ConsentRecord.id.desc())
    ).all()


def shares_for(case: Case) -> Sequence[CaseShare]:
    return db.session.scalars(
        sa.select(CaseShare)
        .where(CaseShare.case_id == case.id)
        .options(selectinload(CaseShare.agency))
        .order_by(CaseShare.shared_at.desc())
    ).all()


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str  # status, coordinator, decision, action, referral
    title: str
    detail: str = ""


def timeline_for(case: Case) -> list[TimelineEntry]:
    """Status changes, coordinators, decisions and actions of a case, newest first."""
    entries: list[TimelineEntry] = []
    for change in db.session.scalars(
        sa.select(CaseStatusChange).where(CaseStatusChange.case_id == case.id)
    ):
        title = _("Status: %(status)s", status=label(change.to_status))
        entries.append(TimelineEntry(change.changed_at, "status", title, change.reason))
    for assignment in db.session.scalars(
        sa.select(CoordinatorAssignment)
        .where(CoordinatorAssignment.case_id == case.id)
        .options(
            selectinload(CoordinatorAssignment.user), selectinload(CoordinatorAssignment.agency)
        )
    ):
        title = _(
            "Coordinator: %(name)s (%(agency)s)",
            name=assignment.user.name,
            agency=assignment.agency.name,
        )
        entries.append(
            TimelineEntry(
                assignment.started_at,
                "coordinator",
                title,
                assignment.override_reason or assignment.reason,
            )
        )
    for rec in db.session.scalars(
        sa.select(Recommendation).where(Recommendation.case_id == case.id)
    ):
        title = _("Decision: %(outcome)s", outcome=label(rec.outcome))
        entries.append(TimelineEntry(rec.decided_at or rec.created_at, "decision", title, rec.text))
    for action in db.session.scalars(sa.select(Action).where(Action.case_id == case.id)):
        title = _("Action agreed (%(status)s now)", status=label(action.status))
        entries.append(TimelineEntry(action.created_at, "action", title, action.text))
    for step, service_name in db.session.execute(
        sa.select(ServiceReferralStep, Service.name)
        .join(ServiceReferral, ServiceReferral.id == ServiceReferralStep.referral_id)
        .join(Service, Service.id == ServiceReferral.service_id)
        .where(ServiceReferral.case_id == case.id)
    ):
        title = _(
            "Referral to %(service)s: %(status)s",
            service=service_name,
            status=label(step.to_status).lower(),
        )
        detail = _("on %(date)s", date=long_date(step.happened_on)) if step.happened_on else ""
        entries.append(TimelineEntry(step.at, "referral", title, detail))
    return sorted(entries, key=lambda e: e.at, reverse=True)


def latest_report(case: Case) -> ProgressReport | None:
    """The coordinator's most recent submitted progress report on the case."""
    return db.session.scalar(
        sa.select(ProgressReport)
        .where(ProgressReport.case_id == case.id, ProgressReport.submitted_at.is_not(None))
        .order_by(ProgressReport.submitted_at.desc(), ProgressReport.id.desc())
        .limit(1)
    )
