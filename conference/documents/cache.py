"""Rendered documents: each exact content rendered once, kept in the database, and rendered
where it cannot hold a web worker.

A download route builds its reader's HTML (the need-to-know projection through the template,
in the document's language) and asks `lookup()`. The key is the SHA-256 of that HTML with the
document kind and the renderer's fingerprint (WeasyPrint's version, the documents' style
sheets): everything that makes two copies differ, the cases the reader may see, an extract's
agency, the signatures and the language, is in the HTML, so two readers share a rendered PDF
only when their copies are identical. A ready document is answered at once; otherwise the first
asker inserts a pending row (the unique key makes concurrent askers share it) and, after its
commit, `start()` hands the HTML to the renderer:

- "process" (the default): a pool of processes of its own (`DOCUMENT_RENDER_PROCESSES` per web
  process, spawned, not forked, at a lower CPU priority) renders with nothing but WeasyPrint;
  this process stores the result when it is done, so neither the GIL nor the CPU the web
  workers need is held by the render;
- "inline": at once in the request (after its commit), for the end-to-end tests;
- "deferred": nothing until `render_pending()` is called (the tests, the benchmark).

A render lost with its process (a restarted worker) stays pending: after `STALE_AFTER` it shows
as failed and the reader may ask again. Each meeting keeps its newest `KEEP_PER_MEETING`
documents of a kind; the `documents-prune` job drops any older than `KEEP_DAYS`.
"""

import functools
import hashlib
import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
import weasyprint
from flask import Flask, current_app
from sqlalchemy.engine import CursorResult

from conference.db import utcnow
from conference.documents.models import RenderedDocument, RenderStatus
from conference.documents.pdf import pdf_from_html
from conference.extensions import db
from conference.observability import metrics

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(minutes=10)  # far longer than any render takes
KEEP_PER_MEETING = 30  # of each kind: the variants for each reader's visibility and language
KEEP_DAYS = 30
RENDERERS = ("process", "inline", "deferred")
# The render processes yield the CPU to the web workers: a page waits for no PDF, even on a
# machine with as many workers as cores (bench/web.py, web_cheap_p95_during_pdfs).
RENDER_NICENESS = 10

# Renders this process has stored (the tests count them; the metrics count them as well).
renders = 0

_pool: ProcessPoolExecutor | None = None
_pool_pid = 0


@dataclass(frozen=True)
class Lookup:
    key: str
    status: RenderStatus  # a pending render that has gone stale is reported FAILED
    body: bytes | None = None
    start: bool = False  # this request claimed the render: `start()` it after the commit


