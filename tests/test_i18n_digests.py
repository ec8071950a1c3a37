"""The string table test: one digest delivered in each locale through every channel (a real SMTP
server, a loopback Slack webhook validated with slack_sdk, a webhook receiver, files, the console,
Apprise), and no English chrome string left in what readers see.

"English chrome" is every English message of the catalogs, cut at its placeholders: each piece
with a word in it that its translation does not also use ("Feed" stays "Feed" in Indonesian) must
not appear in the Vietnamese, Japanese or Indonesian output. The same check on the English digest
finds them, so it can fail."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from bot.config import (
    AppriseOptions,
    ConsoleOptions,
    DestinationConfig,
    DestinationOptions,
    EmailOptions,
    FeedbackConfig,
    FileOptions,
    SlackOptions,
    WebhookOptions,
)
from bot.digest import build_digest
from bot.digest.render import render_html, render_text
from bot.digest.slack import slack_messages
from bot.digest.view import subject_line
from bot.i18n import LOCALES, LocalText, load_translator
from bot.models import Digest, FeedHealth
from bot.notices import destination_notices, feed_notice, notice_digest
from bot.notify import create_notifier
from tests.digest_helpers import NOW, Receiver, destination, item
from tests.servers import SlackReceiver, running, smtp_server
from tests.test_i18n import catalog
from tests.test_notify_slack import validate

TRANSLATED = [loc for loc in LOCALES if loc != "en"]
PLACEHOLDER = re.compile(r"%\(\w+\)s")
TITLES = {
    "aid": LocalText.of(
        {"en": "ODA and aid", "vi": "ODA và viện trợ", "ja": "ODA・援助", "id": "ODA dan bantuan"}
    ),
    "summit": LocalText.of(
        {"en": "Summits", "vi": "Cấp cao", "ja": "首脳外交", "id": "Pertemuan puncak"}
    ),
}
FEEDBACK = FeedbackConfig(
    base_url="https://newsbot.example/fb", secret="i18n-test-secret-0123456789"
)
METRO = "Nhật Bản tài trợ tuyến metro số 2 của TP.HCM bằng vốn vay ODA"


def chrome(locale: str) -> set[str]:
    """The English pieces of every message whose translation into `locale` does not keep them."""
    out: set[str] = set()
    for m in catalog(locale):
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        for msgid in ids:
            for piece in PLACEHOLDER.split(msgid):
                piece = piece.strip(" .,:;()+×–—·")
                if re.search(r"[A-Za-z]{3}", piece) and not any(piece in s for s in strings):
                    out.add(piece)
    return out


def english_left(text: str, locale: str) -> list[str]:
    return sorted(
        p for p in chrome(locale) if re.search(rf"(?<![A-Za-z]){re.escape(p)}(?![A-Za-z])", text)
    )


class _Visible(HTMLParser):
    """What a mail client shows: text outside <style>/<script>, plus <title> and title=""."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hidden += tag in ("style", "script")
        self.parts.extend(v or "" for k, v in attrs if k == "title")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("style", "script")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return "\n".join(parser.parts)


def slack_text(payload: Any) -> Iterator[str]:
    """Every string Slack shows: the fallback `text` and each text object's `text`."""
    if isinstance(payload, dict):
        for k, v in payload.items():
            if k == "text" and isinstance(v, str):
                yield v
            else:
                yield from slack_text(v)
    elif isinstance(payload, list):
        for v in payload:
            yield from slack_text(v)


def json_text(doc: dict[str, Any]) -> str:
    """The webhook / json file document's human-readable fields (its keys are an API, in English)."""
    parts = [doc["subject"], doc["title"]]
    parts += [g["title"] for g in doc["groups"]] + [r["title"] for r in doc["rules_fired"]]
    parts += [e["title"] for e in doc["entries"]]
    return "\n".join(parts)


