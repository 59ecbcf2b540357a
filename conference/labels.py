"""Human labels for enumeration values, marked for translation."""

import enum

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_babel.speaklater import LazyString

from conference.actions.models import ActionStatus, RagStatus
from conference.actions.rules import ReportState
from conference.cases.models import (
    CaseStatus,
    ConcernCategory,
    ConsentGiver,
    ConsentPurpose,
    ConsentState,
    LegalBasis,
    ReferralSource,
    RiskLevel,
)
from conference.directory.models import ReferralOutcome, ServiceKind, ServiceReferralStatus
from conference.meetings.models import (
    AgendaChangeKind,
    AttendanceStatus,
    AttendeeRole,
    InvitationReply,
    ItemOutcome,
    MeetingStatus,
    RecommendationKind,
    RecommendationOutcome,
    Stance,
)
from conference.meetings.rules import Reason
from conference.minutes.models import CommentAnswer, MinutesStatus, SignatureRole
from conference.notify.models import NotificationKind
from conference.panels.models import AgencyTier, PanelRole

_LABELS: tuple[tuple[enum.Enum, LazyString], ...] = (
    (CaseStatus.REFERRED, _l("Referred")),
    (CaseStatus.OPEN, _l("Open")),
    (CaseStatus.MONITORING, _l("Monitoring")),
    (CaseStatus.CLOSURE_PROPOSED, _l("Closure proposed")),
    (CaseStatus.CLOSED, _l("Closed")),
    (CaseStatus.DECLINED, _l("Declined")),
    (RiskLevel.LOW, _l("Low")),
    (RiskLevel.MEDIUM, _l("Medium")),
    (RiskLevel.HIGH, _l("High")),
    (RiskLevel.CRITICAL, _l("Critical")),
    (ConcernCategory.FAR_RIGHT, _l("Violent radicalisation: far-right")),
    (ConcernCategory.FAR_LEFT, _l("Violent radicalisation: far-left")),
    (ConcernCategory.RELIGIOUS, _l("Violent radicalisation: religiously motivated")),
    (ConcernCategory.SINGLE_ISSUE, _l("Violent radicalisation: single-issue")),
    (ConcernCategory.UNCLEAR, _l("Violent radicalisation: unclear ideology")),
    (ConcernCategory.OTHER_VIOLENCE, _l("Other serious violence")),
    (ReferralSource.FAMILY_FRIENDS, _l("Family or friends")),
    (ReferralSource.SCHOOL, _l("School")),
    (ReferralSource.POLICE, _l("Police")),
    (ReferralSource.SOCIAL_SERVICES, _l("Social services")),
    (ReferralSource.HEALTH, _l("Health care")),
    (ReferralSource.RELIGIOUS_COMMUNITY, _l("Religious community")),
    (ReferralSource.NGO, _l("NGO")),
    (ReferralSource.SELF, _l("Self-referral")),
    (ReferralSource.OTHER, _l("Other")),
    (PanelRole.CHAIR, _l("Chair")),
    (PanelRole.SECRETARY, _l("Secretary")),
    (PanelRole.MEMBER, _l("Member")),
    (PanelRole.PARTNER, _l("Partner")),
    (AgencyTier.CORE, _l("Core agency")),
    (AgencyTier.PARTNER, _l("Partner agency")),
    (AgencyTier.ADVISER, _l("Adviser")),
    (MeetingStatus.PLANNED, _l("Planned")),
    (MeetingStatus.AGENDA_PUBLISHED, _l("Agenda published")),
    (MeetingStatus.IN_PROGRESS, _l("In progress")),
    (MeetingStatus.CLOSED, _l("Closed")),
    (MeetingStatus.MINUTES_SIGNED, _l("Minutes signed")),
    (AttendanceStatus.INVITED, _l("Invited")),
    (InvitationReply.ATTENDING, _l("Attending")),
    (InvitationReply.APOLOGIES, _l("Sends apologies")),
    (InvitationReply.DEPUTY, _l("Sends a deputy")),
    (AttendanceStatus.PRESENT, _l("Present")),
    (AttendanceStatus.APOLOGIES, _l("Apologies")),
    (AttendanceStatus.ABSENT, _l("Absent")),
    (ActionStatus.OPEN, _l("Open")),
    (ActionStatus.IN_PROGRESS, _l("In progress")),
    (ActionStatus.DONE, _l("Done")),
    (ActionStatus.NOT_POSSIBLE, _l("Not possible: circumstances changed")),
    (ActionStatus.NOT_DONE, _l("Not done")),
    (ActionStatus.CANCELLED, _l("Cancelled")),
    (ConsentPurpose.SERVICE_REFERRAL, _l("Referral to a service")),
    (ConsentPurpose.PARTNER_SHARING, _l("Sharing with a partner")),
    (ConsentState.GIVEN, _l("Given")),
    (ConsentState.REFUSED, _l("Refused")),
    (ConsentState.WITHDRAWN, _l("Withdrawn")),
    (ConsentState.NOT_SOUGHT, _l("Not sought")),
    (ConsentGiver.SUBJECT, _l("The person")),
    (ConsentGiver.GUARDIAN, _l("A guardian")),
    (LegalBasis.CONSENT, _l("Consent")),
    (LegalBasis.LEGAL_OBLIGATION, _l("Legal obligation")),
    (LegalBasis.VITAL_INTERESTS, _l("Vital interests")),
    (LegalBasis.PUBLIC_TASK, _l("Public task")),
    (LegalBasis.LAW_ENFORCEMENT, _l("Law enforcement (police, prosecutor)")),
    (ServiceKind.EXIT_PROGRAMME, _l("Exit programme")),
    (ServiceKind.MENTORING, _l("Mentoring")),
    (ServiceKind.MENTAL_HEALTH, _l("Mental health")),
    (ServiceKind.YOUTH_WORK, _l("Youth work")),
    (ServiceKind.FAMILY_COUNSELLING, _l("Family counselling")),
    (ServiceKind.VICTIM_SUPPORT, _l("Victim support")),
    (ServiceKind.RELIGIOUS_SUPPORT, _l("Religious community support")),
    (ServiceKind.OTHER, _l("Other")),
    # A referral to a service, not of a case to the panel: the same English, other words.
    (ServiceReferralStatus.PROPOSED, _lp("referral to a service", "Proposed")),
    (ServiceReferralStatus.CONSENT_SOUGHT, _l("Consent sought")),
    (ServiceReferralStatus.REFERRED, _lp("referral to a service", "Referred")),
    (ServiceReferralStatus.ACCEPTED, _lp("referral to a service", "Accepted")),
    (ServiceReferralStatus.DECLINED, _lp("referral to a service", "Declined")),
    (ServiceReferralStatus.SUPPORT_STARTED, _l("Support started")),
    (ServiceReferralStatus.ENDED, _l("Ended")),
    (ReferralOutcome.COMPLETED, _l("Completed")),
    (ReferralOutcome.DROPPED_OUT, _l("Dropped out")),
    (ReferralOutcome.MOVED, _l("Moved away")),
    (ReferralOutcome.OTHER, _l("Other")),
    (MinutesStatus.DRAFT, _l("Draft")),
    (MinutesStatus.CIRCULATED, _l("Circulated for comments")),
    (MinutesStatus.SIGNED, _l("Signed")),
    (MinutesStatus.ARCHIVED, _l("Signed and archived")),
    (CommentAnswer.TAKEN_IN, _l("Taken in")),
    (CommentAnswer.NOT_TAKEN_IN, _l("Not taken in")),
    (SignatureRole.CHAIR, _l("Chair")),
    (SignatureRole.CO_SIGNER, _l("Co-signed for a core agency")),
    (AttendeeRole.MEMBER, _l("Member")),
    (AttendeeRole.OBSERVER, _l("Observer")),
    (Stance.AGREE, _l("Agree")),
    (Stance.AGREE_WITH_RESERVATION, _l("Agree with a reservation")),
    (Stance.ABSTAIN, _l("Abstain")),
    (Stance.OBJECT, _l("Object")),
    (ItemOutcome.DISCUSSED, _l("Discussed")),
    (ItemOutcome.DEFERRED, _l("Deferred to the next meeting")),
    (ItemOutcome.ESCALATED, _l("Escalated: no consensus, put to the agencies' management")),
    (ItemOutcome.NOT_REACHED, _l("Not reached")),
    (RecommendationKind.SUPPORT_MEASURE, _l("Support measure")),
    (RecommendationKind.SERVICE_REFERRAL, _l("Referral to a service")),
    (RecommendationKind.CRIMINAL_JUSTICE, _l("Criminal-justice measure")),
    (RecommendationKind.CONSULT_EXPERTS, _l("Consult the expert centre")),
    (RecommendationKind.NO_FURTHER_ACTION, _l("No further action")),
    (RecommendationKind.CLOSE_CASE, _l("Close the case")),
    (RecommendationOutcome.PENDING, _l("Pending")),
    (RecommendationOutcome.ADOPTED, _l("Adopted")),
    (RecommendationOutcome.NOT_ADOPTED, _l("Not adopted")),
    (RecommendationOutcome.NO_QUORUM, _l("No decision: no quorum")),
    (Reason.NEW_REFERRAL, _l("New referral")),
    (Reason.OVERDUE_ACTION, _l("Overdue action")),
    (Reason.OFF_TRACK, _l("Latest progress report off track")),
    (Reason.DISCUSSION_REQUESTED, _l("Coordinator asks for discussion")),
    (Reason.DEFERRED, _l("Deferred at the last meeting")),
    (Reason.ESCALATED, _l("Escalated at the last meeting: the answer is due")),
    (Reason.NOT_REACHED, _l("Not reached at the last meeting")),
    (Reason.REVIEW_DUE, _l("Review due")),
    (Reason.NOT_DISCUSSED, _l("Not discussed for longer than the panel's maximum interval")),
    (Reason.CLOSURE_PROPOSED, _l("Closure proposed")),
    (Reason.POST_EXIT_FIRST, _l("First post-exit review")),
    (Reason.POST_EXIT_SECOND, _l("Second post-exit review")),
    (Reason.ADDED, _l("Added by the chair or secretary")),
    (Reason.REFERRAL_UNANSWERED, _l("A service has not answered a referral")),
    (AgendaChangeKind.ADDED, _l("Added")),
    (AgendaChangeKind.REMOVED, _l("Removed")),
    (AgendaChangeKind.MOVED, _l("Moved")),
    (AgendaChangeKind.RETIMED, _l("Time changed")),
    (ReportState.NOT_DUE, _l("Not yet due")),
    (ReportState.SUBMITTED, _l("Submitted")),
    (ReportState.SUBMITTED_LATE, _l("Submitted late")),
    (ReportState.MISSING, _l("Missing")),
    (RagStatus.ON_TRACK, _l("On track")),
    (RagStatus.AT_RISK, _l("At risk")),
    (RagStatus.OFF_TRACK, _l("Off track")),
    (NotificationKind.ACTION_DUE, _l("Action due")),
    (NotificationKind.ACTION_OVERDUE, _l("Action overdue")),
    (NotificationKind.REPORT_REQUESTED, _l("Report requested")),
    (NotificationKind.REPORT_LATE, _l("Report late")),
    (NotificationKind.AGENDA_DRAFT, _l("Draft agenda")),
    (NotificationKind.AGENDA_PUBLISHED, _l("Agenda published")),
    (NotificationKind.COORDINATOR_ASSIGNED, _l("Named coordinator")),
    (NotificationKind.MINUTES_CIRCULATED, _l("Minutes circulated")),
    (NotificationKind.MINUTES_CIRCULATION_DUE, _l("Minutes to circulate")),
    (NotificationKind.WEEKLY_DIGEST, _l("Weekly summary")),
)


# Keyed by (enumeration, value): members of different StrEnums with the same value are equal.
LABELS: dict[tuple[type[enum.Enum], str], LazyString] = {
    (type(member), member.value): text for member, text in _LABELS
}


# Labels already translated, by language: a list page shows hundreds.
_translated: dict[tuple[Locale | None, type[enum.Enum], str], str] = {}


def label(value: enum.Enum | None) -> str:
    """The translated label of an enumeration value."""
    if value is None:
        return ""
    key = (get_locale(), type(value), value.value)
    found = _translated.get(key)
    if found is None:
        found = _translated[key] = str(LABELS.get(key[1:], value.value))
    return found
