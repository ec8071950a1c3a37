"""Placement by meaning and highlights that explain, with the shipped rules.

One invented article per topic in each language, each written so that another topic's rule also
matches it and scores as much or more (the body mentions workers, investment, training…): the
article must still be filed under the topic its headline names, alone in a digest or with the
others, and its snippet must highlight only what filed it there.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.config import ConsoleOptions, DestinationConfig
from bot.digest import build_digest
from bot.digest.place import Span
from bot.models import Document, PendingItem, RuleMatch
from bot.rules import RuleSet, load_rules

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 23, tzinfo=UTC)
DEST = DestinationConfig(name="desk", type="console", options=ConsoleOptions())

# (lang, the topic's rule, title, summary): invented for this test
ARTICLES = [
    ('en', 'vn-jp-partnership',
     'Japanese prime minister arrives in Hanoi for state visit',
     'The visit marks the comprehensive strategic partnership; both sides will also discuss more visas for Vietnamese workers and students.'),
    ('en', 'vn-jp-security',
     'Japan to transfer defence equipment to Vietnam under new deal',
     'Tokyo will also train Vietnamese engineers and welcome more technical trainees, officials in Hanoi said.'),
    ('en', 'vn-jp-aid',
     'JICA signs yen loan for Hanoi metro line',
     "Japan's ODA package also funds training for Vietnamese workers and a new university campus."),
    ('en', 'vn-jp-economy',
     'Japanese chipmaker to build semiconductor plant in Vietnam',
     'The investment in Bac Ninh will employ 2,000 Vietnamese workers, many trained in Japan.'),
    ('en', 'vn-jp-people',
     'Record number of Vietnamese technical trainees in Japan',
     "Japan's ministry said the workers mostly join factories of firms investing in Vietnam's supply chains."),
    ('vi', 'vn-jp-security',
     'Nhật Bản chuyển giao trang thiết bị quốc phòng cho Việt Nam',
     'Hai bên cũng thống nhất tăng số thực tập sinh và du học sinh Việt Nam sang Nhật Bản.'),
    ('vi', 'vn-jp-aid',
     'JICA ký khoản vay ODA cho tuyến metro Hà Nội',
     'Nhật Bản cũng hỗ trợ đào tạo lao động Việt Nam và đầu tư vào chuỗi cung ứng.'),
    ('vi', 'vn-jp-people',
     'Số thực tập sinh Việt Nam tại Nhật Bản đạt kỷ lục',
     'Nhiều lao động làm việc tại nhà máy của doanh nghiệp Nhật Bản đầu tư vào Việt Nam.'),
    ('ja', 'vn-jp-security',
     '防衛装備品をベトナムに移転へ 日本政府が合意',
     '日本はベトナム人技能実習生の受け入れ拡大や留学生支援でも協力する。'),
    ('ja', 'vn-jp-people',
     'ベトナム人技能実習生、日本で過去最多に',
     '多くは日本企業のベトナム投資やサプライチェーン関連の工場で働く。'),
    ('ja', 'vn-jp-aid',
     'JICA、ハノイの都市鉄道に円借款',
     '日本はベトナムの半導体人材育成や技能実習生の受け入れでも協力する。'),
    ('id', 'vn-jp-security',
     'Jepang serahkan kapal patroli kepada penjaga pantai Vietnam',
     'Kedua negara juga sepakat menambah pekerja magang dan pelajar Vietnam di Jepang.'),
    ('id', 'vn-jp-people',
     'Jumlah pekerja magang Vietnam di Jepang capai rekor',
     'Banyak pekerja bekerja di pabrik perusahaan Jepang yang berinvestasi di Vietnam.'),
]  # fmt: skip


@pytest.fixture(scope="module")
def rules() -> RuleSet:
    return load_rules([ROOT / "rules"])


def pending(rules: RuleSet, n: int) -> PendingItem:
    lang, _, title, summary = ARTICLES[n]
    found = rules.match(Document(title=title, summary=summary, lang=lang))
    return PendingItem(
        item_id=n, title=title, link=f"https://news.example/{n}", canonical_link=None,
        feed_url="https://news.example/rss", outlet="Desk", lang=lang, published=NOW,
        fetched_at=NOW, summary=summary, content="", matches=tuple(RuleMatch.of(r) for r in found),
    )  # fmt: skip


def placed(rules: RuleSet, items: list[PendingItem]) -> dict[int, str]:
    d = build_digest(destination=DEST, items=items, key="k", period_start=None, period_end=NOW,
                     highlight=rules.highlight)  # fmt: skip
    return {e.item_id: g.name for g in d.groups for e in g.entries}


def test_each_article_is_contested_by_a_rule_scoring_as_much(rules: RuleSet) -> None:
    for n, (_, topic, _, _) in enumerate(ARTICLES):
        scores = {m.rule: m.score for m in pending(rules, n).matches}
        others = [s for r, s in scores.items() if r not in (topic, "vietnam-japan")]
        assert topic in scores and others and max(others) >= scores[topic], ARTICLES[n]


@pytest.mark.parametrize("n", range(len(ARTICLES)))
def test_an_article_alone_goes_under_its_topic(rules: RuleSet, n: int) -> None:
    assert placed(rules, [pending(rules, n)]) == {n: ARTICLES[n][1]}


def test_all_articles_together_go_under_their_topics(rules: RuleSet) -> None:
    got = placed(rules, [pending(rules, n) for n in range(len(ARTICLES))])
    assert got == {n: a[1] for n, a in enumerate(ARTICLES)}


def test_the_snippet_highlights_what_filed_the_article_not_other_topics(rules: RuleSet) -> None:
    d = build_digest(destination=DEST, items=[pending(rules, 1)], key="k", period_start=None,
                     period_end=NOW, highlight=rules.highlight)  # fmt: skip
    [e] = d.entries
    shown = [e.snippet[s:t] for s, t in e.highlights]
    assert "trainees" in e.snippet and "trainees" not in shown  # the people rule's term
    assert {"Tokyo", "Vietnamese", "Hanoi"} <= set(shown)  # the pairing that carried the match


RULES = """
rules:
  - name: deal
    all:
      - [Japan]
      - any: [loan, {term: new, highlight: false}]
    none:
      - all: [football, {none: [ministry]}]
    examples: {match: ["Japan new loan"]}
