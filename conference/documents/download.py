"""What a download route answers for a rendered document: the file when it is ready, else a page
that says it is being prepared (and refreshes itself), that it is ready, or that it failed."""

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, render_template, request, url_for

from conference.db import utcnow
from conference.documents import cache
from conference.documents.models import RenderStatus
from conference.extensions import db

REFRESH_SECONDS = 3


def pdf_response(body: bytes, filename: str) -> Response:
    """The PDF as an attachment, under a name that says nothing about a person."""
    return Response(
        body,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def deliver(
    *,
    kind: str,
    meeting_id: int,
    html: str,
    filename: str,
    title: str,
    audit: Callable[[], None],
) -> Any:
    """Serve the document rendered from `html` (calling `audit` first, as every download is),
    or start its render and say so. The route has checked the reader's permission and built
    the reader's own HTML; `?wait=1` is the page's refresh, `?retry=1` asks again after a
    failure. Commits."""
    waiting = request.args.get("wait") == "1"
    now = utcnow()
    found = cache.lookup(kind, meeting_id, html, now=now, retry=request.args.get("retry") == "1")
    db.session.commit()
    if found.start:
        cache.start(found.key, html)
        if current_app.config.get("DOCUMENT_RENDERER") == "inline":
            found = cache.lookup(kind, meeting_id, html, now=now)
    args = dict(request.view_args or {})
    here = url_for(str(request.endpoint), **args)
    if found.status == RenderStatus.READY and found.body is not None and not waiting:
        audit()
        db.session.commit()
        return pdf_response(found.body, filename)
    page = render_template(
        "downloads/status.html",
        status=found.status.value,
        title=title,
        filename=filename,
        download_url=here,
        wait_url=url_for(str(request.endpoint), wait="1", **args),
        retry_url=url_for(str(request.endpoint), retry="1", **args),
        refresh_seconds=REFRESH_SECONDS,
    )
    return page, 202 if found.status == RenderStatus.PENDING else 200
