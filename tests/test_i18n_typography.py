"""How each desk sets the digest's chrome, in every channel: the time zone named as a desk names it
(never the IANA name), labels with the colon the text part has (Slack's bold ones too), and Japanese
counts in newspaper style: full-width parentheses, no spaces around numbers, 件 and 本."""

from __future__ import annotations

import re

import pytest

from bot.digest.render import render_html, render_text
from bot.digest.slack import slack_messages
from bot.i18n import LOCALES, load_translator
from tests.digest_helpers import destination
from tests.test_i18n_digests import the_digest, visible

# the zone a desk in each language would set, and how its digests' footer names it
FOOTERS = {
    "en": ("Europe/London", "All times are British Time (GMT)."),
    "vi": ("Asia/Ho_Chi_Minh", "Thời gian tính theo giờ Việt Nam (GMT+7)."),
    "ja": ("Asia/Tokyo", "時刻は日本時間です。"),
    "id": ("Asia/Jakarta", "Semua waktu dalam WIB."),
}


def channels(locale: str, timezone: str = "Asia/Ho_Chi_Minh") -> dict[str, str]:
    tr = load_translator(locale)
    digest = the_digest(destination(locale=locale, timezone=timezone))
    slack = "\n".join(
        el["text"]
        for payload in slack_messages(digest, tr)
        for block in payload["blocks"]
        for el in ([block["text"]] if "text" in block else block.get("elements", []))
    )
    return {"text": render_text(digest, tr), "html": render_html(digest, tr), "slack": slack}


@pytest.mark.parametrize("locale", LOCALES)
def test_the_time_zone_is_named_as_the_desk_names_it(locale: str) -> None:
    zone, footer = FOOTERS[locale]
    seen = channels(locale, zone)
    for channel, text in seen.items():
        assert footer in text, channel
        assert zone not in (visible(text) if channel == "html" else text), channel


@pytest.mark.parametrize("locale", LOCALES)
def test_footer_labels_read_the_same_in_every_channel(locale: str) -> None:
    tr = load_translator(locale)
    health = tr.gettext("Source health:")
    gap = " " if locale != "ja" else ""  # nothing after a full-width colon
    seen = channels(locale)
    assert f"*{health}*{gap or chr(0x200B)}" in seen["slack"]
    assert f"{health}\n{gap}" in visible(seen["html"])


def test_japanese_counts_are_set_in_newspaper_style() -> None:
    seen = channels("ja")
    for channel, text in seen.items():
        shown = visible(text) if channel == "html" else text
        assert re.findall(r"\(\d", shown) == [], channel  # full-width （2）, not (2)
        assert re.findall(r"\d [件本媒回通以ま]|[件本媒]の? \d", shown) == [], channel
        # the section counts its stories
        assert re.search(r"首脳外交\W*(（2）|· 2)", shown), channel
        assert "ニュース3件・記事5本" in shown, channel
    assert "*フィードの状態：*\u200bエラー2件、更新なし2件" in seen["slack"]
    assert "== 首脳外交（2） ==" in seen["text"]
    assert "フィードの状態（エラー2件、更新なし2件）：" in seen["text"]
    assert "Nguồn A：3回連続で失敗：HTTP 503" in seen["text"]
    assert "2026年11月23日 7:00以降・3媒体・取得エラー2件" in seen["text"]
