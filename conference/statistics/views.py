"""The statistics page of a panel and its two exports, for the chair, the secretary, the core
members and the auditors; everyone else is told the page does not exist."""

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from conference.auth import permissions
from conference.db import utcnow
from conference.extensions import db
from conference.formatting import to_zone
from conference.panels.models import Panel
from conference.statistics import charts, services
from conference.statistics.forms import PeriodForm, ReportForm
from conference.statistics.rules import (
    Period,
    PeriodError,
    quarter_period,
    range_period,
    year_period,
)
from conference.views import client_ip, recent_authentication

bp = Blueprint("statistics", __name__)
PERIOD_ARGUMENTS = ("year", "quarter", "date_from", "date_to")


def _panel(code: str) -> Panel:
    panel = db.session.scalar(sa.select(Panel).where(Panel.code == code))
    if panel is None or not permissions.can_view_statistics(current_user, panel.id):
        abort(404)
    return panel


def _this_year(panel: Panel) -> int:
    return to_zone(utcnow(), panel.timezone).year


def _period(form: PeriodForm, panel: Panel) -> Period:
    """The period the form asks for: from and to, a quarter of a year, or a year (this one when
    nothing is asked)."""
    first, last = form.date_from.data, form.date_to.data
    if first or last:
        if not (first and last):
            raise PeriodError(_("Give both the first and the last day of the period."))
        return range_period(first, last)
    year = form.year.data or _this_year(panel)
    if form.quarter.data:
        return quarter_period(year, int(form.quarter.data))
    return year_period(year)


def _read_period(panel: Panel) -> tuple[PeriodForm, Period | None]:
    form = PeriodForm(formdata=request.args)
    if not form.validate():
        return form, None
    try:
        return form, _period(form, panel)
    except PeriodError as error:
        form.form_errors.append(str(error))
        return form, None


@bp.route("/statistics")
def index() -> Any:
    """The panels whose statistics the person may read; straight there when there is one."""
    if current_user.is_auditor:
        panels = db.session.scalars(sa.select(Panel).order_by(Panel.name)).all()
    else:
        panels = sorted(
            (
                m.panel
                for m in current_user.current_memberships
                if permissions.can_view_statistics(current_user, m.panel_id)
            ),
            key=lambda panel: panel.name,
        )
    if len(panels) == 1:
        return redirect(url_for("statistics.page", code=panels[0].code))
    return render_template("statistics/index.html", panels=panels)


@bp.route("/panels/<code>/statistics")
def page(code: str) -> Any:
    panel = _panel(code)
    form, period = _read_period(panel)
    if period is None:
        return render_template("statistics/page.html", panel=panel, form=form, view=None), 400
    view = services.statistics_for(panel, period, actor=current_user, now=utcnow())
    images = {key: charts.data_uri(svg) for key, svg in charts.render_charts(view).items()}
    return render_template(
        "statistics/page.html",
        panel=panel,
        form=form,
        view=view,
        images=images,
        args={k: v for k, v in request.args.items() if k in PERIOD_ARGUMENTS},
        report_year=period.start.year,
    )


@bp.route("/panels/<code>/statistics.csv")
@recent_authentication()
def csv(code: str) -> Any:
    panel = _panel(code)
    form, period = _read_period(panel)
    if period is None:
        return render_template("statistics/page.html", panel=panel, form=form, view=None), 400
    text = services.export_csv(panel, period, actor=current_user, now=utcnow(), ip=client_ip())
    db.session.commit()
    name = f"{panel.code}-statistics-{period.label.replace('/', '_')}.csv"
    return Response(
        text.encode("utf-8"),
        mimetype="text/csv",
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
        },
    )


@bp.route("/panels/<code>/statistics.pdf")
@recent_authentication()
def report(code: str) -> Any:
    panel = _panel(code)
    form = ReportForm(formdata=request.args)
    if not form.validate():
        page_form = PeriodForm(formdata=request.args)
        page_form.form_errors.extend(form.year.errors)
        return render_template("statistics/page.html", panel=panel, form=page_form, view=None), 400
    year = form.year.data or _this_year(panel)
    pdf = services.export_report(panel, year, actor=current_user, now=utcnow(), ip=client_ip())
    db.session.commit()
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{panel.code}-annual-report-{year}.pdf"'
        },
    )
