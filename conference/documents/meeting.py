"""The documents of a meeting, as files: what the download routes and `flask documents` share."""

from collections.abc import Callable
from datetime import datetime

import sqlalchemy as sa
from flask import render_template
from sqlalchemy.orm import joinedload, selectinload

from conference.actions import queries as action_queries
from conference.actions.models import Action, ProgressReport
from conference.actions.rules import OPEN_STATUSES
from conference.auth.models import Agency
from conference.cases.models import Case
from conference.directory.models import ServiceReferral, ServiceReferralStep
from conference.documents.calendar import meeting_invite
from conference.documents.pdf import html_to_pdf
from conference.documents.projection import (
    AgendaDocument,
    PackDocument,
    PackFacts,
    agenda_document,
    meeting_header,
    pack_document,
)
from conference.extensions import db
from conference.formatting import to_zone
from conference.languages import written_in
from conference.meetings import queries
from conference.meetings.models import AgendaItem, Meeting, Recommendation, RecommendationOutcome
from conference.panels.models import AgencyTier


def document_name(meeting: Meeting, kind: str, extension: str) -> str:
    """A file name with the panel code and date only: never anything about a person."""
    day = to_zone(meeting.starts_at, meeting.panel.timezone).date()
    return f"{meeting.panel.code}-{day.isoformat()}-{kind}.{extension}"


def agenda_for(
    meeting: Meeting, *, may_see: Callable[[Case], bool], now: datetime
) -> AgendaDocument:
    """The agenda's projection for a reader who may see the cases `may_see` accepts."""
    return agenda_document(
        meeting,
        queries.agenda_items(meeting),
        queries.open_actions_from(queries.previous_meeting(meeting)),
        queries.agenda_changes(meeting),
        reports_submitted=action_queries.reports_submitted_on(meeting),
        report_due_on=action_queries.report_due(meeting),
        may_see=may_see,
        today=to_zone(now, meeting.panel.timezone).date(),
    )


def agenda_html(
    meeting: Meeting,
    *,
    may_see: Callable[[Case], bool],
    now: datetime,
    locale: str | None = None,
) -> str:
    """The agenda's HTML for a reader, in the panel's language unless another is asked for:
    what its PDF is rendered from (and what the cache keys it by)."""
    with written_in(locale or meeting.panel.locale):
        return render_template(
            "documents/agenda.html", document=agenda_for(meeting, may_see=may_see, now=now)
        )


def agenda_pdf(
    meeting: Meeting,
    *,
    may_see: Callable[[Case], bool],
    now: datetime,
    locale: str | None = None,
) -> bytes:
    """The agenda as a PDF, rendered here and now (the command line)."""
    return html_to_pdf(agenda_html(meeting, may_see=may_see, now=now, locale=locale))


def _pack_facts(case_ids: list[int]) -> PackFacts:
    """The latest report, open actions, last decision and referrals of the cases, in five
    queries whatever their number."""
    reports: dict[int, ProgressReport] = {}
    for report in db.session.scalars(
        sa.select(ProgressReport)
        .where(ProgressReport.case_id.in_(case_ids), ProgressReport.submitted_at.is_not(None))
        .order_by(ProgressReport.submitted_at, ProgressReport.id)
    ):
        reports[report.case_id] = report  # the latest wins
    actions: dict[int, list[Action]] = {}
    for action in db.session.scalars(
        sa.select(Action)
        .where(Action.case_id.in_(case_ids), Action.status.in_(OPEN_STATUSES))
        .options(joinedload(Action.owner_agency))
        .order_by(Action.due_on, Action.id)
    ):
        actions.setdefault(action.case_id, []).append(action)
    decisions: dict[int, Recommendation] = {}
    for decision in db.session.scalars(
        sa.select(Recommendation)
        .where(
            Recommendation.case_id.in_(case_ids),
            Recommendation.outcome != RecommendationOutcome.PENDING,
        )
        .options(selectinload(Recommendation.item).joinedload(AgendaItem.meeting))
        .order_by(Recommendation.decided_at, Recommendation.created_at, Recommendation.id)
    ):
        decisions[decision.case_id] = decision
    referrals: dict[int, list[ServiceReferral]] = {}
    for referral in db.session.scalars(
        sa.select(ServiceReferral)
        .where(ServiceReferral.case_id.in_(case_ids))
        .options(joinedload(ServiceReferral.service))
        .order_by(ServiceReferral.created_at, ServiceReferral.id)
    ):
        referrals.setdefault(referral.case_id, []).append(referral)
    since = dict(
        db.session.execute(
            sa.select(ServiceReferralStep.referral_id, sa.func.max(ServiceReferralStep.at))
            .join(ServiceReferral, ServiceReferral.id == ServiceReferralStep.referral_id)
            .where(ServiceReferral.case_id.in_(case_ids))
            .group_by(ServiceReferralStep.referral_id)
        ).all()
    )
    return PackFacts(
        reports=reports,
        actions=actions,
        decisions=decisions,
        referrals=referrals,
        referral_since=since,
    )


