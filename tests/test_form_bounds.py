"""Every text field of every form is bounded, and never beyond the column it is written to:
an over-long value is a message beside the field, never a database error."""

import importlib
import inspect
import pkgutil
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from flask import Flask
from wtforms import Field, FieldList, Form, FormField, StringField
from wtforms.validators import Length

import conference
from conference import models as m

# Where each text field ends up: a column, or None when it is never stored as typed (searches,
# passwords, codes). A new text field needs a row here; the test says so.
TARGETS: dict[str, sa.Column[Any] | None] = {
    "ActionUpdateForm.note": m.ActionUpdate.__table__.c.note,
    "ReportForm.summary": m.ProgressReport.__table__.c.summary,
    "AuditFilterForm.reference": None,
    "SubjectExportForm.reference": None,
    "SubjectExportForm.full_name": None,
    "FindPersonForm.full_name": None,  # matched, never stored
    "ReferralUpdateForm.outcome_note": m.ServiceReferral.__table__.c.outcome_note,
    "LoginForm.email": None,
    "LoginForm.password": None,
    "SecondFactorForm.code": None,
    "EnrolForm.code": None,
    "ReauthenticateForm.password": None,
    "ReauthenticateForm.code": None,
    "PasswordChangeForm.current": None,
    "PasswordChangeForm.new": None,
    "PasswordChangeForm.confirm": None,
    "CaseFilterForm.q": None,
    "GuardianForm.name": m.Guardian.__table__.c.name,
    "GuardianForm.relationship": m.Guardian.__table__.c.relationship_to_subject,
    "GuardianForm.contact": m.Guardian.__table__.c.contact,
    "PersonForm.full_name": m.Subject.__table__.c.full_name,
    "PersonForm.address": m.Subject.__table__.c.address,
    "PersonForm.languages": m.Subject.__table__.c.languages,
    "IntakeForm.narrative": m.Referral.__table__.c.narrative,
    "IntakeForm.duplicate_reason": m.Referral.__table__.c.duplicate_override_reason,
    "StatusForm.reason": m.CaseStatusChange.__table__.c.reason,
    "NoteForm.text": m.CaseNote.__table__.c.text,
    "ConsentForm.guardian_name": m.ConsentRecord.__table__.c.guardian_name,
    "ConsentForm.note": m.ConsentRecord.__table__.c.note,
    "ServiceForm.name": m.Service.__table__.c.name,
    "ServiceForm.provider": m.Service.__table__.c.provider,
    "ServiceForm.languages": m.Service.__table__.c.languages,
    "ServiceForm.contact": m.Service.__table__.c.contact,
    "MeetingForm.place": m.Meeting.__table__.c.place,
    "MeetingForm.video_link": m.Meeting.__table__.c.video_link,
    "AddCaseForm.reference": None,
    "AddCaseForm.note": m.AgendaItem.__table__.c.title,
    "AddGeneralForm.title": m.AgendaItem.__table__.c.title,
    "RemoveItemForm.reason": m.AgendaItem.__table__.c.removed_reason,
    "ItemForm.facts": m.AgendaItem.__table__.c.facts,
    "ItemForm.assessment": m.AgendaItem.__table__.c.assessment,
    "RecommendationForm.text": m.Recommendation.__table__.c.text,
    "PositionForm.reason": m.Position.__table__.c.reason,
    "CoordinatorForm.reason": m.CoordinatorAssignment.__table__.c.reason,
    "CoordinatorForm.override_reason": m.CoordinatorAssignment.__table__.c.override_reason,
    "NewActionForm.text": m.Action.__table__.c.text,
    "ReviewForm.note": m.ActionUpdate.__table__.c.note,
    "SignForm.password": None,
    "SignForm.code": None,
    "SubmitOnce.once": m.FormSubmission.__table__.c.token,
    "MoveForm.direction": None,
    "AmendForm.reason": m.MinutesVersion.__table__.c.amendment_reason,
    "CorrectItemForm.facts": None,  # into the draft's content (JSON), bounded like ItemForm's
    "CorrectItemForm.assessment": None,
    "PanelSettingsForm.default_place": m.Panel.__table__.c.default_place,
    "PanelSettingsForm.confidentiality_statement": m.Panel.__table__.c.confidentiality_statement,
    "OwnPositionForm.reason": m.Position.__table__.c.reason,
    "CommentForm.body": m.MinutesComment.__table__.c.body,
    "AnswerForm.text": m.MinutesComment.__table__.c.answer_text,
    "AnswerForm.facts": None,  # into the draft's content (JSON), bounded like ItemForm's
    "AnswerForm.assessment": None,
}


def all_forms() -> Iterator[type[Form]]:
    for module_info in pkgutil.iter_modules(conference.__path__):
        try:
            module = importlib.import_module(f"conference.{module_info.name}.forms")
        except ModuleNotFoundError:
            continue
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Form) and cls.__module__ == module.__name__:
                yield cls


def text_fields(form: Form) -> Iterator[tuple[str, Field]]:
    """Every text field, the fields of sub-forms in lists included, by the form declaring it."""
    for field in form:
        if isinstance(field, FieldList):
            for entry in field.entries[:1]:
                if isinstance(entry, FormField):
                    sub = type(entry.form).__name__
                    yield from ((f"{sub}.{f.short_name}", f) for f in entry.form)
        elif isinstance(field, StringField):
            owner = next(
                c.__name__
                for c in type(form).__mro__
                if field.short_name in getattr(c, "__dict__", {})
            )
            yield f"{owner}.{field.short_name}", field


def test_every_text_field_is_bounded_by_its_column(app: Flask) -> None:
    seen: set[str] = set()
    problems: list[str] = []
    with app.test_request_context():
        for cls in all_forms():
            form = cls(meta={"csrf": False})
            for name, field in text_fields(form):
                seen.add(name)
                most = [v.max for v in field.validators if isinstance(v, Length) and v.max > 0]
                if not most:
                    problems.append(f"{name}: no maximum length")
                    continue
                if name not in TARGETS:
                    problems.append(f"{name}: say in TARGETS where it is stored")
                    continue
                column = TARGETS[name]
                length = getattr(column.type, "length", None) if column is not None else None
                if length is not None and min(most) > length:
                    problems.append(f"{name}: up to {min(most)} for a column of {length}")
    assert not problems, "\n".join(problems)
    assert set(TARGETS) - seen == set(), "rows for fields that no longer exist"
