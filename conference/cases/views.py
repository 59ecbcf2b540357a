"""The case list and the case page."""

from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from conference.auth.permissions import can_view_case
from conference.cases.models import Case
from conference.cases.queries import case_by_reference, visible_cases
from conference.extensions import db

bp = Blueprint("cases", __name__, url_prefix="/cases")


def load_visible_case(reference: str) -> Case:
    """The case, or 404 when it does not exist or the user may not know it exists."""
    case = case_by_reference(reference)
    if case is None or not can_view_case(current_user, case):
        abort(404)
    return case


@bp.route("/")
def index() -> Any:
    page = db.paginate(
        visible_cases(current_user),
        page=request.args.get("page", 1, type=int),
        per_page=current_app.config["CASES_PER_PAGE"],
        error_out=False,
    )
    return render_template("cases/index.html", page=page)


@bp.route("/<reference>")
def show(reference: str) -> Any:
    case = load_visible_case(reference)
    return render_template("cases/show.html", case=case)
