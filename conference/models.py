"""Imports every area's models so that the metadata is complete (migrations, tests)."""

from conference.actions.models import Action, ActionUpdate, ProgressReport
from conference.audit.models import AuditChain, AuditEvent
from conference.auth.models import Agency, RecoveryCode, SignInThrottle, User, UserSession
from conference.cases.models import (
    Case,
    CaseNote,
    CaseShare,
    CaseStatusChange,
    ConsentRecord,
    CoordinatorAssignment,
    Guardian,
    ReferenceCounter,
    Referral,
    Subject,
)
from conference.directory.models import Service, ServiceReferral, ServiceReferralStep
from conference.documents.models import RenderedDocument
from conference.meetings.models import (
    AgendaChange,
    AgendaItem,
    Attendance,
    ConflictDeclaration,
    CurrentItem,
    Meeting,
    Position,
    Recommendation,
)
from conference.minutes.models import (
    ArchivedFile,
    MinutesComment,
    MinutesSignature,
    MinutesVersion,
)
from conference.notify.models import JobLease, Notification
from conference.pagecache import ContentVersion
from conference.panels.models import Membership, Panel, PanelAgency
from conference.submissions import FormSubmission

__all__ = [
    "Action",
    "ActionUpdate",
    "Agency",
    "AgendaChange",
    "AgendaItem",
    "ArchivedFile",
    "Attendance",
    "AuditChain",
    "AuditEvent",
    "Case",
    "CaseNote",
    "CaseShare",
    "CaseStatusChange",
    "ConflictDeclaration",
    "ConsentRecord",
    "ContentVersion",
    "CoordinatorAssignment",
    "CurrentItem",
    "FormSubmission",
    "Guardian",
    "JobLease",
    "Meeting",
    "Membership",
    "MinutesComment",
    "MinutesSignature",
    "MinutesVersion",
    "Notification",
    "Panel",
    "PanelAgency",
    "Position",
    "ProgressReport",
    "Recommendation",
    "RecoveryCode",
    "ReferenceCounter",
    "Referral",
    "RenderedDocument",
    "Service",
    "ServiceReferral",
    "ServiceReferralStep",
    "SignInThrottle",
    "Subject",
    "User",
    "UserSession",
]
