"""The period a statistics page or export is about: input shape only (sent as query arguments)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from conference.forms import no_choice, options

QUARTERS = [
    no_choice(_l("The whole year")),
    *options((str(n), _l("Q%(number)d", number=n)) for n in (1, 2, 3, 4)),
]


class PeriodForm(FlaskForm):
    """A year, a quarter of it, or a range of days from and to."""

    class Meta:
        csrf = False  # a GET form: it reads, it changes nothing

    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(min=2000, max=2100)])
    quarter = SelectField(_l("Quarter"), choices=QUARTERS, validators=[Optional()])
    date_from = DateField(_l("From"), validators=[Optional()])
    date_to = DateField(_l("To"), validators=[Optional()])


class ReportForm(FlaskForm):
    """The year of an annual report."""

    class Meta:
        csrf = False

    year = IntegerField(_l("Year"), validators=[Optional(), NumberRange(min=2000, max=2100)])
