"""Service directory and referral forms: input shape only."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from conference.cases.models import LegalBasis
from conference.directory.models import ReferralOutcome, ServiceKind, ServiceReferralStatus
from conference.forms import enum_choices, enum_or_none, no_choice, optional_int, strip


class ServiceForm(FlaskForm):
    panel_id = SelectField(_l("Panel"), coerce=int, validators=[InputRequired()])
    name = StringField(_l("Name"), filters=[strip], validators=[DataRequired(), Length(max=160)])
    provider = StringField(
        _l("Provider"), filters=[strip], validators=[DataRequired(), Length(max=160)]
    )
    kind = SelectField(_l("Kind"), choices=enum_choices(ServiceKind), coerce=ServiceKind)
    min_age = IntegerField(_l("From age"), validators=[Optional(), NumberRange(min=0, max=120)])
    max_age = IntegerField(_l("To age"), validators=[Optional(), NumberRange(min=0, max=120)])
    languages = StringField(_l("Languages"), filters=[strip], validators=[Length(max=200)])
    contact = StringField(_l("Contact"), filters=[strip], validators=[Length(max=300)])
    active = BooleanField(_l("Takes referrals"), default=True)


class ReferralForm(FlaskForm):
    service_id = SelectField(_l("Service"), coerce=int, validators=[InputRequired()])
    recommendation_id = SelectField(
        _l("Following the recommendation"), coerce=optional_int, validators=[Optional()]
    )
    guided = BooleanField(_l("Guided: the referrer makes the appointment or goes along"))


class ReferralStepForm(FlaskForm):
    status = SelectField(
        _l("New status"), choices=enum_choices(ServiceReferralStatus), coerce=ServiceReferralStatus
    )
    legal_basis = SelectField(
        _l("Legal basis, when not the person's consent"),
        choices=[no_choice(_l("Consent")), *enum_choices(LegalBasis)],
        coerce=enum_or_none(LegalBasis),
        validators=[Optional()],
    )
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class ReferralUpdateForm(ReferralStepForm):
    """The coordinator's update between meetings: the step, the day it happened, how it ended."""

    happened_on = DateField(_l("Day it happened"), validators=[Optional()])
    outcome = SelectField(
        _l("How it ended"),
        choices=[no_choice(_l("Not ended")), *enum_choices(ReferralOutcome)],
        coerce=enum_or_none(ReferralOutcome),
        validators=[Optional()],
    )
    outcome_note = TextAreaField(
        _l("Note on how it ended (restricted: never in a document)"),
        filters=[strip],
        validators=[Length(max=2000)],
    )
