"""Sign-in form."""

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional

from conference.forms import strip


class LoginForm(FlaskForm):
    email = EmailField(
        _l("E-mail address"),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)],
    )
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])


CODE_OR_RECOVERY = _l("Code from your authenticator app, or a recovery code")


def _code_field(required: Any, label: Any = CODE_OR_RECOVERY) -> StringField:
    return StringField(label, filters=[strip], validators=[required, Length(max=20)])


class SecondFactorForm(FlaskForm):
    code = _code_field(DataRequired())


class EnrolForm(FlaskForm):
    code = _code_field(DataRequired(), _l("The six-digit code the app shows"))


class ReauthenticateForm(FlaskForm):
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    code = _code_field(Optional())


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=256)])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            Length(max=256),
            EqualTo("new", message=_l("The two new passwords differ.")),
        ],
    )
