"""Every channel's rendering of a digest carries each entry's feedback links and one "missed" link,
and every link's token stands for that entry's item, the destination and the verdict."""

from __future__ import annotations

import json
import re

from lxml import html as lxml_html

from bot.config import FeedbackConfig
from bot.digest.render import digest_payload, render_html, render_text
from bot.digest.slack import slack_messages
from bot.feedback.tokens import Ballot, verify
from bot.i18n import load_translator
from tests.digest_helpers import destination, digest_of, item, many_items
from tests.test_notify_slack import validate

EN = load_translator("en")

SECRET = "links-test-secret-0123456789"
FEEDBACK = FeedbackConfig(base_url="https://newsbot.example/fb", secret=SECRET)
URL = re.compile(r"https://newsbot\.example/fb/(feedback|missed)/([A-Za-z0-9_\-.]+)")

ITEMS = [
    item(1, "Japan and Vietnam sign coast guard patrol deal"),
    item(2, "Nhật Bản và Việt Nam ký thỏa thuận lao động", rule="labour", lang="vi"),
]


def ballots(text: str) -> list[Ballot]:
    return [verify(m.group(2), secret=SECRET) for m in URL.finditer(text)]


def expected(ids: list[int]) -> set[Ballot]:
    votes = {Ballot(i, "desk", v) for i in ids for v in ("relevant", "not_relevant")}  # type: ignore[arg-type]
    return votes | {Ballot(0, "desk", "missed")}


def test_text_html_json_and_slack_carry_the_links() -> None:
    digest = digest_of(ITEMS, dest=destination(feedback=FEEDBACK))
    want = expected([1, 2])

    text = render_text(digest, EN)
    assert set(ballots(text)) == want and len(ballots(text)) == 5
    assert "Missed an article? https://newsbot.example/fb/missed/" in text

    doc = lxml_html.fromstring(render_html(digest, EN))
    hrefs = {a.get("href"): a.text_content().strip() for a in doc.iter("a")}
    labels = {href: label for href, label in hrefs.items() if URL.match(href or "")}
    assert set(ballots(" ".join(labels))) == want
    assert sorted(set(labels.values())) == ["Missed an article?", "✓ Relevant", "✗ Not relevant"]

    payload = digest_payload(digest, EN)
    entry = payload["entries"][0]
    assert set(entry["feedback"]) == {"relevant", "not_relevant"}
    assert set(ballots(json.dumps(payload))) == want and payload["missed_url"]

    messages = slack_messages(digest, EN)
    for message in messages:
        validate(message)
    slack = json.dumps(messages)
    assert set(ballots(slack)) == want
    assert "|Relevant>" in slack and "|Not relevant>" in slack and "|Missed an article?>" in slack


def test_a_long_slack_digest_links_every_entry_and_asks_once() -> None:
    items = many_items(60)
    messages = slack_messages(digest_of(items, dest=destination(feedback=FEEDBACK)), EN)
    assert len(messages) > 1
    for message in messages:
        validate(message)
    found = ballots(json.dumps(messages))
    assert set(found) == expected([i.item_id for i in items])
    assert sum(b.verdict == "missed" for b in found) == 1


def test_no_feedback_section_no_links() -> None:
    digest = digest_of(ITEMS, dest=destination())
    for rendered in (
        render_text(digest, EN),
        render_html(digest, EN),
        json.dumps(slack_messages(digest, EN)),
    ):
        assert "/feedback/" not in rendered and "Missed an article" not in rendered
    assert digest_payload(digest, EN)["entries"][0]["feedback"] is None


def test_an_email_over_real_smtp_carries_the_links_in_both_parts() -> None:
    from bot.config import EmailOptions
    from bot.notify import create_notifier
    from tests.servers import smtp_server

    with smtp_server() as (sink, port):
        opts = EmailOptions(smtp_host="127.0.0.1", smtp_port=port, from_addr="nb@example.org",
                            to=("desk@example.org",))  # fmt: skip
        dest = destination(opts, name="desk", kind="email", feedback=FEEDBACK)
        create_notifier(dest).send(digest_of(ITEMS, dest=dest))
    (message,) = sink.messages
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert set(ballots(text)) == expected([1, 2])
    assert set(ballots(html.replace("&amp;", "&"))) == expected([1, 2])