def the_digest(dest: DestinationConfig) -> Digest:
    """Every part of a digest: two titled sections, the same story from another outlet and an
    update from its own, an untitled item, four kinds of source health, a first digest's "since"."""
    items = [
        item(1, METRO, outlet="Báo Sài Gòn", rule="aid", score=4, lang="vi", terms=("ODA",),
             summary="JICA ký khoản vay ODA 90 tỷ yên cho tuyến metro số 2."),
        item(2, METRO, outlet="Tin Nhanh Việt", rule="aid", score=3, lang="vi", terms=("ODA",),
             summary="Khoản vay ODA được ký tại Hà Nội."),
        item(3, METRO + " (cập nhật)", outlet="Báo Sài Gòn", rule="aid", lang="vi",
             terms=("ODA",), summary="Cập nhật: ODA cho tuyến metro số 2.", hours_ago=0.5),
        item(4, "日越首脳が電話会談、半導体で協力", outlet="東都新聞", rule="summit", lang="ja",
             terms=("日越",), summary="日越の首脳は電話で会談した。"),
        item(5, "", outlet="東都新聞", rule="summit", lang="ja", terms=("首脳",),
             summary="首脳会談の日程が決まった。", link="https://news.example/b/5"),
    ]  # fmt: skip
    health = [
        FeedHealth(url="https://a.example/rss", name="Nguồn A", last_success=None,
                   last_error="HTTP 503", consecutive_failures=3),
        FeedHealth(url="https://b.example/rss", name="Nguồn B", last_success=None,
                   last_error=None, consecutive_failures=0, disabled=True),
        FeedHealth(url="https://c.example/rss", name="Nguồn C", last_success=None,
                   last_error=None, consecutive_failures=0),
        FeedHealth(url="https://d.example/rss", name="Nguồn D",
                   last_success=NOW - timedelta(days=3), last_error=None, consecutive_failures=0),
    ]  # fmt: skip
    digest = build_digest(destination=dest, items=items, key="desk:2026-11-23T08:00",
                          period_start=None, period_end=NOW, health=health, titles=TITLES)  # fmt: skip
    first = digest.entries[0]  # the same story elsewhere, and its own outlet's update
    assert (len(first.also_covered_by), len(first.more_from_outlet)) == (1, 1)
    return digest


def deliver(kind: str, options: DestinationOptions, locale: str, **kw: Any) -> DestinationConfig:
    # with readers' feedback: "Relevant" / "Not relevant" on every entry, "Missed an article?"
    dest = destination(options, kind=kind, name=f"desk-{kind}", locale=locale, feedback=FEEDBACK)
    create_notifier(dest, **kw).send(the_digest(dest))
    return dest


def every_channel(locale: str, tmp_path: Path) -> dict[str, str]:
    """What readers see of the digest, per channel, delivered for real."""
    seen: dict[str, str] = {}
    with smtp_server() as (sink, port):
        opts = EmailOptions(smtp_host="127.0.0.1", smtp_port=port, from_addr="bot@desk.example",
                            to=("desk@example.org",), timeout=5.0)  # fmt: skip
        deliver("email", opts, locale)
    [msg] = sink.messages
    assert msg["Content-Language"] == locale
    text_part = msg.get_body(("plain",))
    html_part = msg.get_body(("html",))
    assert text_part is not None and html_part is not None
    seen["email subject"] = str(msg["Subject"])
    seen["email text"] = text_part.get_content()
    html = html_part.get_content()
    assert f'<html lang="{locale}">' in html
    seen["email html"] = visible(html)

    slack = SlackReceiver()
    with running(slack):
        deliver("slack", SlackOptions(webhook_url=slack.url), locale)
    for payload in slack.payloads:
        validate(payload)
    seen["slack"] = "\n".join(t for p in slack.payloads for t in slack_text(p))

    with Receiver().running() as r:
        deliver("webhook", WebhookOptions(url=r.url + "/hook"), locale)
    [req] = r.requests
    doc = req.json()
    assert doc["locale"] == locale
    seen["webhook"] = json_text(doc)

    for fmt in ("html", "text", "json"):
        out = tmp_path / locale / fmt
        deliver("file", FileOptions(dir=out, format=fmt), locale)
        [written] = out.iterdir()
        body = written.read_text(encoding="utf-8")
        parsed = {"html": visible, "text": str, "json": lambda b: json_text(json.loads(b))}
        seen[f"file {fmt}"] = parsed[fmt](body)

    stream = io.StringIO()
    deliver("console", ConsoleOptions(color="never"), locale, stream=stream)
    seen["console"] = stream.getvalue()

    with Receiver().running() as r:  # Apprise's json:// service: title and body as it posts them
        deliver("apprise", AppriseOptions(urls=(r.url.replace("http://", "json://"),)), locale)
    [req] = r.requests
    seen["apprise"] = req.json()["title"] + "\n" + req.json()["message"]
    return seen


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # apprise imports imghdr on 3.11/3.12
@pytest.mark.parametrize("locale", TRANSLATED)
def test_no_english_chrome_left_in_any_channel(locale: str, tmp_path: Path) -> None:
    seen = every_channel(locale, tmp_path)
    assert {channel: english_left(text, locale) for channel, text in seen.items()} == {
        channel: [] for channel in seen
    }
    # the feedback links are there, in the reader's language
    tr = load_translator(locale)
    for channel in ("email text", "email html", "slack", "console", "apprise"):
        assert tr.gettext("Missed an article?") in seen[channel], channel
    for channel in ("email html", "slack"):
        assert tr.gettext("Not relevant") in seen[channel], channel
    # the articles themselves are untouched, and the rules' titles are in the reader's language
    for channel, text in seen.items():
        if channel in ("email subject",):
            continue
        assert "日越首脳が電話会談" in text, channel
        assert TITLES["aid"].get(locale) in text, channel


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_the_english_digest_is_full_of_chrome(tmp_path: Path) -> None:
    """The check above is not vacuous: measured against each catalog, English output trips it."""
    seen = every_channel("en", tmp_path)
    for locale in TRANSLATED:
        left = english_left("\n".join(seen.values()), locale)
        assert len(left) >= 20, left
        assert {"Also covered by", "Source health", "Missed an article?", "Not relevant"} <= set(
            left
        )


