"""Pages kept for a moment: a signed-in person who asks again for a page that nothing has
changed since is sent the page made for them a moment ago, instead of building it again.

Building a page is mostly Python: the sign-in with the person's memberships, the ORM, the
templates (5 to 15 ms of processor for the pages people use most). Sending a kept one costs one
statement, which checks the session as every request does and reads the count of changes.

What is kept, and for whom (`kept`, `_key`, `_keep`):
- only pages (and document downloads) whose view is marked with `@kept`, asked for with GET,
  answered 200 (or 202, a document being prepared) by a request that changed nothing pages
  show;
- for one person in one browser session: the key holds the user, the session (its token and
  every value its cookie carries: the CSRF token, messages waiting to be shown), the address
  asked, and the languages the browser accepts;
- for at most PAGE_CACHE_SECONDS (or until a decision it rests on lapses: `keep_until`), and
  only while nothing pages show has changed: each commit that writes anything but a bookkeeping
  table counts one more change (`conference.db`), in the same transaction, so every server
  process and the scheduler see it at once.

Before a kept page is sent, everything that is checked on each request is checked: the session
row (signed out, timed out, deactivated: the page is built, or refused, as usual), the browser's
session protection, and the audit events the page recorded when it was made are recorded again,
for this showing, before it is sent. Its create forms' one-time tokens are new each time, so
two tabs never send the same one. Nothing is kept beyond the process's memory, and never more
than PAGE_CACHE_MB of it.
"""

import functools
import hashlib
import json
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, has_request_context, request, session
from flask_login import UserMixin, current_user
from flask_login.utils import _create_identifier
from sqlalchemy.orm import Mapped

from conference.db import CHANGE_COUNT_TABLE, CHANGED, internal, utcnow
from conference.extensions import Model, db

KEPT = "conference_kept_page"
# A page, and a document's "being prepared" (until its render is stored, which is a change).
KEPT_STATUSES = frozenset({200, 202})
# Made again for each response: the cookie, and the length of the body sent.
_NOT_KEPT_HEADERS = frozenset({"set-cookie", "content-length"})

View = TypeVar("View", bound=Callable[..., Any])


class ContentVersion(Model):
    """How many committed changes pages may show (one row, written by `conference.db`)."""

    __tablename__ = CHANGE_COUNT_TABLE

    id: Mapped[int] = internal(primary_key=True)
    n: Mapped[int] = internal(sa.BigInteger)


def kept(view: View) -> View:
    """Mark a page view whose page may be kept (see the module's rules)."""
    setattr(view, KEPT, True)
    return view


@dataclass(frozen=True)
class Page:
    status: int
    body: bytes
    headers: tuple[tuple[str, str], ...]  # its type, and a download's name
    made_at: float  # time.monotonic()
    until: datetime | None  # when a decision it rests on lapses (a recent sign-in)
    audits: tuple[dict[str, Any], ...]  # the audit events its making recorded, to record again
    tokens: tuple[str, ...]  # its create forms' one-time tokens, new each time it is sent

    def body_to_send(self) -> bytes:
        body = self.body
        for token in self.tokens:
            body = body.replace(token.encode(), uuid.uuid4().hex.encode())
        return body


