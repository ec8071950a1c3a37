"""Every delivered article reachable from its digest, in every channel, with counts that add up.

A burst of templated headlines from one outlet (one pattern, different numbers; each story in
several "(update k)" versions) plus the same stories from another outlet goes through the outbox
to the real loopback receivers: Slack (Block Kit validated by slack_sdk), SMTP (aiosmtpd, parsed
back), a JSON webhook and the file channel. Each must link every one of the articles.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.config import (
    AppriseOptions,
    ConsoleOptions,
    DestinationConfig,
    DestinationOptions,
    EmailOptions,
    FileOptions,
    SlackOptions,
    WebhookOptions,
)
from bot.deliver import DeliveryStatus, deliver
from bot.digest.render import digest_payload
from bot.i18n import LocalText, load_translator
from bot.models import Item, RuleMatch
from bot.notify import create_notifier
from bot.notify.apprise import AppriseNotifier, defuse_mentions, escape_markdown
from bot.store import NewItem, Store
from tests.digest_helpers import Receiver, destination, digest_of, item
from tests.servers import smtp_server
from tests.test_deliver import Clock
from tests.test_notify_slack import validate

EN = load_translator("en")

T = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)
WIRE, RIVAL = "https://statewire.example/rss", "https://delta.example/rss"
SECTORS = ("energy", "port", "rail", "chip", "health")


def burst(store: Store, dest: str) -> dict[str, str]:
    """50 stories x 4 versions from State Wire, 20 of them also from Delta Wire: 220 articles.
    Returns link -> title."""
    store.sync_feeds([(WIRE, "State Wire"), (RIVAL, "Delta Wire")])
    links: dict[str, str] = {}
    for feed, outlet in ((WIRE, "State Wire"), (RIVAL, "Delta Wire")):
        batch = []
        for s in range(50):
            headline = (
                f"Vietnam, Japan agree to boost {SECTORS[s % 5]} cooperation with {s + 2} projects"
            )
            versions = range(4) if outlet == "State Wire" else range(1 if s < 20 else 0)
            for v in versions:
                title = f"{headline} (update {v})" if v else headline
                if outlet == "Delta Wire":
                    title = f"{headline} - Delta Wire"
                link = f"https://{outlet.split()[0].lower()}.example/{s}/{v}"
                links[link] = title
                batch.append(
                    NewItem(
                        item=Item(key=link, feed_url=feed, title=title, link=link,
                                  summary="Officials in Hanoi and Tokyo met.",
                                  published=T - timedelta(minutes=s * 5 + v)),
                        canonical_link=link,
                        matches=(RuleMatch(rule="vn-jp", score=2.0, terms=("Hanoi",)),),
                        destinations=(dest,),
                    )
                )  # fmt: skip
        store.add_items(feed, batch, now=T)
    assert len(links) == 220
    return links


def run(dest: DestinationConfig, tmp_path: Path, **kw: Any) -> tuple[dict[str, str], Any]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    with Store(tmp_path / f"{dest.name}.sqlite3") as store:
        links = burst(store, dest.name)
        out = asyncio.run(
            deliver(dest, store=store, clock=Clock(), titles={"vn-jp": LocalText.of("Vietnam–Japan ties")},
                    notifier=create_notifier(dest, sleep=lambda s: None, **kw))
        )  # fmt: skip
        assert store.destination_states([dest.name])[0].pending == 0
    assert (
        out.status == DeliveryStatus.SENT and out.items == 220
    )  # the log's count is what readers can reach
    return links, out


def dest_of(kind: str, options: DestinationOptions) -> DestinationConfig:
    return DestinationConfig(name=f"desk-{kind}", type=kind, options=options)


class Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.hrefs += [v or "" for k, v in attrs if tag == "a" and k == "href"]


def test_slack_links_every_article_and_counts_stories_and_articles(tmp_path: Path) -> None:
    with Receiver().running() as r, httpx.Client(timeout=5) as http:
        links, _ = run(dest_of("slack", SlackOptions(webhook_url=r.url + "/hook")), tmp_path,
                       http=http)  # fmt: skip
    payloads = [req.json() for req in r.requests]
    for p in payloads:
        validate(p)
    text = json.dumps(payloads, ensure_ascii=False)
    found = re.findall(r"<(https://[^|>]+)\|", text)
    assert sorted(found) == sorted(links)  # every article linked, none twice
    assert "50 stories · 220 articles" in payloads[0]["blocks"][0]["text"]["text"]
    assert "+3 more from State Wire" in text and "Also covered by <https://delta" in text
    assert "*Vietnam–Japan ties* · 50" in text  # the section is headed by the rule's title


def test_email_html_and_text_link_every_article(tmp_path: Path) -> None:
    with smtp_server() as (sink, port):
        opts = EmailOptions(smtp_host="127.0.0.1", smtp_port=port, from_addr="bot@example.org",
                            to=("desk@example.org",), timeout=5.0)  # fmt: skip
        links, out = run(dest_of("email", opts), tmp_path)
    [msg] = sink.messages
    assert msg["Subject"] == "Vietnam–Japan: 50 stories · 220 articles — 23 Nov 2026"
    html = msg.get_body(("html",)).get_content()
    parser = Hrefs()
    parser.feed(html)
    assert sorted(parser.hrefs) == sorted(links)
    text = msg.get_body(("plain",)).get_content()
    assert sorted(re.findall(r"https://\S+", text)) == sorted(links)
    assert "   +3 more from State Wire:\r\n     - Vietnam, Japan agree" in text
    # the key is in the headers, not in what the reader sees
    assert msg["X-Newsbot-Digest-Key"] == out.key and out.key not in text + html


def test_webhook_json_and_file_channel_link_every_article(tmp_path: Path) -> None:
    with Receiver().running() as r, httpx.Client(timeout=5) as http:
        links, out = run(dest_of("webhook", WebhookOptions(url=r.url + "/hook")), tmp_path,
                         http=http)  # fmt: skip
    doc = r.requests[0].json()
    assert (doc["count"], doc["stories"], doc["key"]) == (220, 50, out.key)
    reached = [e["link"] for e in doc["entries"]]
    for e in doc["entries"]:
        reached += [c["link"] for c in e["also_covered_by"] + e["more_from_outlet"]]
        assert all(set(c) >= {"outlet", "title", "link"} for c in e["also_covered_by"])
    assert sorted(reached) == sorted(links)
    for fmt in ("text", "json", "html"):
        folder = tmp_path / "out" / fmt
        run(dest_of("file", FileOptions(dir=folder, format=fmt)), tmp_path / fmt)
        [written] = list(folder.iterdir())
        content = written.read_text(encoding="utf-8")
        assert all(link in content for link in links), fmt


def test_webhook_json_passes_only_web_links() -> None:
    bad = ("javascript:alert(1)", "data:text/html,<script>x</script>", "https://ok.example/1")
    d = digest_of(
        [
            item(1, "Tokyo and Hanoi sign rail deal", link=bad[0], outlet="A"),
            item(2, "Tokyo and Hanoi sign rail deal", link=bad[1], outlet="B"),
            item(3, "Tokyo and Hanoi sign rail deal", link=bad[2], outlet="C"),
        ]
    )
    doc = digest_payload(d, EN)
    links = [e["link"] for e in doc["entries"]]
    links += [c["link"] for e in doc["entries"] for c in e["also_covered_by"]]
    assert sorted(links, key=str) == sorted([None, None, "https://ok.example/1"], key=str)


def stored(store: Store, n: int, *, arrived: datetime, published: datetime | None,
           urgent: bool = False) -> None:  # fmt: skip
    link = f"https://harbour.example/{n}"
    store.add_items(WIRE, [NewItem(
        item=Item(key=link, feed_url=WIRE, title=f"Tokyo and Hanoi sign rail deal {n}", link=link,
                  summary="Officials in Hanoi and Tokyo met.", published=published),
        canonical_link=link, matches=(RuleMatch(rule="vn-jp", score=2.0, terms=("Hanoi",)),),
        destinations=("desk",), urgent=("desk",) if urgent else (),
    )], now=arrived)  # fmt: skip


def sent_text(store: Store, now: datetime, *, urgent_only: bool = False) -> str:
    import io

    dest = DestinationConfig(name="desk", type="console", options=ConsoleOptions())
    out = io.StringIO()
    outcome = asyncio.run(deliver(dest, store=store, clock=lambda: now, urgent_only=urgent_only,
                                  titles={"vn-jp": LocalText.of("Vietnam–Japan ties")},
                                  notifier=create_notifier(dest, stream=out)))  # fmt: skip
    assert outcome.status == DeliveryStatus.SENT
    return out.getvalue()


def test_the_period_starts_at_the_oldest_article_the_digest_brings(tmp_path: Path) -> None:
    """A first digest says since when its articles date (published, else arrived), not the time
    of sending; a digest after an urgent-only one starts where its waiting articles do."""
    with Store(tmp_path / "s.sqlite3") as store:
        store.sync_feeds([(WIRE, "Harbour Times")])
        # arrived an hour before the first send, published half an hour before that
        stored(store, 1, arrived=T - timedelta(hours=1), published=T - timedelta(hours=1.5))
        stored(store, 2, arrived=T - timedelta(hours=1), published=None)
        text = sent_text(store, T)
        assert text.splitlines()[1].startswith("since 23 Nov 2026 04:30 ·"), text  # not 06:00
        assert "== Vietnam–Japan ties (2) ==" in text and "desk:" not in text  # titles, no key
        # an urgent-only digest at T+1h leaves the ordinary article that arrived before it waiting
        stored(store, 3, arrived=T + timedelta(minutes=50), published=T + timedelta(minutes=20))
        stored(store, 4, arrived=T + timedelta(minutes=55), published=None, urgent=True)
        assert "rail deal 4" in sent_text(store, T + timedelta(hours=1), urgent_only=True)
        text = sent_text(store, T + timedelta(hours=2))
        assert "rail deal 3" in text
        # from its publication, not "07:00 – 08:00" (the urgent digest to now)
        assert text.splitlines()[1].startswith("23 Nov 2026, 06:20–08:00 ·"), text


# ------------------------------------------------------------------------------ Apprise targets

HOSTILE = "@everyone <!channel> <@U123> <@&42> **bold** [click](https://evil.example) ~~x~~"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # apprise imports imghdr on 3.11/3.12
def test_apprise_body_pings_no_one_and_formats_nothing() -> None:
    apprise = pytest.importorskip("apprise")
    from apprise.plugins.discord import NotifyDiscord

    d = digest_of([item(1, HOSTILE)])
    with Receiver().running() as r:
        url = r.url.replace("http://", "json://") + "/notify"
        AppriseNotifier(destination(AppriseOptions(urls=(url,)), kind="apprise")).send(d)
    body = r.requests[0].json()["message"]
    assert "@everyone" not in body and "<@U123>" not in body and "<!channel>" not in body
    assert "everyone" in body and "U123" in body  # shown, defused, not dropped
    # Apprise's own Discord plugin finds no mention to allow in what we send it
    discord = apprise.Apprise.instantiate("discord://123/abcdef")
    assert isinstance(discord, NotifyDiscord)
    markdown = escape_markdown(defuse_mentions(HOSTILE))
    assert discord.ping_payload(markdown) == {} and discord.ping_payload(HOSTILE) != {}
    assert "\\*\\*bold\\*\\*" in markdown and "\\[click\\]" in markdown
    assert "https://evil.example" in markdown  # web addresses stay whole, clickable
