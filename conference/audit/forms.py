"""Filters of the audit trail."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, StringField
from wtforms.validators import Length, Optional

from conference.forms import optional_int, strip


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search that changes nothing

    actor = SelectField(_l("Who"), coerce=optional_int, validators=[Optional()])
    action = SelectField(_l("What"), validators=[Optional()])
    reference = StringField(_l("Case reference"), filters=[strip], validators=[Length(max=32)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("Until"), validators=[Optional()])