@functools.cache
def _fingerprint(static_folder: str) -> str:
    """WeasyPrint's version and the style sheets' content: a new deployment that changes how
    documents look does not serve the old renders."""
    digest = hashlib.sha256(weasyprint.__version__.encode())
    for path in sorted(Path(static_folder, "css").glob("*.css")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def document_key(kind: str, html: str) -> str:
    """The cache key of one document's exact content."""
    digest = hashlib.sha256(kind.encode() + b"\0")
    digest.update(_fingerprint(str(current_app.static_folder)).encode() + b"\0")
    digest.update(html.encode())
    return digest.hexdigest()


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


def lookup(kind: str, meeting_id: int, html: str, *, now: datetime, retry: bool = False) -> Lookup:
    """The rendered document for this HTML if it is ready; otherwise claim its render (first
    asker only) or report it pending or failed. A failed (or stale) one is claimed again when
    the reader asks to `retry`. Flushes; the caller commits, then `start()`s a claimed one."""
    key = document_key(kind, html)
    row = db.session.execute(
        sa.select(RenderedDocument.id, RenderedDocument.status, RenderedDocument.created_at).where(
            RenderedDocument.key == key
        )
    ).first()
    if row is None:
        insert = (
            sa.dialects.postgresql.insert
            if db.session.get_bind().dialect.name == "postgresql"
            else sa.dialects.sqlite.insert
        )
        inserted = _rowcount(
            db.session.execute(
                insert(RenderedDocument)
                .values(
                    key=key,
                    kind=kind,
                    meeting_id=meeting_id,
                    status=RenderStatus.PENDING,
                    html=html,
                    error="",
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["key"])
            )
        )
        if inserted:
            _prune(meeting_id, kind)
        return Lookup(key, RenderStatus.PENDING, start=bool(inserted))
    if row.status == RenderStatus.READY:
        body = db.session.scalar(
            sa.select(RenderedDocument.body).where(RenderedDocument.id == row.id)
        )
        return Lookup(key, RenderStatus.READY, body=body)
    stale = row.status == RenderStatus.PENDING and row.created_at < now - STALE_AFTER
    if row.status == RenderStatus.PENDING and not stale:
        return Lookup(key, RenderStatus.PENDING)
    if not retry:
        return Lookup(key, RenderStatus.FAILED)
    claimed = _rowcount(
        db.session.execute(
            sa.update(RenderedDocument)
            .where(
                RenderedDocument.id == row.id,
                sa.or_(
                    RenderedDocument.status == RenderStatus.FAILED,
                    sa.and_(
                        RenderedDocument.status == RenderStatus.PENDING,
                        RenderedDocument.created_at < now - STALE_AFTER,
                    ),
                ),
            )
            .values(status=RenderStatus.PENDING, html=html, error="", created_at=now)
        )
    )
    return Lookup(key, RenderStatus.PENDING, start=bool(claimed))


def _prune(meeting_id: int, kind: str) -> None:
    """Keep the meeting's newest documents of a kind."""
    old = (
        sa.select(RenderedDocument.id)
        .where(RenderedDocument.meeting_id == meeting_id, RenderedDocument.kind == kind)
        .order_by(RenderedDocument.id.desc())
        .offset(KEEP_PER_MEETING)
    )
    ids = list(db.session.scalars(old))
    if ids:
        db.session.execute(sa.delete(RenderedDocument).where(RenderedDocument.id.in_(ids)))


def start(key: str, html: str) -> None:
    """Have a claimed document rendered, as the app's `DOCUMENT_RENDERER` says; call it after
    the commit that wrote the claim."""
    mode = current_app.config.get("DOCUMENT_RENDERER", "process")
    if mode == "inline":
        render_pending(key)
    elif mode == "process":
        app = cast(Any, current_app)._get_current_object()
        future = _executor().submit(pdf_from_html, html, str(current_app.static_folder))
        future.add_done_callback(functools.partial(_finished, app, key))


def _executor() -> ProcessPoolExecutor:
    """This process's render pool, made on first use (after gunicorn's fork) and again when a
    render process died."""
    global _pool, _pool_pid
    broken = _pool is not None and getattr(_pool, "_broken", False)
    if _pool is None or _pool_pid != os.getpid() or broken:
        _pool = ProcessPoolExecutor(
            max_workers=int(current_app.config.get("DOCUMENT_RENDER_PROCESSES", 1)),
            mp_context=multiprocessing.get_context("spawn"),
            initializer=os.nice,
            initargs=(RENDER_NICENESS,),
        )
        _pool_pid = os.getpid()
    return _pool


def shutdown() -> None:
    """Stop this process's render pool (tests; a worker's exit does it by itself)."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True)
        _pool = None


def _finished(app: Flask, key: str, future: "Future[bytes]") -> None:
    """Store what a render process made (or that it failed), in an app context of its own."""
    with app.app_context():
        try:
            body = future.result()
        except Exception as error:  # any failure of the render is reported to the reader
            log.exception("rendering document %s failed", key[:12])
            _store(key, None, type(error).__name__)
        else:
            metrics.DOCUMENTS_RENDERED.inc()
            _store(key, body, "")


def _store(key: str, body: bytes | None, error: str) -> None:
    global renders
    now = utcnow()
    values: dict[str, Any] = (
        {"status": RenderStatus.READY, "body": body, "html": None, "rendered_at": now}
        if body is not None
        else {"status": RenderStatus.FAILED, "error": error[:200], "rendered_at": now}
    )
    db.session.execute(
        sa.update(RenderedDocument)
        .where(RenderedDocument.key == key, RenderedDocument.status == RenderStatus.PENDING)
        .values(**values)
    )
    db.session.commit()
    if body is not None:
        renders += 1


def render_pending(key: str | None = None, *, render: Callable[[str], bytes] | None = None) -> int:
    """Render in this process every pending document (or the one with `key`); commits each.
    Returns how many were rendered."""
    query = sa.select(RenderedDocument.key, RenderedDocument.html).where(
        RenderedDocument.status == RenderStatus.PENDING
    )
    if key is not None:
        query = query.where(RenderedDocument.key == key)
    rows = db.session.execute(query.order_by(RenderedDocument.id)).all()
    done = 0
    for row_key, html in rows:
        try:
            if render is not None:
                body = render(html or "")
            else:
                with metrics.document_render():
                    body = pdf_from_html(html or "", str(current_app.static_folder))
        except Exception as error:  # reported to the reader, who may try again
            log.exception("rendering document %s failed", row_key[:12])
            db.session.rollback()
            _store(row_key, None, type(error).__name__)
        else:
            _store(row_key, body, "")
            done += 1
    return done


def prune_documents(now: datetime) -> int:
    """Scheduled: drop rendered documents older than `KEEP_DAYS`; returns how many."""
    result = db.session.execute(
        sa.delete(RenderedDocument).where(
            RenderedDocument.created_at < now - timedelta(days=KEEP_DAYS)
        )
    )
    db.session.commit()
    return _rowcount(result)
