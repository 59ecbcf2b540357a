"""Finnish, Swedish and Dutch: every message translated, the language each reader chose (else
their browser's, else their panel's), documents in the panel's language for ever, e-mails in
each recipient's, and no English left on the pages a panel works in."""

import email
import email.policy
import io
import re
import subprocess
import sys
from datetime import timedelta
from functools import cache
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from pypdf import PdfReader

from conference.auth.models import User
from conference.documents import meeting as meeting_documents
from conference.extensions import db
from conference.languages import LANGUAGES
from conference.meetings.models import MeetingStatus
from conference.minutes import archive, services
from conference.notify.models import NotificationKind
from conference.notify.services import deliver_email, notify
from tests.conftest import MailServer, second_app
from tests.factories import NOW, ActionFactory, AgendaItemFactory, MeetingFactory
from tests.worlds import World, build_world

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "conference" / "translations"
TRANSLATED = sorted(set(LANGUAGES) - {"en"})


@cache
def extracted() -> Catalog:
    """Every message marked in the code and templates, as `make messages` extracts them."""
    pot = CATALOGUES / "extracted-by-tests.pot"
    try:
        subprocess.run(  # noqa: S603 - our own tool on our own files
            [
                str(Path(sys.executable).parent / "pybabel"),
                "extract",
                "-F",
                "babel.cfg",
                "-k",
                "_l",
                "-k",
                "lazy_ngettext:1,2",
                "-k",
                "lazy_pgettext:1c,2",
                "-k",
                "_lp:1c,2",
                "-k",
                "N_",
                "--omit-header",
                "-o",
                str(pot),
                ".",
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        with pot.open("rb") as source:
            return read_po(source)
    finally:
        pot.unlink(missing_ok=True)


@cache
def catalogue(locale: str) -> Catalog:
    with (CATALOGUES / locale / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=locale)


@pytest.mark.parametrize("locale", TRANSLATED)
def test_every_message_is_translated_none_fuzzy_with_its_placeholders(locale: str) -> None:
    ours = catalogue(locale)
    assert ours.num_plurals == 2
    problems = []
    for message in extracted():
        if not message.id:
            continue
        entry = ours.get(message.id, context=message.context)
        strings = (
            [] if entry is None else list(entry.string) if entry.pluralizable else [entry.string]
        )
        if entry is None or not all(strings):
            problems.append(f"untranslated: {message.id!r}")
        elif entry.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        else:
            problems.extend(f"{message.id!r}: {error}" for error in entry.check(ours) if error)
    assert not problems, f"{len(problems)} problems in {locale}:\n" + "\n".join(problems[:40])


def test_plural_forms_follow_the_count(app: Flask) -> None:
    with app.test_request_context():
        for locale in LANGUAGES:
            with force_locale(locale):
                one = ngettext("%(num)d recovery code left.", "%(num)d recovery codes left.", 1)
                many = ngettext("%(num)d recovery code left.", "%(num)d recovery codes left.", 5)
            assert "1" in one
            assert "5" in many
            assert one.replace("1", "") != many.replace("5", ""), locale


# --- Which language a page is in -----------------------------------------------------------


def html_lang(page: str) -> str:
    match = re.search(r'<html lang="([a-z]+)"', page)
    assert match, "the page names its language"
    return match.group(1)


@pytest.fixture
def world() -> World:
    world = build_world()
    db.session.commit()
    return world


def home(client: FlaskClient, accept: str | None = None) -> str:
    headers = {"Accept-Language": accept} if accept else {}
    return client.get("/", headers=headers).get_data(as_text=True)


def test_the_browser_then_the_panel_decide_until_the_user_chooses(
    app: Flask, world: World, login
) -> None:
    world.panel.locale = "nl"
    db.session.commit()
    client = login(world.users["police"])
    assert html_lang(home(client)) == "nl"  # the browser asks for nothing: the panel's
    assert html_lang(home(client, "fi-FI,fi;q=0.9,en;q=0.5")) == "fi"
    assert html_lang(home(client, "de-DE,de;q=0.9")) == "nl"  # none of ours: the panel's

    client.post("/language", data={"locale": "sv", "next": "/cases/"})
    assert db.session.get(User, world.users["police"].id).locale == "sv"
    page = home(client, "fi")
    assert html_lang(page) == "sv"  # the choice wins over the browser
    with app.test_request_context(), force_locale("sv"):
        assert _("Cases") in page
        assert _("Cases") != "Cases"

    client.post("/language", data={"locale": ""})  # back to the browser's
    assert db.session.get(User, world.users["police"].id).locale is None
    assert html_lang(home(client, "fi")) == "fi"


def test_an_unknown_language_changes_nothing_and_the_switch_returns_to_the_page(
    world: World, login
) -> None:
    client = login(world.users["police"])
    response = client.post("/language", data={"locale": "xx", "next": "/cases/"})
    assert response.status_code == 302
    assert response.location.endswith("/cases/")
    assert db.session.get(User, world.users["police"].id).locale is None
    away = client.post("/language", data={"locale": "fi", "next": "https://elsewhere.example/"})
    assert "elsewhere" not in away.location


def test_before_signing_in_the_footer_choice_holds_for_the_session(
    app: Flask, client: FlaskClient
) -> None:
    assert html_lang(client.get("/login").get_data(as_text=True)) == "en"
    client.post("/language", data={"locale": "fi", "next": "/login"})
    page = client.get("/login").get_data(as_text=True)
    assert html_lang(page) == "fi"
    with app.test_request_context(), force_locale("fi"):
        assert _("Sign in") in page


def test_the_account_page_offers_each_language_named_in_itself(world: World, login) -> None:
    page = login(world.users["police"]).get("/account").get_data(as_text=True)
    for code, name in LANGUAGES.items():
        assert f'value="{code}" lang="{code}"' in page
        assert name in page


# --- Documents and e-mails -------------------------------------------------------------------


def pdf_text(body: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)


def test_the_agenda_and_the_pack_are_in_the_panels_language_whoever_asks(
    app: Flask, world: World
) -> None:
    world.panel.locale = "fi"
    meeting = MeetingFactory(panel=world.panel, starts_at=NOW + timedelta(days=7))
    db.session.commit()
    text = pdf_text(
        meeting_documents.agenda_pdf(meeting, may_see=meeting_documents.everyone, now=NOW)
    )
    dutch = pdf_text(
        meeting_documents.agenda_pdf(
            meeting, may_see=meeting_documents.everyone, now=NOW, locale="nl"
        )
    )
    pack = pdf_text(
        meeting_documents.pack_pdf(meeting, may_see=meeting_documents.everyone, now=NOW)
    )
    with app.test_request_context():
        for locale, body in (("fi", text), ("nl", dutch)):
            with force_locale(locale):
                heading = _("Why it is on the agenda")
            assert heading != "Why it is on the agenda", locale
            assert heading in body, locale
        with force_locale("fi"):
            assert _("Meeting pack") in pack
            assert _("Page %(page)s of %(pages)s", page=1, pages=1) in pack


def test_a_minutes_version_keeps_the_language_it_was_drawn_up_in(app: Flask, world: World) -> None:
    world.panel.locale = "sv"
    meeting = MeetingFactory(
        panel=world.panel, starts_at=NOW - timedelta(days=1), status=MeetingStatus.CLOSED
    )
    db.session.commit()
    version = services.draft_minutes(meeting, actor=world.users["chair"], now=NOW)
    db.session.commit()
    assert version.locale == "sv"
    world.panel.locale = "en"  # the panel changes its language afterwards
    db.session.commit()
    body = pdf_text(archive.render_minutes(version.content, locale=version.locale))
    with app.test_request_context(), force_locale("sv"):
        assert _("Minutes") in body
        assert _("Minutes") != "Minutes"


def test_each_recipient_gets_the_e_mail_in_their_own_language(
    app: Flask, world: World, mail_server: MailServer
) -> None:
    finn, dutch = world.users["police"], world.users["secretary"]
    finn.locale, dutch.locale = "fi", "nl"
    for person in (finn, dutch):
        notify(
            person.id,
            NotificationKind.ACTION_ASSIGNED,
            _l("You own a new action on case %(reference)s.", reference="RVT-2026-0042"),
            link="/actions/1",
            dedupe_key=f"language-test:{person.id}",
            now=NOW,
        )
    db.session.commit()
    with (
        second_app(
            app, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=mail_server.port
        ) as mailer,
        mailer.app_context(),
    ):
        assert deliver_email(NOW) == 2
        db.session.remove()
    bodies = {}
    for envelope in mail_server.messages:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        bodies[envelope.rcpt_tos[0]] = f"{message['Subject']}\n{message.get_content()}"
    with app.test_request_context():
        for person, locale in ((finn, "fi"), (dutch, "nl")):
            with force_locale(locale):
                line = _("You own a new action on case %(reference)s.", reference="RVT-2026-0042")
            assert line in bodies[person.email], locale
            assert "You own a new action" not in bodies[person.email]


# --- No English on the pages a panel works in ------------------------------------------------

UI_ELEMENTS = frozenset(
    {"a", "button", "label", "th", "legend", "caption", "summary", "dt", "option", "title"}
    | {f"h{n}" for n in range(1, 7)}
)


class _Texts(HTMLParser):
    """The text of navigation, headings, labels, buttons and table headers, piece by piece."""

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in UI_ELEMENTS:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in UI_ELEMENTS and tag in self.open:
            self.open.remove(tag)

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if self.open and text:
            self.texts.append(text)


@cache
def translations(locale: str) -> set[str]:
    """Every text the catalogue writes in its language."""
    return {s for m in catalogue(locale) for s in (m.string if m.pluralizable else [m.string])}


@cache
def english_patterns(locale: str) -> list[tuple[str, re.Pattern[str]]]:
    """Each English message the catalogue translates differently, as a pattern of what it looks
    like on a page once its placeholders are filled."""
    patterns = []
    ours = translations(locale)
    for message in catalogue(locale):
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for english in ids:
            # The same word in both languages ("Agenda" in Dutch) is no English left over.
            if not english or english in strings or english in ours or len(english) < 3:
                continue
            parts = re.split(r"%\(\w+\)[sd]", english)
            pattern = ".+?".join(re.escape(" ".join(p.split())) for p in parts)
            patterns.append((english, re.compile(pattern)))
    return patterns


def english_on(page: str, locale: str) -> set[str]:
    parser = _Texts()
    parser.feed(page)
    ours = translations(locale)
    return {
        english
        for text in parser.texts
        if text not in ours  # a text of the language itself ("Case Conference", a name)
        for english, pattern in english_patterns(locale)
        if pattern.fullmatch(text)
    }


def pages_of_a_working_panel(world: World) -> dict[str, str]:
    meeting = MeetingFactory(panel=world.panel, starts_at=NOW + timedelta(days=1))
    AgendaItemFactory(meeting=meeting, case=world.cases["plain"])
    ActionFactory(case=world.cases["plain"], owner=world.users["chair"])
    sitting = MeetingFactory(
        panel=world.panel, starts_at=NOW - timedelta(days=2), status=MeetingStatus.IN_PROGRESS
    )
    item = AgendaItemFactory(meeting=sitting, case=world.cases["coordinated"])
    closed = MeetingFactory(
        panel=world.panel, starts_at=NOW - timedelta(days=9), status=MeetingStatus.CLOSED
    )
    AgendaItemFactory(meeting=closed, case=world.cases["plain"])
    db.session.commit()
    version = services.draft_minutes(closed, actor=world.users["chair"], now=NOW)
    db.session.commit()
    reference = world.cases["plain"].reference
    code = world.panel.code
    return {
        "chair's view": f"/meetings/{sitting.id}/items/{item.id}",
        "opening": f"/meetings/{sitting.id}/opening",
        "live": f"/meetings/{sitting.id}/live",
        "minutes": f"/minutes/{version.id}",
        "settings": f"/panels/{code}/settings",
        "statistics": f"/panels/{code}/statistics",
        "home": "/",
        "cases": "/cases/",
        "case": f"/cases/{reference}",
        "referral": "/cases/new",
        "my work": "/my-work",
        "meetings": "/meetings/",
        "meeting": f"/meetings/{meeting.id}",
        "agenda": f"/meetings/{meeting.id}/agenda",
        "services": "/services/",
        "notifications": "/notifications/",
        "account": "/account",
    }


@pytest.mark.parametrize("locale", TRANSLATED)
def test_the_chairs_pages_show_no_english(locale: str, world: World, login) -> None:
    chair = world.users["chair"]
    chair.locale = locale
    paths = pages_of_a_working_panel(world)
    client = login(chair)
    leaks = {}
    for name, path in paths.items():
        response = client.get(path)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert html_lang(page) == locale
        found = english_on(page, locale)
        if found:
            leaks[name] = sorted(found)
    assert not leaks, f"English on the {locale} pages: {leaks}"


def test_the_check_finds_english_where_it_is(world: World) -> None:
    page = "<nav><a href='/'>Home</a></nav><h1>Tapaukset</h1><button>Save</button>"
    assert {"Home", "Save"} <= english_on(page, "fi")
    assert not english_on("<h1>RVT-2026-0042</h1><p>Home</p>", "fi")  # typed, or not UI


def test_every_catalogue_exists_for_every_language() -> None:
    found = {p.parent.parent.name for p in CATALOGUES.glob("*/LC_MESSAGES/messages.po")}
    assert found == set(TRANSLATED)