class PageStore:
    """The kept pages of one process; beyond its size, the least recently used go first."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[tuple[Any, ...], Page] = OrderedDict()
        self._size = 0
        self._swept = time.monotonic()
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...], max_age: float) -> Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is None:
                return None
            if time.monotonic() - page.made_at > max_age:
                self._drop(key)
                return None
            self._pages.move_to_end(key)
            return page

    def put(self, key: tuple[Any, ...], page: Page, max_age: float) -> None:
        if len(page.body) > self.max_bytes // 8:
            return
        with self._lock:
            self._sweep(max_age)
            if key in self._pages:
                self._drop(key)
            self._pages[key] = page
            self._size += len(page.body)
            while self._size > self.max_bytes:
                self._drop(next(iter(self._pages)))

    def _sweep(self, max_age: float) -> None:
        """Drop the pages too old to be sent, at most once per `max_age`: pages of a session
        that ended, or of an older count, are never asked for again and would stay."""
        now = time.monotonic()
        if now - self._swept < max_age:
            return
        self._swept = now
        for key in [key for key, page in self._pages.items() if now - page.made_at > max_age]:
            self._drop(key)

    def _drop(self, key: tuple[Any, ...]) -> None:
        self._size -= len(self._pages.pop(key).body)


class KeptPagePrincipal(UserMixin):
    """Who `current_user` is while a kept page is sent: only the id (nothing else is read)."""

    def __init__(self, user_id: int) -> None:
        self.id = user_id


def init_app(app: Flask) -> None:
    """Serve kept pages before the sign-in loads the person; keep pages as they are sent."""
    app.extensions[KEPT] = PageStore(int(app.config["PAGE_CACHE_MB"]) * 1024 * 1024)
    with app.app_context():
        # Before `note_writes` counts the change (and forgets it): this request changed pages.
        sa.event.listen(db.engine, "commit", _note_change, insert=True)
    app.before_request(_serve)
    app.after_request(_keep)


def _note_change(conn: sa.Connection) -> None:
    if conn.info.get(CHANGED) and has_request_context():
        g.page_changes = True


def note_audit(fields: dict[str, Any]) -> None:
    """An audit event recorded while a page that may be kept is made: a kept copy records it
    again each time it is shown (called by `conference.audit.services.record_event`)."""
    if has_request_context() and "page_key" in g:
        g.setdefault("page_audits", []).append(fields)


def keep_until(when: datetime) -> None:
    """A decision the page being made rests on holds only until `when` (a sign-in recent
    enough to download a document): a kept copy is not sent from then on."""
    if has_request_context() and "page_key" in g:
        g.page_until = min(g.get("page_until") or when, when)


def note_one_time_token(token: str) -> None:
    """A create form's one-time token made for a page that may be kept: a kept copy is sent
    with a new one in its place each time (`conference.submissions`)."""
    if has_request_context() and "page_key" in g:
        g.setdefault("page_tokens", []).append(token)


def _store() -> PageStore:
    return current_app.extensions[KEPT]


def _serve() -> Response | None:
    max_age = current_app.config["PAGE_CACHE_SECONDS"]
    if not max_age or request.method != "GET":
        return None
    if not getattr(current_app.view_functions.get(request.endpoint or ""), KEPT, False):
        return None
    user_id, now = _signed_in(), utcnow()
    if user_id is None:
        return None
    # One connection, no transaction: each statement commits as it runs.
    with db.engine.connect() as connection:
        autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
        version = _session_still_good(autocommit, user_id, now)
        if version is None:
            return None
        key = _key(user_id, version)
        page = _store().get(key, max_age)
        if page is None or (page.until is not None and now >= page.until):
            g.page_key = key  # made as usual (or refused), then kept by `_keep`
            return None
        principal = KeptPagePrincipal(user_id)
        g._login_user = principal  # Flask-Login's current user for this request
        if page.audits:  # shown only once its audit record is kept, as when it was made
            from conference.audit.services import append_events
            from conference.views import client_ip

            append_events(autocommit, list(page.audits), actor=principal, now=now, ip=client_ip())
    return Response(page.body_to_send(), status=page.status, headers=list(page.headers))


def _signed_in() -> int | None:
    """The user the session cookie names, when nothing but its row remains to be checked:
    messages waiting, a remembered sign-in or a changed browser go the usual way."""
    user_id = session.get("_user_id")
    if not user_id or not session.get("sid") or "_flashes" in session:
        return None
    if session.get("_id") != _create_identifier():  # session protection decides, as usual
        return None
    try:
        return int(user_id)
    except ValueError:
        return None


@functools.cache
def _session_check() -> sa.Select[Any]:
    """The session row by its token hash and user, with its user's state and the count of
    changes; built once (bound values: `token_hash`, `user_id`)."""
    from conference.auth.models import User, UserSession

    version = sa.select(ContentVersion.n).where(ContentVersion.id == 1).scalar_subquery()
    return (
        sa.select(
            UserSession.created_at, UserSession.last_seen_at, User.active, version.label("version")
        )
        .join(User, User.id == UserSession.user_id)
        .where(
            UserSession.token_hash == sa.bindparam("token_hash"),
            UserSession.user_id == sa.bindparam("user_id"),
            UserSession.ended_at.is_(None),
        )
    )


def _session_still_good(connection: sa.Connection, user_id: int, now: datetime) -> int | None:
    """The count of changes, when the session row is open, its user active and nothing is due
    (a timeout, or noting that the session was seen): one statement."""
    from conference.auth import sessions

    values = {"token_hash": sessions.digest(session["sid"]), "user_id": user_id}
    row = connection.execute(_session_check(), values).first()
    if row is None or not row.active:
        return None
    if not sessions.quiet(created_at=row.created_at, last_seen_at=row.last_seen_at, now=now):
        return None
    return int(row.version or 0)


def _key(user_id: int, version: int) -> tuple[Any, ...]:
    cookie = json.dumps(dict(session), sort_keys=True, default=str).encode()
    return (
        user_id,
        hashlib.sha256(cookie).digest(),
        request.host,
        request.full_path,
        request.headers.get("Accept-Language", ""),
        version,
    )


def _keep(response: Response) -> Response:
    key = g.pop("page_key", None)
    if (
        key is None
        or response.status_code not in KEPT_STATUSES
        or response.is_streamed
        or response.direct_passthrough
        or session.modified  # a message shown, a token made: the next page differs
        or g.get("page_changes")
        or current_user.get_id() != str(key[0])
    ):
        return response
    page = Page(
        status=response.status_code,
        body=response.get_data(),
        headers=tuple(
            (name, value)
            for name, value in response.headers.items()
            if name.lower() not in _NOT_KEPT_HEADERS
        ),
        made_at=time.monotonic(),
        until=g.get("page_until"),
        audits=tuple(g.get("page_audits", ())),
        tokens=tuple(g.get("page_tokens", ())),
    )
    _store().put(key, page, current_app.config["PAGE_CACHE_SECONDS"])
    return response
