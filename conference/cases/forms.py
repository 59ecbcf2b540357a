"""Case register forms: input shape only; the rules live in rules.py and services.py."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from conference.cases import rules
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
from conference.forms import DateRule, enum_choices, enum_or_none, no_choice, optional_int, strip
from conference.submissions import SubmitOnce


class GuardianForm(Form):
    name = StringField(_l("Name"), filters=[strip], validators=[Optional(), Length(max=200)])
    relationship = StringField(
        _l("Relationship"), filters=[strip], validators=[Optional(), Length(max=60)]
    )
    contact = StringField(_l("Contact"), filters=[strip], validators=[Optional(), Length(max=200)])


class PersonForm(FlaskForm):
    """The subject's restricted personal data."""

    full_name = StringField(
        _l("Full name"), filters=[strip], validators=[DataRequired(), Length(max=200)]
    )
    date_of_birth = DateField(
        _l("Date of birth"), validators=[Optional(), DateRule(rules.check_date_of_birth)]
    )
    address = TextAreaField(_l("Address"), filters=[strip], validators=[Length(max=500)])
    languages = StringField(_l("Languages spoken"), filters=[strip], validators=[Length(max=200)])
    guardians = FieldList(FormField(GuardianForm), min_entries=2, max_entries=2)


class IntakeForm(SubmitOnce, PersonForm):
    panel_id = SelectField(_l("Panel"), coerce=int, validators=[InputRequired()])
    # Nothing is chosen for the referrer where a default would be a guess: the source, the
    # concern and above all the risk level must be chosen.
    source = SelectField(
        _l("Where the concern came from"),
        choices=[no_choice(_l("Choose one")), *enum_choices(ReferralSource)],
        coerce=enum_or_none(ReferralSource),
        validators=[DataRequired(message=_l("Say where the concern came from."))],
    )
    received_on = DateField(
        _l("Date the concern was received"),
        validators=[InputRequired(), DateRule(rules.check_received_on)],
    )
    concern_category = SelectField(
        _l("Concern"),
        choices=[no_choice(_l("Choose one")), *enum_choices(ConcernCategory)],
        coerce=enum_or_none(ConcernCategory),
        validators=[DataRequired(message=_l("Choose the kind of concern."))],
    )
    risk_level = SelectField(
        _l("Risk level"),
        choices=[no_choice(_l("Choose one")), *enum_choices(RiskLevel)],
        coerce=enum_or_none(RiskLevel),
        validators=[DataRequired(message=_l("Assess the risk level."))],
    )
    crime_suspected = BooleanField(_l("A crime is suspected"))
    narrative = TextAreaField(
        _l("The concern as described"),
        filters=[strip],
        validators=[DataRequired(), Length(max=5000)],
    )
    duplicate_reason = TextAreaField(
        _l("Why a new case is needed"), filters=[strip], validators=[Length(max=1000)]
    )


class CaseEditForm(FlaskForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    concern_category = SelectField(
        _l("Concern"), choices=enum_choices(ConcernCategory), coerce=ConcernCategory
    )
    risk_level = SelectField(_l("Risk level"), choices=enum_choices(RiskLevel), coerce=RiskLevel)
    crime_suspected = BooleanField(_l("A crime is suspected"))
    next_review_on = DateField(_l("Next review"), validators=[Optional()])
    lead_agency_id = SelectField(_l("Lead agency"), coerce=optional_int, validators=[Optional()])


class SubjectEditForm(PersonForm):
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class StatusForm(FlaskForm):
    status = SelectField(_l("New status"), coerce=CaseStatus)
    recommendation_id = SelectField(
        _l("Panel decision it rests on"), coerce=optional_int, validators=[Optional()]
    )
    reason = TextAreaField(
        _l("Reason"), filters=[strip], validators=[DataRequired(), Length(max=1000)]
    )


class NoteForm(FlaskForm):
    text = TextAreaField(_l("Note"), filters=[strip], validators=[DataRequired(), Length(max=5000)])


class ConsentForm(FlaskForm):
    purpose = SelectField(
        _l("Purpose"), choices=enum_choices(ConsentPurpose), coerce=ConsentPurpose
    )
    partner_agency_id = SelectField(
        _l("Partner (for sharing)"), coerce=optional_int, validators=[Optional()]
    )
    state = SelectField(_l("Consent"), choices=enum_choices(ConsentState), coerce=ConsentState)
    given_by = SelectField(
        _l("Decided by"),
        choices=[no_choice(_l("Not applicable")), *enum_choices(ConsentGiver)],
        coerce=enum_or_none(ConsentGiver),
        validators=[Optional()],
    )
    guardian_name = StringField(
        _l("Guardian's name"), filters=[strip], validators=[Length(max=200)]
    )
    legal_basis = SelectField(
        _l("Legal basis when consent is not the basis"),
        choices=[no_choice(_l("None")), *enum_choices(LegalBasis)],
        coerce=enum_or_none(LegalBasis),
        validators=[Optional()],
    )
    note = TextAreaField(_l("Note"), filters=[strip], validators=[Length(max=1000)])


class ShareForm(FlaskForm):
    agency_id = SelectField(_l("Partner"), coerce=int, validators=[InputRequired()])
    legal_basis = SelectField(
        _l("Basis"),
        choices=enum_choices(LegalBasis),
        coerce=LegalBasis,
    )


class CaseFilterForm(FlaskForm):
    """The case list's search and filters (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    q = StringField(_l("Reference"), filters=[strip], validators=[Length(max=32)])
    status = SelectField(
        _l("Status"),
        choices=[no_choice(_l("Any")), *enum_choices(CaseStatus)],
        coerce=enum_or_none(CaseStatus),
        validators=[Optional()],
    )
    risk = SelectField(
        _l("Risk"),
        choices=[no_choice(_l("Any")), *enum_choices(RiskLevel)],
        coerce=enum_or_none(RiskLevel),
        validators=[Optional()],
    )
    category = SelectField(
        _l("Concern"),
        choices=[no_choice(_l("Any")), *enum_choices(ConcernCategory)],
        coerce=enum_or_none(ConcernCategory),
        validators=[Optional()],
    )
    coordinator = SelectField(_l("Coordinator"), coerce=optional_int, validators=[Optional()])
    review_due = BooleanField(_l("Review due"))


class FindPersonForm(FlaskForm):
    """A name (and a date of birth) to look up: sent by POST only, never in a URL."""

    full_name = StringField(
        _l("Full name"), filters=[strip], validators=[DataRequired(), Length(max=200)]
    )
    date_of_birth = DateField(_l("Date of birth (if known)"), validators=[Optional()])
