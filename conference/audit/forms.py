"""Filters of the audit trail."""

from typing import Any

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


class SubjectExportForm(FlaskForm):
    """A subject access request names the person by a case reference, or by name and birth date."""

    reference = StringField(_l("Case reference"), filters=[strip], validators=[Length(max=32)])
    full_name = StringField(_l("Full name"), filters=[strip], validators=[Length(max=200)])
    date_of_birth = DateField(_l("Date of birth"), validators=[Optional()])

    def validate(self, extra_validators: Any = None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not self.reference.data and not self.full_name.data:
            self.form_errors.append(str(_l("Give a case reference, or the person's full name.")))
            return False
        return True