EXPECTED = {
    # (email subject, a line of the text part, a line of the HTML part)
    "en": (
        "Vietnam–Japan: 3 stories · 5 articles — 23 Nov 2026",
        "since 23 Nov 2026 07:00 · 3 outlets · 2 feeds failing",
        "+1 more from Báo Sài Gòn:",
    ),
    "vi": (
        "Việt Nam – Nhật Bản: 3 tin · 5 bài viết — 23/11/2026",
        "từ 23/11/2026 07:00 · 3 đầu báo · 2 nguồn tin bị lỗi",
        "+1 bài khác của Báo Sài Gòn:",
    ),
    "ja": (
        "日本・ベトナム：ニュース3件・記事5本（2026年11月23日）",
        "2026年11月23日 7:00以降・3媒体・取得エラー2件",
        "Báo Sài Gòn の関連記事1本：",
    ),
    "id": (
        "Vietnam–Jepang: 3 berita · 5 artikel — 23 Nov 2026",
        "sejak 23 Nov 2026 07.00 · 3 media · 2 feed gagal",
        "+1 lainnya dari Báo Sài Gòn:",
    ),
}


@pytest.mark.parametrize("locale", LOCALES)
def test_subject_summary_and_coverage_read_as_the_desk_writes(locale: str) -> None:
    dest = destination(locale=locale)
    digest, tr = the_digest(dest), load_translator(locale)
    subject, summary, more = EXPECTED[locale]
    assert subject_line(digest, tr) == subject
    text = render_text(digest, tr)
    assert summary in text.splitlines()
    assert more in visible(render_html(digest, tr))


@pytest.mark.parametrize("locale", TRANSLATED)
def test_empty_digests_parts_and_notices_are_translated(locale: str) -> None:
    tr = load_translator(locale)
    dest = destination(locale=locale)
    empty = build_digest(destination=dest, items=[], key="k", period_start=NOW - timedelta(days=1),
                         period_end=NOW)  # fmt: skip
    texts = [render_text(empty, tr), *(t for p in slack_messages(empty, tr) for t in slack_text(p))]
    split = replace(the_digest(dest), part=2, parts=3)
    texts += [render_text(split, tr)]
    texts += [t for p in slack_messages(split, tr) for t in slack_text(p)]
    for text in texts:
        assert english_left(text, locale) == [], text
    assert tr.gettext("part %(part)s of %(parts)s") % {"part": 2, "parts": 3} in "\n".join(texts)
    assert tr.gettext("No new articles in this period.") in texts[0]


@pytest.mark.parametrize("locale", TRANSLATED)
def test_operator_notices_in_the_targets_language(locale: str) -> None:
    from bot.config import FeedConfig
    from bot.pipeline import FeedOutcome
    from bot.store.outbox import DestinationState

    tr = load_translator(locale)
    target = destination(locale=locale)
    feed = FeedConfig(url="https://a.example/rss", name="Nguồn A")
    outcome = FeedOutcome(feed.url, "Nguồn A", "failed", error="HTTP 503", consecutive_failures=5)
    since = NOW - timedelta(hours=3)
    state = DestinationState("desk-slack", None, None, "HTTP 500", since, pending=4, dead_letters=0)
    notices = [feed_notice(feed, outcome, threshold=5, now=NOW)]
    notices += destination_notices([state], now=NOW, failing_for=3600, exclude=None)
    for notice in notices:
        assert notice is not None
        digest = notice_digest(target, notice, now=NOW, tr=tr)
        text = render_text(digest, tr)
        assert english_left(text, locale) == [], text
        assert "failed" in notice.text or "failing" in notice.text  # the log keeps English
