"""Minutes forms: input shape only."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from conference.forms import strip


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


class AmendForm(FlaskForm):
    reason = TextAreaField(
        _l("What is corrected, and why"),
        filters=[strip],
        validators=[DataRequired(), Length(max=1000)],
    )


class CorrectItemForm(FlaskForm):
    facts = StringField(_l("Facts"), filters=[strip], validators=[Length(max=300)])
    assessment = TextAreaField(_l("Assessment"), filters=[strip], validators=[Length(max=1000)])
