"""Meeting forms: input shape only; the rules live in rules.py and services.py."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import URL, DataRequired, InputRequired, Length, NumberRange, Optional
from wtforms.widgets import HiddenInput

from conference.forms import optional_int, strip


class MeetingForm(FlaskForm):
    panel_id = SelectField(_l("Panel"), coerce=int, validators=[InputRequired()])
    day = DateField(_l("Date"), validators=[InputRequired()])
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


class SeriesForm(FlaskForm):
    panel_id = SelectField(_l("Panel"), coerce=int, validators=[InputRequired()])
    first_on = DateField(_l("First meeting on or after"), validators=[InputRequired()])
    count = IntegerField(
        _l("Number of meetings"), validators=[InputRequired(), NumberRange(min=1, max=26)]
    )


class AddCaseForm(FlaskForm):
    reference = StringField(
        _l("Case reference"), filters=[strip], validators=[DataRequired(), Length(max=32)]
    )
    minutes = IntegerField(
        _l("Minutes"), default=10, validators=[InputRequired(), NumberRange(min=1, max=240)]
    )
    note = StringField(_l("Why (optional)"), filters=[strip], validators=[Length(max=200)])


class AddGeneralForm(FlaskForm):
    title = StringField(_l("Title"), filters=[strip], validators=[DataRequired(), Length(max=200)])
    minutes = IntegerField(
        _l("Minutes"), default=10, validators=[InputRequired(), NumberRange(min=1, max=240)]
    )


class RemoveItemForm(FlaskForm):
    reason = TextAreaField(
        _l("Why it comes off"), filters=[strip], validators=[DataRequired(), Length(max=500)]
    )


class RetimeForm(FlaskForm):
    minutes = IntegerField(_l("Minutes"), validators=[InputRequired(), NumberRange(min=1, max=240)])
