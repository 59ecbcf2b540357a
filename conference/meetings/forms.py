"""Meeting forms: input shape only; the rules live in rules.py and services.py."""

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    URL,
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
)
from wtforms.widgets import HiddenInput

from conference.actions.models import ActionStatus
from conference.actions.rules import check_due_date
from conference.cases.models import RiskLevel
from conference.forms import DateRule, enum_choices, enum_or_none, no_choice, optional_int, strip
from conference.meetings.models import (
    AttendanceStatus,
    AttendeeRole,
    InvitationReply,
    ItemOutcome,
    RecommendationKind,
    Stance,
)
from conference.meetings.rules import check_meeting_day
from conference.submissions import SubmitOnce


class MeetingForm(SubmitOnce, FlaskForm):
    panel_id = SelectField(_l("Panel"), coerce=int, validators=[InputRequired()])
    day = DateField(_l("Date"), validators=[InputRequired(), DateRule(check_meeting_day)])
    starts = TimeField(_l("Starts at"), validators=[InputRequired()])
    ends = TimeField(_l("Ends at"), validators=[InputRequired()])
    place = StringField(_l("Place"), filters=[strip], validators=[Length(max=200)])
    video_link = StringField(
        _l("Video link"),
        filters=[strip],
        validators=[Optional(), URL(require_tld=False), Length(max=500)],
    )
    chair_id = SelectField(_l("Chair"), coerce=optional_int, validators=[Optional()])
    secretary_id = SelectField(_l("Secretary"), coerce=optional_int, validators=[Optional()])
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])


class SeriesForm(SubmitOnce, FlaskForm):
    panel_id = SelectField(_l("Panel"), coerce=int, validators=[InputRequired()])
    first_on = DateField(
        _l("First meeting on or after"), validators=[InputRequired(), DateRule(check_meeting_day)]
    )
    count = IntegerField(
        _l("Number of meetings"), validators=[InputRequired(), NumberRange(min=1, max=26)]
    )


class AddCaseForm(SubmitOnce, FlaskForm):
    reference = StringField(
        _l("Case reference"), filters=[strip], validators=[DataRequired(), Length(max=32)]
    )
    minutes = IntegerField(
        _lp("duration", "Minutes"),
        default=10,
        validators=[InputRequired(), NumberRange(min=1, max=240)],
    )
    note = StringField(_l("Why (optional)"), filters=[strip], validators=[Length(max=200)])


class AddGeneralForm(SubmitOnce, FlaskForm):
    title = StringField(_l("Title"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    minutes = IntegerField(
        _lp("duration", "Minutes"),
        default=10,
        validators=[InputRequired(), NumberRange(min=1, max=240)],
    )


class RemoveItemForm(FlaskForm):
    reason = TextAreaField(
        _l("Why it comes off"), filters=[strip], validators=[DataRequired(), Length(max=500)]
    )


class MoveForm(FlaskForm):
    direction = StringField(
        _l("Direction"), validators=[Optional(), Length(max=4), AnyOf(["up", "down"])]
    )
    position = IntegerField(
        _l("Move to place"), validators=[Optional(), NumberRange(min=1, max=10_000)]
    )


class RetimeForm(FlaskForm):
    minutes = IntegerField(
        _lp("duration", "Minutes"), validators=[InputRequired(), NumberRange(min=1, max=240)]
    )


class PresenceForm(FlaskForm):
    status = SelectField(
        _l("Attendance"), choices=enum_choices(AttendanceStatus), coerce=AttendanceStatus
    )
    role = SelectField(_l("Role"), choices=enum_choices(AttendeeRole), coerce=AttendeeRole)
    arrived = TimeField(_l("Arrived at"), validators=[Optional()])
    left = TimeField(_l("Left at"), validators=[Optional()])
    acknowledged = BooleanField(_l("Accepts the confidentiality statement"))


class ItemForm(FlaskForm):
    facts = StringField(
        _l("Agreed facts, in one line"), filters=[strip], validators=[Length(max=300)]
    )
    assessed_risk = SelectField(
        _l("Risk level after discussion"),
        choices=[no_choice(_l("Not assessed")), *enum_choices(RiskLevel)],
        coerce=enum_or_none(RiskLevel),
        validators=[Optional()],
    )
    assessment = TextAreaField(
        _l("Assessment (and why the risk level changes, if it does)"),
        filters=[strip],
        validators=[Length(max=1000)],
    )
    outcome = SelectField(
        _l("Outcome"),
        choices=[no_choice(_l("Not yet")), *enum_choices(ItemOutcome)],
        coerce=enum_or_none(ItemOutcome),
        validators=[Optional()],
    )
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])


