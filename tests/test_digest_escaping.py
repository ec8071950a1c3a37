"""Property tests: whatever a feed writes, no channel's output carries markup, mentions,
control characters or extra header lines from it."""

from __future__ import annotations

import json
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.digest import subject_line
from bot.digest.render import render_html, render_text
from bot.digest.slack import slack_messages
from bot.i18n import load_translator
from tests.digest_helpers import destination, digest_of, item

EN = load_translator("en")

# feed text biased towards the characters that matter, plus anything else
nasty = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("<>&|@!*_`\"'\r\n\t\x1b\x00\x85\u2028\u2029\u202e\u200b")),
        st.characters(),
    ),
    max_size=80,
)
TEMPLATE_TAGS = {
    "html", "head", "meta", "title", "body", "table", "tr", "td", "div", "span", "a", "mark", "ul",
    "li", "strong",
}  # fmt: skip


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)


@settings(max_examples=60, deadline=None)
@given(title=nasty, summary=nasty, outlet=nasty, dest_title=nasty)
def test_feed_text_stays_text_everywhere(
    title: str, summary: str, outlet: str, dest_title: str
) -> None:
    d = digest_of(
        [item(1, title, summary=summary, outlet=outlet or "x", link=None, terms=(summary[:3],))],
        dest=destination(title=dest_title),
    )
    e = d.entries[0]
    for text in (e.title, e.snippet, e.outlet, d.title):
        assert not any(ch in text for ch in "\r\n\x1b\x00\x85\u2028\u2029\u202e")

    parser = _Tags()
    parser.feed(render_html(d, EN))
    assert parser.tags <= TEMPLATE_TAGS

    for message in slack_messages(d, EN):
        for block in message["blocks"]:
            raw = json.dumps(block, ensure_ascii=False)
            if block["type"] == "section" and "|" not in raw:  # no link in an entry without one
                assert "<" not in block["text"]["text"] and ">" not in block["text"]["text"]

    subject = subject_line(d, EN, prefix=title)
    assert "\n" not in subject and "\r" not in subject
    assert "\x1b" not in render_text(d, EN)