"""


def test_highlight_false_and_exceptions_to_exclusions_are_not_reasons(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(RULES, encoding="utf-8")
    rs = load_rules([path])
    text = "Japan ministry signs new loan"
    assert [text[s:e] for s, e in rs.highlight(text, ["deal"])] == ["Japan", "loan"]
    assert rs.match(Document(title="Japan new deal"))  # a highlight: false term still matches


def test_the_shipped_rules_never_show_generic_words_as_reasons(rules: RuleSet) -> None:
    for text, generic in (
        ("両国の政府はベトナムと日本の協力を確認", {"両国", "政府"}),
        ("Japan and Vietnam sign an agreement", {"agreement"}),
        ("Thủ tướng Việt Nam gặp Thủ tướng Nhật Bản", {"gặp"}),
    ):
        shown = {text[s:e] for s, e in rules.highlight(text, rules.names)}
        assert shown and not shown & generic, (text, shown)


# (lang, title, summary, the rules it must be filed under one of): the catch-all has hits in the
# title (the pairing, "kerja sama") while the topic rules have theirs only in the summary
TOPIC_IN_THE_TEXT = [
    ('en', 'Japan to fund 5 projects in Osaka under Vietnam partnership',
     'Japan will fund 5 infrastructure projects in Osaka, JICA said, in a new ODA package agreed with Vietnam.',
     {'vn-jp-aid', 'vn-jp-economy'}),
    ('id', 'Vietnam dan Jepang perluas kerja sama maritim',
     'Kementerian luar negeri Vietnam dan Jepang menyepakati kerja sama maritim baru di Laut China Selatan.',
     {'vn-jp-security'}),
]  # fmt: skip


@pytest.mark.parametrize("n", range(len(TOPIC_IN_THE_TEXT)))
def test_the_catch_all_never_takes_an_article_a_topic_rule_matched(rules: RuleSet, n: int) -> None:
    lang, title, summary, topics = TOPIC_IN_THE_TEXT[n]
    found = rules.match(Document(title=title, summary=summary, lang=lang))
    assert {"vietnam-japan", *topics} <= {r.rule for r in found}  # contested by the catch-all
    item = PendingItem(
        item_id=n, title=title, link=f"https://news.example/t{n}", canonical_link=None,
        feed_url="https://news.example/rss", outlet="Desk", lang=lang, published=NOW,
        fetched_at=NOW, summary=summary, content="",
        matches=tuple(RuleMatch.of(r) for r in found),
    )  # fmt: skip
    assert placed(rules, [item])[n] in topics


# (lang, title, summary, full text): the topic only in the full text, which is what the security
# rule matched on; the catch-all's longer terms (海上保安庁) and merged spans (巡視船供与) cover it
TOPIC_IN_THE_FULL_TEXT = [
    ('en', 'Vietnam and Japan expand cooperation', 'Ministers of the two countries met in Tokyo on Tuesday.',
     'The talks covered coast guard patrol vessels, maritime security in the South China Sea and the transfer of defence equipment.'),
    ('vi', 'Việt Nam và Nhật Bản mở rộng hợp tác', 'Bộ trưởng hai nước đã hội đàm tại Tokyo hôm thứ Ba.',
     'Hai bên thảo luận về tàu tuần tra cho cảnh sát biển, an ninh hàng hải và chuyển giao trang thiết bị quốc phòng.'),
    ('ja', '日越、協力拡大で一致', '両国の閣僚が火曜日、東京で会談した。',
     '会談では海上保安庁の巡視船供与、南シナ海の海洋安全保障、防衛装備品の移転について協議した。'),
    ('id', 'Vietnam dan Jepang perluas kerja sama', 'Menteri kedua negara bertemu di Tokyo pada Selasa.',
     'Pembicaraan mencakup kapal patroli penjaga pantai, keamanan maritim di Laut China Selatan, dan alih peralatan pertahanan.'),
]  # fmt: skip


@pytest.mark.parametrize("n", range(len(TOPIC_IN_THE_FULL_TEXT)))
def test_a_topic_found_only_in_the_full_text_still_files_the_article(
    rules: RuleSet, n: int
) -> None:
    lang, title, summary, content = TOPIC_IN_THE_FULL_TEXT[n]
    found = rules.match(Document(title=title, summary=summary, content=content, lang=lang))
    assert "vn-jp-security" in {r.rule for r in found}
    assert "vn-jp-security" not in {
        r.rule for r in rules.match(Document(title=title, summary=summary, lang=lang))
    }
    item = PendingItem(
        item_id=n, title=title, link=f"https://news.example/c{n}", canonical_link=None,
        feed_url="https://news.example/rss", outlet="Desk", lang=lang, published=NOW,
        fetched_at=NOW, summary=summary, content=content,
        matches=tuple(RuleMatch.of(r) for r in found),
    )  # fmt: skip
    assert placed(rules, [item])[n] == "vn-jp-security"


def test_the_counts_a_reader_sees_are_the_sections_and_add_up(rules: RuleSet) -> None:
    from bot.digest.render import digest_payload, render_html, render_text
    from bot.digest.slack import slack_messages
    from bot.i18n import load_translator
    from bot.rules import rule_titles

    items = [pending(rules, n) for n in range(len(ARTICLES))]
    assert sum(len(i.matches) for i in items) > len(items)  # stories match several rules
    d = build_digest(destination=DEST, items=items, key="k", period_start=None, period_end=NOW,
                     highlight=rules.highlight, titles=rule_titles(rules))  # fmt: skip
    for locale in ("en", "vi", "ja", "id"):
        tr = load_translator(locale)
        text = render_text(d, tr)
        shown = [int(n) for n in re.findall(r"^== .*[(（](\d+)[)）] ==$", text, re.M)]
        assert len(shown) == len(d.groups) and sum(shown) == len(d.entries) == len(items)
        # no second tally per rule in any channel's visible text: it named sections the digest
        # does not have and added up to more than the stories
        slack = json.dumps(slack_messages(d, tr), ensure_ascii=False)
        for visible in (text, render_html(d, tr), slack):
            for rule in rules.names:  # headings are in the destination's locale (en)
                assert visible.count(rule_titles(rules)[rule].get("en")) == (
                    rule in {g.name for g in d.groups}
                ), (locale, rule)
        doc = digest_payload(d, tr)
        assert [g["count"] for g in doc["groups"]] == [len(g["item_ids"]) for g in doc["groups"]]
        assert sum(g["count"] for g in doc["groups"]) == doc["stories"] == len(items)


def test_place_names_pair_the_story_but_are_not_shown_as_its_reason(rules: RuleSet) -> None:
    for n, city in enumerate(("Osaka", "Da Nang", "Hai Phong")):
        title = f"Japan to fund {n + 5} projects in {city} under Vietnam partnership"
        summary = (
            f"Japan will fund infrastructure projects in {city}, JICA said, in a new ODA package."
        )
        # the place still matches: it is the only name of its side in these headlines
        alone = {"Osaka": "Vietnamese technical trainees welcomed in Osaka",
                 "Da Nang": "JICA funds new water plant in Da Nang",
                 "Hai Phong": "JICA funds new port in Hai Phong"}[city]  # fmt: skip
        assert rules.match(Document(title=alone, lang="en")), alone
        found = rules.match(Document(title=title, summary=summary, lang="en"))
        item = PendingItem(
            item_id=n, title=title, link=f"https://news.example/p{n}", canonical_link=None,
            feed_url="https://news.example/rss", outlet="Desk", lang="en", published=NOW,
            fetched_at=NOW, summary=summary, content="", matches=tuple(RuleMatch.of(r) for r in found),
        )  # fmt: skip
        d = build_digest(destination=DEST, items=[item], key="k", period_start=None, period_end=NOW,
                         highlight=rules.highlight)  # fmt: skip
        [e] = d.entries
        shown = {e.snippet[s:t] for s, t in e.highlights}
        assert city in e.snippet and city not in shown and {"JICA", "ODA"} <= shown, shown


@given(
    st.lists(st.tuples(st.integers(0, 60), st.integers(1, 8)), max_size=6),
    st.lists(st.tuples(st.integers(0, 60), st.integers(1, 8)), max_size=6),
)
def test_span_containment_agrees_with_character_sets(a: list[Span], b: list[Span]) -> None:
    from bot.digest.place import _inside
    from bot.rules.scan import merge_spans

    small = sorted({(s, s + n) for s, n in a})
    big = merge_spans((s, s + n) for s, n in b)  # highlights are merged: they never overlap
    chars = {i for s, e in big for i in range(s, e)}

    def within_one(s: int, e: int) -> bool:
        return any(bs <= s and e <= be for bs, be in big)

    assert _inside(small, big) == all(within_one(s, e) for s, e in small)
    if _inside(small, big):
        assert all(set(range(s, e)) <= chars for s, e in small)
