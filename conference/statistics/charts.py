"""Charts of the statistics as SVG, drawn on the server with matplotlib.

A chart is drawn from the counts as they leave the panel: a small or hidden count is not drawn,
only labelled ("<5", "x"), so the same SVG serves the page and the report. The page shows it as
an image (a data: URI, which the Content-Security-Policy allows for images; matplotlib's inline
styles stay inside the image); the report has it inline, where WeasyPrint draws it.
"""

import base64
import io
import re
from typing import Any

from conference.statistics.report import ShownTable, StatisticsView

WIDTH = 7.0  # inches
PALETTE = ("#3b6ea5", "#e08a1e", "#5a9e4b", "#b23a48", "#7b5ea7", "#8c6d31", "#4d4d4d")
COLOURS = {
    # RAG and risk in the colours the app uses for them.
    "on_track": "#2e7d32",
    "at_risk": "#e0a800",
    "off_track": "#c62828",
    "low": "#2e7d32",
    "medium": "#b07400",
    "high": "#c62828",
    "critical": "#4a0000",
    "present": "#2e7d32",
    "apologies": "#e0a800",
    "absent": "#c62828",
    "invited": "#9e9e9e",
}
LABEL_LENGTH = 38
_PROLOGUE = re.compile(r"\A<\?xml[^>]*>\s*<!DOCTYPE[^>]*>\s*", re.DOTALL)
_REFERENCE = re.compile(r'(\bid="|url\(#|href="#)([^")]+)')
_STYLE = re.compile(r'\bstyle="([^"]*)"')
_STYLESHEET = re.compile(r"<style[^>]*>.*?</style>", re.DOTALL)


def _short(text: str) -> str:
    return text if len(text) <= LABEL_LENGTH else text[: LABEL_LENGTH - 1] + "…"


def _drawn(cell: Any) -> int:
    """What a bar may show: a count that leaves the panel, or nothing."""
    return cell.count if cell.mark is None else 0


def _figure(rows: int, horizontal: bool) -> Any:
    # matplotlib loads on the first chart, not with the app (it takes most of a second).
    from matplotlib.figure import Figure

    height = max(2.2, 0.9 + 0.32 * rows) if horizontal else 2.8
    figure = Figure(figsize=(WIDTH, height))
    # Fixed margins, not a layout engine: laying out takes a second drawing pass. Room on the
    # left for the groups' names, on the right for a legend, below for turned month labels.
    figure.subplots_adjust(
        left=0.3 if horizontal else 0.08,
        right=0.8,
        top=1 - 0.25 / height,
        bottom=(0.5 if horizontal else 0.75) / height,
    )
    axes = figure.add_subplot()
    axes.spines[["top", "right"]].set_visible(False)
    return figure, axes


def _one_way(table: ShownTable) -> Any:
    rows = [row for row in table.rows if not row.total]
    horizontal = not table.by_month
    figure, axes = _figure(len(rows), horizontal)
    names = [_short(row.label) for row in rows]
    values = [_drawn(row.cells[0]) for row in rows]
    texts = [row.cells[0].text for row in rows]
    if horizontal:
        bars = axes.barh(names[::-1], values[::-1], color=PALETTE[0])
        axes.bar_label(bars, labels=texts[::-1], padding=3, fontsize=8)
    else:
        bars = axes.bar(names, values, color=PALETTE[0])
        axes.bar_label(bars, labels=texts, padding=2, fontsize=8)
    _scale(axes, values, horizontal, len(rows))
    return figure


def _scale(axes: Any, heights: list[int], horizontal: bool, rows: int) -> None:
    """Counts from zero in whole numbers, with room for the labels; dense months turned."""
    top = max([*heights, 1]) * 1.18
    if horizontal:
        axes.set_xlim(0, top)
        axes.xaxis.get_major_locator().set_params(integer=True)
    else:
        axes.set_ylim(0, top)
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.tick_params(axis="x", labelrotation=45 if rows > 6 else 0, labelsize=8)


def _two_way(table: ShownTable) -> Any:
    rows = [row for row in table.rows if not row.total]
    horizontal = not table.by_month
    figure, axes = _figure(len(rows), horizontal)
    names = [_short(row.label) for row in rows]
    if horizontal:
        names = names[::-1]
    columns = list(zip(table.column_keys[:-1], table.columns[:-1], strict=True))
    base = [0] * len(rows)
    for n, (key, name) in enumerate(columns):
        values = [_drawn(row.cells[n]) for row in rows]
        if horizontal:
            values = values[::-1]
        colour = COLOURS.get(key, PALETTE[n % len(PALETTE)])
        if horizontal:
            axes.barh(names, values, left=base, color=colour, label=name)
        else:
            axes.bar(names, values, bottom=base, color=colour, label=name)
        base = [b + v for b, v in zip(base, values, strict=True)]
    totals = [row.cells[-1].text for row in rows]
    if horizontal:
        totals = totals[::-1]
    for position, (height, text) in enumerate(zip(base, totals, strict=True)):
        if horizontal:
            axes.annotate(
                text,
                (height, position),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
            )
        else:
            axes.annotate(
                text,
                (position, height),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
    _scale(axes, base, horizontal, len(rows))
    axes.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1))
    return figure


def chart_svg(table: ShownTable) -> str:
    """The table's chart as an SVG document, or "" when there is nothing to draw."""
    if not table.charted or not [row for row in table.rows if not row.total]:
        return ""
    import matplotlib

    settings: dict[str, Any] = {
        "svg.fonttype": "none",  # text stays text: smaller, and readable in the PDF
        "svg.hashsalt": table.key,  # the same chart comes out the same
        "text.parse_math": False,  # an agency named with $ signs is not a formula
        "font.family": "DejaVu Sans",
        "font.size": 8,
    }
    with matplotlib.rc_context(settings):  # type: ignore[arg-type]
        figure = _two_way(table) if table.two_way else _one_way(table)
        buffer = io.StringIO()
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def render_charts(view: StatisticsView) -> dict[str, str]:
    """Every chart of the page, by table key."""
    charts = {}
    for section in view.sections:
        for table in section.tables:
            svg = chart_svg(table)
            if svg:
                charts[table.key] = svg
    return charts


def data_uri(svg: str) -> str:
    """The SVG as an image address for the page."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


def inline_svg(svg: str, prefix: str) -> str:
    """The SVG as an element to place in an HTML document beside other charts: no XML
    prologue, its ids prefixed so that they stay unique in the document, and its styles as
    presentation attributes (fill="..."), which WeasyPrint reads without taking them for the
    HTML page's own CSS."""
    body = _STYLESHEET.sub("", _PROLOGUE.sub("", svg))
    body = _REFERENCE.sub(lambda m: f"{m.group(1)}{prefix}-{m.group(2)}", body)
    return _STYLE.sub(_attributes, body)


def _attributes(match: re.Match[str]) -> str:
    declarations = (part.split(":", 1) for part in match.group(1).split(";") if ":" in part)
    return " ".join(f'{name.strip()}="{value.strip()}"' for name, value in declarations)
