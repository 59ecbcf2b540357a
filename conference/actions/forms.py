"""Action update and progress report forms: input shape only."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from conference.actions.models import ActionStatus, RagStatus
from conference.actions.rules import UPDATE_STATUSES, check_due_date
from conference.forms import DateRule, enum_choices, enum_or_none, no_choice, options, strip
from conference.labels import label
from conference.submissions import SubmitOnce


class ActionUpdateForm(FlaskForm):
    status = SelectField(_l("Status"), coerce=ActionStatus)
    note = TextAreaField(
        _l("Note (say what came of it when you close the action)"),
        filters=[strip],
        validators=[Length(max=1000)],
    )
    new_due_on = DateField(_l("New due date"), validators=[Optional(), DateRule(check_due_date)])
    version = IntegerField(widget=HiddenInput(), validators=[InputRequired()])

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.status.choices = options((s.value, label(s)) for s in UPDATE_STATUSES)


class ReportForm(SubmitOnce, FlaskForm):
    # No status is chosen for the coordinator: "on track" by default would be a risky default.
    rag = SelectField(
        _l("How it is going"),
        choices=[no_choice(_l("Choose one")), *enum_choices(RagStatus)],
        coerce=enum_or_none(RagStatus),
        validators=[DataRequired(message=_l("Say how it is going."))],
    )
    summary = TextAreaField(
        _l("Summary, written for the minutes"),
        filters=[strip],
        validators=[DataRequired(), Length(max=1500)],
    )
    closure_proposed = BooleanField(_l("I propose closing the case"))
    discussion_requested = BooleanField(_l("I ask the panel to discuss the case"))
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])
    conflict_message = _l(
        "Someone else saved this report while you were writing. Your text is kept below: "
        "compare, then save again."
    )
