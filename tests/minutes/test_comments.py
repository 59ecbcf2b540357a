"""Comments on circulated draft minutes: made by those it went to, on an item or the whole;
answered by the secretary (taken in with the change, or not with why); seen by the chair before
signing; kept with the version, need-to-know only, never printed in the minutes."""

import html
import io
import re
from typing import Any

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from conference.errors import DomainError, ForbiddenError, InvalidTransitionError
from conference.extensions import db
from conference.meetings.models import Meeting
from conference.minutes import comments, services
from conference.minutes.models import CommentAnswer, MinutesComment, MinutesStatus, MinutesVersion
from tests.factories import TEST_PASSWORD
from tests.minutes import test_minutes
from tests.minutes.test_minutes import AFTER
from tests.worlds import World

# The same closed sitting as the minutes' own tests.
world = test_minutes.world
meeting = test_minutes.meeting

COMMENT = "Item 1 should say the school was told on Monday."


def words(response: Any) -> str:
    """The page's text as a reader takes it in: no markup, one line."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


@pytest.fixture
def circulated(world: World, meeting: Meeting) -> MinutesVersion:
    version = services.draft_minutes(meeting, actor=world.users["secretary"], now=AFTER)
    services.circulate(version, actor=world.users["secretary"], now=AFTER)
    db.session.commit()
    return version


def comment_on(client: Any, version: MinutesVersion, item: str, body: str) -> Any:
    return client.post(
        f"/minutes/{version.id}/comments",
        data={"comment-item_number": item, "comment-body": body},
    )


def test_those_present_comment_on_an_item_or_the_whole(
    world: World, circulated: MinutesVersion, login: Any
) -> None:
    police = login(world.users["police"])
    response = comment_on(police, circulated, "1", COMMENT)
    assert response.status_code == 302
    assert "#comment-" in response.headers["Location"]
    assert comment_on(police, circulated, "", "The list of those present is right.").status_code
    refused = comment_on(police, circulated, "1", "  ")
    assert refused.status_code == 422
    kept = comments.comments_of(circulated)
    assert [(c.item_number, c.body) for c in kept] == [
        (1, COMMENT),
        (None, "The list of those present is right."),
    ]
    page = words(login(world.users["secretary"]).get(f"/minutes/{circulated.id}"))
    assert "On item 1 (RVT-2026-0001)" in page
    assert "On the whole" in page
    assert "Open: the secretary has not answered yet." not in page  # the secretary answers


def test_partners_and_the_absent_can_neither_read_nor_make_comments(
    world: World, circulated: MinutesVersion, login: Any
) -> None:
    comments.add_comment(
        circulated, item_number=1, body=COMMENT, actor=world.users["police"], now=AFTER
    )
    db.session.commit()
    # The NGO sent apologies; the social partner was present but reads extracts only.
    for key in ("ngo", "social"):
        client = login(world.users[key])
        assert client.get(f"/minutes/{circulated.id}").status_code == 404
        assert comment_on(client, circulated, "", "Let me in").status_code == 404
    with pytest.raises(ForbiddenError):
        comments.add_comment(
            circulated, item_number=None, body="x", actor=world.users["social"], now=AFTER
        )


def test_the_secretary_takes_a_comment_in_with_the_change(
    world: World, circulated: MinutesVersion, login: Any
) -> None:
    remark = comments.add_comment(
        circulated, item_number=1, body=COMMENT, actor=world.users["police"], now=AFTER
    )
    db.session.commit()
    secretary = login(world.users["secretary"])
    prefix = f"answer{remark.id}"
    refused = secretary.post(
        f"/minutes/{circulated.id}/comments/{remark.id}/answer",
        data={f"{prefix}-answer": "taken_in", f"{prefix}-text": ""},
    )
    assert refused.status_code == 422
    response = secretary.post(
        f"/minutes/{circulated.id}/comments/{remark.id}/answer",
        data={
            f"{prefix}-answer": "taken_in",
            f"{prefix}-text": "Added that the school was told.",
            f"{prefix}-facts": "Two appointments kept; the school was told on Monday.",
            f"{prefix}-assessment": "",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    version = db.session.get(MinutesVersion, circulated.id)
    [item] = [i for i in version.content["items"] if i["number"] == 1]
    assert item["facts"] == "Two appointments kept; the school was told on Monday."
    answered = db.session.get(MinutesComment, remark.id)
    assert answered.answer is CommentAnswer.TAKEN_IN
    assert answered.answered_by_id == world.users["secretary"].id
    page = words(login(world.users["police"]).get(f"/minutes/{circulated.id}"))
    assert "Taken in Added that the school was told." in page


def test_a_comment_not_taken_in_says_why_and_changes_nothing(
    world: World, circulated: MinutesVersion
) -> None:
    remark = comments.add_comment(
        circulated, item_number=1, body=COMMENT, actor=world.users["police"], now=AFTER
    )
    before = dict(circulated.content)
    with pytest.raises(DomainError, match="Say why it is not taken in"):
        comments.answer_comment(
            remark,
            answer=CommentAnswer.NOT_TAKEN_IN,
            text=" ",
            actor=world.users["secretary"],
            now=AFTER,
        )
    with pytest.raises(DomainError, match="changes nothing"):
        comments.answer_comment(
            remark,
            answer=CommentAnswer.NOT_TAKEN_IN,
            text="Not what was agreed.",
            facts="Something else",
            actor=world.users["secretary"],
            now=AFTER,
        )
    comments.answer_comment(
        remark,
        answer=CommentAnswer.NOT_TAKEN_IN,
        text="Not what was agreed in the room.",
        actor=world.users["secretary"],
        now=AFTER,
    )
    assert circulated.content == before
    with pytest.raises(ForbiddenError):
        comments.answer_comment(
            remark,
            answer=CommentAnswer.TAKEN_IN,
            text="x",
            actor=world.users["police"],
            now=AFTER,
        )


def test_the_chair_sees_open_comments_and_confirms_before_signing_over_them(
    world: World, circulated: MinutesVersion, login: Any
) -> None:
    comments.add_comment(
        circulated, item_number=None, body=COMMENT, actor=world.users["police"], now=AFTER
    )
    db.session.commit()
    chair = login(world.users["chair"])
    page = words(chair.get(f"/minutes/{circulated.id}"))
    assert "1 comment is still open." in page
    refused = chair.post(f"/minutes/{circulated.id}/sign", data={"password": TEST_PASSWORD})
    assert refused.status_code == 422
    assert "Read it, or confirm that you sign regardless." in words(refused)
    assert db.session.get(MinutesVersion, circulated.id).signatures == []
    signed = chair.post(
        f"/minutes/{circulated.id}/sign",
        data={"password": TEST_PASSWORD, "despite_comments": "y"},
    )
    assert signed.status_code == 302
    db.session.expire_all()
    assert len(db.session.get(MinutesVersion, circulated.id).signatures) == 1


def test_comments_stay_with_the_version_and_never_reach_the_minutes(
    world: World, circulated: MinutesVersion, login: Any
) -> None:
    remark = comments.add_comment(
        circulated, item_number=1, body=COMMENT, actor=world.users["police"], now=AFTER
    )
    comments.answer_comment(
        remark,
        answer=CommentAnswer.NOT_TAKEN_IN,
        text="Said in the room only.",
        actor=world.users["secretary"],
        now=AFTER,
    )
    for key in ("chair", "police", "prosecutor"):
        services.sign(circulated, actor=world.users[key], now=AFTER)
    db.session.commit()
    version = db.session.get(MinutesVersion, circulated.id)
    assert version.status is MinutesStatus.ARCHIVED
    assert COMMENT not in str(version.content)
    police = login(world.users["police"])
    pdf = police.get(f"/minutes/{version.id}.pdf").data
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "school was told" not in text
    assert "school was told" not in police.get(f"/minutes/{version.id}/print").get_data(True)
    # Kept with the version, for those who read it in full; never with an extract.
    assert COMMENT in words(police.get(f"/minutes/{version.id}"))
    assert COMMENT not in words(login(world.users["social"]).get(f"/minutes/{version.id}"))
    with pytest.raises(InvalidTransitionError):
        comments.add_comment(
            version, item_number=None, body="Late", actor=world.users["police"], now=AFTER
        )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(MinutesComment)) == 1
