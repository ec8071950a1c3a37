"""The feedback pages speak through the digests' translator and catalogs: every state of every page
in vi, ja and id leaves no English message of the pages behind, and the language is chosen as the
service chooses it (destination, then item, then browser)."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir

from bot.feedback.pages import Pages, RuleVerdict
from bot.feedback.web import BAD_TOKEN, NOT_FOUND, RATE_LIMITED
from bot.i18n import LOCALES, Translator, load_translator, pick_locale
from bot.store import FeedbackItem

FEEDBACK = Path(__file__).resolve().parent.parent / "bot" / "feedback"
ITEM = FeedbackItem(
    title="Hợp tác bán dẫn", link="https://news.example/a", outlet="vnexpress.net", lang="vi",
    item_id=1, rules=("semis",), terms=("bán dẫn",),
)  # fmt: skip
RESULTS = [
    RuleVerdict("semis", matched=True, score=2.0, terms=("bán dẫn",)),
    RuleVerdict("oda", matched=False, score=0.4, terms=(), closest=True),
]


def page_messages() -> set[str]:
    """The English messages of the feedback pages (their templates and the service's own)."""
    found = extract_from_dir(
        FEEDBACK,
        [("templates/**", "jinja2"), ("**.py", "python")],
        options_map={"templates/**": {"extensions": "jinja2.ext.i18n"}},
    )
    return {message for _f, _l, message, _c, _ctx in found if isinstance(message, str)}


def every_page(tr: Translator) -> str:
    pages = Pages(tr)
    out = [
        pages.vote(ITEM, verdict=verdict, done=done, other_url="other")
        for verdict in ("relevant", "not_relevant")
        for done in (False, True)
    ]
    out += [
        pages.missed(),
        pages.missed(url="ftp://x", error=tr._("Enter an http:// or https:// address.")),
        pages.missed(url="https://x", error=tr._("That page could not be fetched") + ": 503"),
        pages.missed(title="T", link="https://x", results=RESULTS),
        pages.missed(title="T", link="https://x", results=RESULTS[1:]),
        pages.missed(title="T", link="https://x", results=[]),
    ]
    out += [pages.error(message) for message in (BAD_TOKEN, NOT_FOUND, RATE_LIMITED)]
    return html.unescape("\n".join(out))


@pytest.mark.parametrize("locale", [loc for loc in LOCALES if loc != "en"])
def test_no_english_is_left_on_any_page(locale: str) -> None:
    messages = page_messages()
    english = every_page(load_translator("en"))
    shown = [m for m in messages if m in english]
    assert len(shown) == len(messages) >= 30  # every message appears on some page, so this can fail
    text = every_page(load_translator(locale))
    assert f'<html lang="{locale}">' in text
    assert [m for m in messages if m in text] == []


@pytest.mark.parametrize(
    ("desk", "item", "browser", "want"),
    [
        ("ja", "vi", "id", "ja"),  # the destination's locale first
        (None, "vi", "ja-JP,ja;q=0.9", "vi"),  # then the item's language
        (None, "fr", "ja-JP,ja;q=0.9", "ja"),  # then the browser's, region dropped
        (None, None, "fr-FR, id_ID;q=0.8, ja", "id"),  # its first supported, in the order written
        (None, "zh", "fr, de", "en"),  # else English
        (None, None, None, "en"),
    ],
)
def test_the_pages_language(
    desk: str | None, item: str | None, browser: str | None, want: str
) -> None:
    assert pick_locale([desk, item], browser) == want