def pack_for(
    meeting: Meeting, *, may_see: Callable[[Case], bool], now: datetime, reader_agency: str = ""
) -> PackDocument:
    """The meeting pack's projection for a reader who may see the cases `may_see` accepts."""
    agenda = agenda_for(meeting, may_see=may_see, now=now)
    items = queries.agenda_items(meeting)
    case_ids = [
        i.case.id for i in items if i.case is not None and i.removed_at is None and may_see(i.case)
    ]
    return pack_document(
        agenda,
        items,
        _pack_facts(case_ids),
        may_see=may_see,
        reader_agency=reader_agency,
        today=to_zone(now, meeting.panel.timezone).date(),
    )


def pack_html(
    meeting: Meeting,
    *,
    may_see: Callable[[Case], bool],
    now: datetime,
    reader_agency: str = "",
    locale: str | None = None,
) -> str:
    """The meeting pack's HTML for a reader, in the panel's language unless another is asked
    for."""
    with written_in(locale or meeting.panel.locale):
        return render_template(
            "documents/pack.html",
            document=pack_for(meeting, may_see=may_see, now=now, reader_agency=reader_agency),
        )


def pack_pdf(
    meeting: Meeting,
    *,
    may_see: Callable[[Case], bool],
    now: datetime,
    reader_agency: str = "",
    locale: str | None = None,
) -> bytes:
    """The meeting pack as a PDF, rendered here and now (the command line)."""
    return html_to_pdf(
        pack_html(meeting, may_see=may_see, now=now, reader_agency=reader_agency, locale=locale)
    )


def partner_agencies(meeting: Meeting) -> list[Agency]:
    """The panel's partners and advisers, each of which gets a pack of its own shared cases."""
    return sorted(
        (
            pa.agency
            for pa in meeting.panel.agency_tiers
            if pa.tier in (AgencyTier.PARTNER, AgencyTier.ADVISER)
        ),
        key=lambda a: a.code,
    )


def shared_with(agency: Agency) -> Callable[[Case], bool]:
    """The cases one partner agency may see: shared with it, or coordinated by one of its
    people."""

    def may_see(case: Case) -> bool:
        coordinated = case.coordinator is not None and case.coordinator.agency_id == agency.id
        return coordinated or any(
            s.agency_id == agency.id and s.revoked_at is None for s in case.shares
        )

    return may_see


def invite_ics(
    meeting: Meeting, *, link: str, domain: str, now: datetime, locale: str | None = None
) -> bytes:
    """The calendar invitation, in the panel's language unless another is asked for."""
    with written_in(locale or meeting.panel.locale):
        return meeting_invite(meeting_header(meeting), link=link, domain=domain, now=now)


def everyone(case: Case) -> bool:
    """The panel's full view, for the secretary's printed set."""
    return True
