"""Panel settings form: input shape only."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange

from conference.forms import options, strip
from conference.languages import LANGUAGES

WEEKDAYS = options(
    enumerate(
        (
            _l("Monday"),
            _l("Tuesday"),
            _l("Wednesday"),
            _l("Thursday"),
            _l("Friday"),
            _l("Saturday"),
            _l("Sunday"),
        )
    )
)


def _minutes(label: str, most: int = 120) -> IntegerField:
    return IntegerField(label, validators=[InputRequired(), NumberRange(min=1, max=most)])


class PanelSettingsForm(FlaskForm):
    cadence_weekday = SelectField(_l("Meets on"), choices=WEEKDAYS, coerce=int)
    cadence_every_weeks = IntegerField(
        _l("Every how many weeks"), validators=[InputRequired(), NumberRange(min=1, max=12)]
    )
    cadence_start = TimeField(_l("From"), validators=[InputRequired()])
    cadence_end = TimeField(_l("Until"), validators=[InputRequired()])
    default_place = StringField(_l("Usual place"), filters=[strip], validators=[Length(max=200)])
    locale = SelectField(
        _l("Language of the agenda, the minutes and the invitations"),
        choices=options(LANGUAGES.items()),
    )
    max_discussion_interval_days = _minutes(
        _l("Discuss every open case at least every (days)"), 365
    )
    post_exit_review_first_months = _minutes(_l("First post-exit review after (months)"), 36)
    post_exit_review_second_months = _minutes(_l("Second post-exit review after (months)"), 60)
    minors_first = BooleanField(_l("Cases of minors first on the agenda"))
    report_due_days = IntegerField(
        _l("Progress reports due (days before the meeting)"),
        validators=[InputRequired(), NumberRange(min=0, max=30)],
    )
    referral_answer_days = IntegerField(
        _l("A service answers a referral within (days)"),
        validators=[InputRequired(), NumberRange(min=1, max=120)],
    )
    minutes_new_referral = _minutes(_l("Minutes for a new referral"))
    minutes_review = _minutes(_l("Minutes for a review"))
    minutes_closure = _minutes(_l("Minutes for a closure or post-exit review"))
    suppression_threshold = IntegerField(
        _l("Smallest count that may leave the panel"),
        validators=[InputRequired(), NumberRange(min=3, max=50)],
    )
    confidentiality_statement = TextAreaField(
        _l("Confidentiality statement"),
        filters=[strip],
        validators=[DataRequired(), Length(max=2000)],
    )
