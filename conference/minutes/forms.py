"""Minutes forms: input shape only."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from conference.forms import enum_choices, optional_int, strip
from conference.minutes.models import CommentAnswer
from conference.submissions import SubmitOnce


class SignForm(FlaskForm):
    password = PasswordField(
        _l("Your password, to confirm it is you signing"),
        validators=[DataRequired(), Length(max=256)],
    )
    code = StringField(
        _l("The code from your authenticator app, if you use one"),
        filters=[strip],
        validators=[Length(max=20)],
    )
    despite_comments = BooleanField(_l("I have read the open comments and sign regardless"))


class AmendForm(FlaskForm):
    reason = TextAreaField(
        _l("What is corrected, and why"),
        filters=[strip],
        validators=[DataRequired(), Length(max=1000)],
    )


class CorrectItemForm(FlaskForm):
    facts = StringField(_l("Facts"), filters=[strip], validators=[Length(max=300)])
    assessment = TextAreaField(_l("Assessment"), filters=[strip], validators=[Length(max=1000)])


class CommentForm(SubmitOnce, FlaskForm):
    item_number = SelectField(
        _l("On"), coerce=optional_int, validators=[Optional()], validate_choice=False
    )
    body = TextAreaField(
        _l("Your comment"), filters=[strip], validators=[DataRequired(), Length(max=2000)]
    )


class AnswerForm(FlaskForm):
    answer = SelectField(_l("Answer"), choices=enum_choices(CommentAnswer), coerce=CommentAnswer)
    text = TextAreaField(
        _l("What changed, or why not"),
        filters=[strip],
        validators=[DataRequired(), Length(max=1000)],
    )
    facts = StringField(_l("Facts, as corrected"), filters=[strip], validators=[Length(max=300)])
    assessment = TextAreaField(
        _l("Assessment, as corrected"), filters=[strip], validators=[Length(max=1000)]
    )
