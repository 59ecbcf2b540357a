"""The statistics of a panel, and their exports: the CSV and the annual report.

Reading the page records nothing; every export is audited, with the period and the threshold it
was suppressed with. None commits: the entry point does, once.
"""

import csv
import io
from datetime import datetime

from flask_babel import gettext as _

from conference.audit.services import record_event
from conference.auth import permissions
from conference.auth.models import User
from conference.documents.pdf import render_pdf
from conference.errors import ForbiddenError
from conference.panels.models import Panel
from conference.statistics import charts, queries
from conference.statistics.report import (
    CSV_HEADER,
    StatisticsView,
    csv_rows,
    report_document,
    statistics_view,
)
from conference.statistics.rules import Period, spreadsheet_safe, year_period


def _check(panel: Panel, actor: User) -> None:
    if not permissions.can_view_statistics(actor, panel.id):
        raise ForbiddenError(_("You may not read this panel's statistics."))


def statistics_for(panel: Panel, period: Period, *, actor: User, now: datetime) -> StatisticsView:
    """The panel's figures for the period, each marked as it would leave the panel."""
    _check(panel, actor)
    figures = queries.gather(panel, period, now)
    return statistics_view(
        figures,
        panel_name=panel.name,
        panel_code=panel.code,
        threshold=panel.suppression_threshold,
    )


def _audit(
    panel: Panel, what: str, period: Period, *, actor: User, now: datetime, ip: str | None
) -> None:
    record_event(
        f"statistics.{what}_exported",
        actor=actor,
        now=now,
        object_type="panel",
        object_id=panel.id,
        panel_id=panel.id,
        ip=ip,
        detail={"period": period.label, "threshold": panel.suppression_threshold},
    )


def export_csv(
    panel: Panel, period: Period, *, actor: User, now: datetime, ip: str | None = None
) -> str:
    """The figures as CSV (measure, period, group, count), small numbers suppressed; audited."""
    view = statistics_for(panel, period, actor=actor, now=now)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in csv_rows(view):
        writer.writerow([spreadsheet_safe(field) for field in row])
    _audit(panel, "csv", period, actor=actor, now=now, ip=ip)
    return buffer.getvalue()


def export_report(
    panel: Panel, year: int, *, actor: User, now: datetime, ip: str | None = None
) -> bytes:
    """The annual report as PDF: the charts, the tables and a note on the method, small numbers
    suppressed; audited."""
    period = year_period(year)
    view = statistics_for(panel, period, actor=actor, now=now)
    drawn = {key: charts.inline_svg(svg, key) for key, svg in charts.render_charts(view).items()}
    document = report_document(view, drawn)
    pdf = render_pdf("documents/statistics_report.html", document=document)
    _audit(panel, "report", period, actor=actor, now=now, ip=ip)
    return pdf
