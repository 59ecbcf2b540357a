"""Submit once: a form that creates a record carries a one-time token, so a double click or
the same post sent four times at once creates one record.

The token is claimed in the same transaction as the record it creates. A second post with the
same token waits for the first (the unique index), then finds it used and is sent to what the
first one made. If the first was refused, nothing was claimed and the second goes ahead.
"""

import re
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped
from wtforms import HiddenField
from wtforms.validators import Length

from conference import pagecache
from conference.db import internal, primary_key
from conference.extensions import Model, db

TOKEN = re.compile(r"^[0-9a-f]{32}$")


class FormSubmission(Model):
    """A create form's token, once used: who sent it, when, and where its record is."""

    __tablename__ = "form_submission"

    id: Mapped[int] = primary_key()
    token: Mapped[str] = internal(sa.String(32), unique=True)
    user_id: Mapped[int] = internal(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = internal()
    result_url: Mapped[str] = internal(sa.String(300), default="")


def new_token() -> str:
    """A one-time token for a form on a page being made (a kept copy of the page is sent with
    new ones each time: `conference.pagecache`)."""
    token = uuid.uuid4().hex
    pagecache.note_one_time_token(token)
    return token


class SubmitOnce:
    """Mixed into a create form: a hidden one-time token, new on every page shown."""

    once = HiddenField(default=new_token, validators=[Length(max=32)])


def claim(token: str | None, *, user_id: int, now: datetime) -> str | None:
    """Claim the token for this request. Returns None when it is ours to use (or there is no
    usable token), else where the earlier post with the same token went."""
    if not token or not TOKEN.match(token):
        return None
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    claimed = db.session.execute(
        insert(FormSubmission)
        .values(token=token, user_id=user_id, created_at=now, result_url="")
        .on_conflict_do_nothing()
        .returning(FormSubmission.id)
    ).first()
    if claimed is not None:
        return None
    earlier = db.session.scalar(
        sa.select(FormSubmission.result_url).where(FormSubmission.token == token)
    )
    return earlier or "/"


def record_result(token: str | None, url: str) -> None:
    """Remember where the record made with this token is shown."""
    if token and TOKEN.match(token):
        db.session.execute(
            sa.update(FormSubmission).where(FormSubmission.token == token).values(result_url=url)
        )


def forget_before(cutoff: datetime) -> int:
    """Tokens are needed only for a double click: drop those older than a day."""
    result = db.session.execute(sa.delete(FormSubmission).where(FormSubmission.created_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
