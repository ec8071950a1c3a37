"""Text, HTML and JSON renderings of a digest, template overrides, and escaping of feed text."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

from bot.digest import subject_line
from bot.digest.render import render_html, render_json, render_text
from bot.i18n import load_translator
from bot.models import FeedHealth
from tests.digest_helpers import INJECTION_TITLE, NOW, digest_of, item

EN = load_translator("en")


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.hrefs.extend(v or "" for k, v in attrs if k == "href")


def sample():  # type: ignore[no-untyped-def]
    health = [
        FeedHealth(url="https://down.example/rss", name="Down Daily", last_success=None,
                   last_error="fetch: 503 for https://down.example/rss", consecutive_failures=4),
    ]  # fmt: skip
    return digest_of(
        [
            item(1, "Tokyo and Hanoi open rail link", outlet="Harbour Times", rule="oda", score=3),
            item(2, "Tokyo and Hanoi open rail link", outlet="Delta Wire", rule="oda"),
            item(
                3,
                "東京とハノイ、鉄道で協力",
                outlet="東都新聞",
                lang="ja",
                summary="東京とハノイの関係者が会談した。",
                terms=("東京",),
            ),
        ],
        health=health,
    )


def test_text_has_header_items_and_footer_in_destination_timezone() -> None:
    text = render_text(sample(), EN)
    lines = text.splitlines()
    assert lines[0] == "Vietnam–Japan: 2 stories · 3 articles"
    # period in Asia/Ho_Chi_Minh (UTC+7): 01:00 UTC is 08:00 local
    assert lines[1].startswith("22 Nov 2026 08:00 – 23 Nov 2026 08:00")
    assert "1 feed failing" in lines[1]
    assert "1. Tokyo and Hanoi open rail link" in text
    assert "Harbour Times · en · 23 Nov 07:00" in text
    assert "   Also covered by:\n     - Delta Wire: https://news.example/a/2\n" in text
    assert "*東京*とハノイ" in text  # highlighted term
    assert "== oda (1) ==" in text and "== vn-jp (1) ==" in text  # sections count their stories
    assert "Matches per topic" not in text  # no per-rule tally that need not add up
    assert "Down Daily: failed 4×: fetch: 503" in text
    assert "All times are Vietnam Time (GMT+7)." in text
    assert "desk:2026" not in text  # the key is metadata, not reading matter


def test_html_escapes_feed_text_and_links_only_http() -> None:
    d = digest_of(
        [
            item(
                1,
                INJECTION_TITLE,
                link="javascript:alert(1)",
                summary="<img src=x onerror=alert(1)>Tokyo",
            ),
            item(2, "Normal", link="https://ok.example/a?x=1&y=2"),
        ]
    )
    html = render_html(d, EN)
    parser = _Tags()
    parser.feed(html)
    assert "script" not in parser.tags and "img" not in parser.tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;!channel&gt; Deal &amp;" in html
    assert parser.hrefs == ["https://ok.example/a?x=1&y=2"]
    assert 'font-weight:600;padding:0 1px;">Tokyo</span>' in html  # the highlighted term


def test_json_has_flat_entries_and_groups() -> None:
    doc = json.loads(render_json(sample(), EN))
    assert doc["key"] == "desk:2026-11-23T08:00" and doc["destination"] == "desk"
    assert doc["period_end"] == NOW.isoformat()
    assert {e["link"] for e in doc["entries"]} == {
        "https://news.example/a/1",
        "https://news.example/a/3",
    }
    first = doc["entries"][0]
    for field in ("title", "link", "outlet", "lang", "published", "snippet", "score", "rules",
                  "also_covered_by"):  # fmt: skip
        assert field in first
    assert first["also_covered_by"] == [
        {"item_id": 2, "outlet": "Delta Wire", "title": "Tokyo and Hanoi open rail link",
         "link": "https://news.example/a/2"}
    ]  # fmt: skip
    assert first["more_from_outlet"] == [] and first["merged_item_ids"] == [2]
    assert (doc["count"], doc["stories"]) == (3, 2)
    assert [(g["name"], g["count"]) for g in doc["groups"]] == [("oda", 1), ("vn-jp", 1)]
    assert doc["rules_fired"] == [
        {"rule": "oda", "title": "oda", "count": 1},
        {"rule": "vn-jp", "title": "vn-jp", "count": 1},
    ]
    assert doc["source_health"][0]["failing"] is True


def test_empty_digest_renders_everywhere() -> None:
    d = digest_of([])
    assert "No new articles in this period." in render_text(d, EN)
    assert "No new articles in this period." in render_html(d, EN)
    assert json.loads(render_json(d, EN))["entries"] == []
    assert subject_line(d, EN) == "Vietnam–Japan: 0 new articles — 23 Nov 2026"


def test_subject_is_one_line_in_local_date() -> None:
    d = digest_of([item(1, INJECTION_TITLE)])
    assert (
        subject_line(d, EN, prefix="[news]\r\n ")
        == "[news] Vietnam–Japan: 1 new article — 23 Nov 2026"
    )


def test_user_templates_override_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "digest.txt").write_text("{{ d.count }} items for {{ d.key }}\n")
    (tmp_path / "digest.html").write_text("<p>{{ d.groups[0].entries[0].title }}</p>")
    d = digest_of([item(1, "<b>Tokyo</b>")])
    assert render_text(d, EN, templates_dir=tmp_path) == "1 items for desk:2026-11-23T08:00\n"
    assert render_html(d, EN, templates_dir=tmp_path) == "<p>&lt;b&gt;Tokyo&lt;/b&gt;</p>"
    # a folder with only one of the two templates falls back to the default for the other
    (tmp_path / "digest.html").unlink()
    assert "<!DOCTYPE html>" in render_html(d, EN, templates_dir=tmp_path)