class RecommendationForm(SubmitOnce, FlaskForm):
    kind = SelectField(
        _l("Kind"), choices=enum_choices(RecommendationKind), coerce=RecommendationKind
    )
    text = TextAreaField(
        _l("The recommendation, as the minutes should read"),
        filters=[strip],
        validators=[DataRequired(), Length(max=500)],
    )
    hide_positions = BooleanField(_l("Hide positions until every agency has given its own"))


class PositionForm(FlaskForm):
    speaker_id = SelectField(
        _l("Speaking for their agency"), coerce=int, validators=[InputRequired()]
    )
    stance = SelectField(_l("Position"), choices=enum_choices(Stance), coerce=Stance)
    reason = StringField(
        _l("Reason (required for an objection)"), filters=[strip], validators=[Length(max=500)]
    )


class OwnPositionForm(FlaskForm):
    """A member gives their own agency's position from the live page."""

    stance = RadioField(_l("Your agency's position"), choices=enum_choices(Stance), coerce=Stance)
    reason = StringField(
        _l("Reason (needed for a reservation or an objection)"),
        filters=[strip],
        validators=[Length(max=500)],
    )


class ReplyForm(FlaskForm):
    reply = RadioField(
        _l("Will you be there?"), choices=enum_choices(InvitationReply), coerce=InvitationReply
    )
    # Checked by the service, which says whom one may send.
    deputy_id = SelectField(
        _l("Your deputy, from your agency"),
        coerce=optional_int,
        validators=[Optional()],
        validate_choice=False,
    )


class CoordinatorForm(FlaskForm):
    user_id = SelectField(_l("Coordinator"), coerce=int, validators=[InputRequired()])
    reason = StringField(_l("Why this person"), filters=[strip], validators=[Length(max=300)])
    override_reason = StringField(
        _l("If a crime is suspected and the coordinator is not from the police: why"),
        filters=[strip],
        validators=[Length(max=300)],
    )


class NewActionForm(SubmitOnce, FlaskForm):
    recommendation_id = SelectField(_l("For the recommendation"), coerce=int)
    text = StringField(_l("Action"), filters=[strip], validators=[DataRequired(), Length(max=500)])
    owner_id = SelectField(_l("Owner"), coerce=int, validators=[InputRequired()])
    due_on = DateField(_l("Due on"), validators=[InputRequired(), DateRule(check_due_date)])


class ReviewForm(FlaskForm):
    outcome = SelectField(
        _l("Verdict"),
        choices=[
            SelectChoice(ActionStatus.DONE.value, _l("Done")),
            SelectChoice(ActionStatus.OPEN.value, _l("Still open: new due date")),
            SelectChoice(
                ActionStatus.NOT_POSSIBLE.value, _l("Not possible: circumstances changed")
            ),
            SelectChoice(ActionStatus.NOT_DONE.value, _l("Not done")),
        ],
        coerce=ActionStatus,
    )
    new_due_on = DateField(_l("New due date"), validators=[Optional(), DateRule(check_due_date)])
    note = StringField(_l("Note"), filters=[strip], validators=[Length(max=300)])


class ConflictForm(FlaskForm):
    user_id = SelectField(_l("Who declares a conflict of interest"), coerce=int)
