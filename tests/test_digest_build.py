"""build_digest: filtering, grouping, ranking, same-story collapsing, snippets and highlights."""

from __future__ import annotations

from datetime import timedelta

from bot.digest import build_digest
from bot.digest.text import clean_line, find_terms, segments, snippet_window, strip_html
from bot.i18n import LocalText
from bot.models import FeedHealth, RuleMatch
from tests.digest_helpers import NOW, destination, digest_of, item


def test_groups_by_best_rule_and_ranks_by_score_then_recency() -> None:
    d = digest_of(
        [
            item(1, "Rail loan signed in Hanoi", rule="oda", score=1.0, hours_ago=1),
            item(2, "Tokyo summit on chips", rule="trade", score=5.0, hours_ago=3),
            item(3, "Metro line opens with Tokyo funding", rule="oda", score=3.0, hours_ago=5),
            item(4, "Older metro update from Hanoi", rule="oda", score=1.0, hours_ago=9),
        ]
    )
    assert [g.name for g in d.groups] == ["trade", "oda"]
    assert [e.item_id for e in d.groups[1].entries] == [3, 1, 4]
    assert d.rules_fired == ("oda", "trade")
    assert not d.is_empty


def test_an_item_matching_two_rules_appears_once_under_its_best_rule() -> None:
    both = item(
        1,
        "Tokyo and Hanoi agree on port loan",
        matches=(
            RuleMatch(rule="trade", score=1.0, terms=("port",)),
            RuleMatch(rule="oda", score=4.0, terms=("loan",)),
        ),
    )
    d = digest_of([both])
    assert [g.name for g in d.groups] == ["oda"]
    assert d.entries[0].rules == ("oda", "trade")
    assert d.item_ids == (1,)


def test_destination_filters_rules_tags_and_min_score() -> None:
    items = [
        item(1, "Tokyo rail loan", rule="oda", score=3.0, tags=("finance",)),
        item(2, "Hanoi chip factory", rule="trade", score=3.0, tags=("industry",)),
        item(3, "Weak mention of Tokyo", rule="oda", score=0.5, tags=("finance",)),
    ]
    by_rule = digest_of(items, dest=destination(rules=("oda",), min_score=1.0))
    assert by_rule.item_ids == (1,)
    by_tag = digest_of(items, dest=destination(tags=("industry",)))
    assert by_tag.item_ids == (2,)
    assert [g.name for g in by_tag.groups] == ["industry"]  # a tag-routed destination groups by tag


def test_no_wanted_items_is_an_empty_digest() -> None:
    d = digest_of([item(1, "Tokyo loan", score=0.1)], dest=destination(min_score=1.0))
    assert d.is_empty and d.item_ids == () and d.rules_fired == ()


def test_same_canonical_link_collapses_with_also_covered_by() -> None:
    d = digest_of(
        [
            item(
                1,
                "Japan funds new bridge",
                outlet="Wire A",
                canonical="https://x.example/s",
                score=2,
            ),
            item(2, "Bridge funding from Japan", outlet="Wire B", canonical="https://x.example/s"),
            item(3, "Unrelated Hanoi rail story", outlet="Wire C"),
        ]
    )
    assert len(d.entries) == 2
    lead = next(e for e in d.entries if e.item_id == 1)
    assert [(c.outlet, c.title, c.link) for c in lead.also_covered_by] == [
        ("Wire B", "Bridge funding from Japan", "https://news.example/a/2")
    ]
    assert lead.merged_item_ids == (2,)
    assert sorted(d.item_ids) == [1, 2, 3]  # the folded item is delivered too


def test_near_duplicate_titles_collapse_only_within_the_window() -> None:
    title = "Vietnam and Japan upgrade ties to comprehensive strategic partnership"
    d = digest_of(
        [
            item(1, title, outlet="Saigon Ledger", score=3.0),
            item(2, f"{title} - River Post", outlet="River Post", hours_ago=2),
            item(3, title.replace("upgrade", "elevate"), outlet="Kyoto Courier", hours_ago=4),
            item(4, title, outlet="Old Archive", hours_ago=24 * 5),
        ]
    )
    lead = d.entries[0]
    assert lead.item_id == 1
    assert {c.outlet for c in lead.also_covered_by} == {"River Post", "Kyoto Courier"}
    assert [e.item_id for e in d.entries] == [1, 4]


def test_different_stories_with_shared_words_stay_apart() -> None:
    d = digest_of(
        [
            item(1, "Japan and Vietnam sign semiconductor agreement in Tokyo"),
            item(2, "Japan and Vietnam sign fisheries agreement in Da Nang"),
        ]
    )
    assert len(d.entries) == 2


def test_japanese_near_duplicates_collapse() -> None:
    d = digest_of(
        [
            item(1, "日越首脳が会談、半導体協力で合意", outlet="東都新聞", lang="ja"),
            item(2, "日越首脳が会談 半導体協力で合意", outlet="関西日報", lang="ja"),
        ]
    )
    assert len(d.entries) == 1 and d.entries[0].also_covered_by


def test_snippet_is_plain_text_and_highlights_point_at_terms() -> None:
    html = "<p>Officials in <b>Hanoi</b> &amp; Tokyo met.<script>var x=1;</script></p><p>More.</p>"
    d = digest_of([item(1, "Talks", summary=html, terms=("Tokyo", "hanoi"))])
    e = d.entries[0]
    assert e.snippet == "Officials in Hanoi & Tokyo met. More."
    assert [e.snippet[s:t] for s, t in e.highlights] == ["Hanoi", "Tokyo"]


def test_snippet_window_moves_to_show_a_late_match() -> None:
    filler = "Weather and sports news of the day. " * 30
    d = digest_of([item(1, "Talks", summary=filler + "Then the Tokyo delegation arrived.")])
    e = d.entries[0]
    assert len(e.snippet) < 300 and e.snippet.startswith("…")
    assert [e.snippet[s:t] for s, t in e.highlights] == ["Tokyo"]


def test_injected_highlighter_is_used_with_the_wanted_rules() -> None:
    calls: list[tuple[str, tuple[str, ...]]] = []

    def highlight(text: str, rules: object) -> list[tuple[int, int]]:
        calls.append((text, tuple(rules)))  # type: ignore[arg-type]
        i = text.index("rail")
        return [(i, i + 4)]

    d = build_digest(
        destination=destination(),
        items=[item(1, "T", summary="A new rail link.", rule="oda")],
        key="k",
        period_start=None,
        period_end=NOW,
        highlight=highlight,
    )
    assert calls == [("A new rail link.", ("oda",))]
    e = d.entries[0]
    assert [e.snippet[s:t] for s, t in e.highlights] == ["rail"]


def test_titles_lose_line_breaks_and_controls_but_keep_angle_brackets() -> None:
    title = "A <b>bold</b> &\r\nBcc: x@example.org\u2028next\x1b[31m\u202eevil"
    d = digest_of([item(1, title, outlet="Bad\nOutlet")])
    e = d.entries[0]
    assert e.title == "A <b>bold</b> & Bcc: x@example.org next[31mevil"
    assert e.outlet == "Bad Outlet"


def test_health_is_ordered_failing_first() -> None:
    ok = FeedHealth(url="https://q.example", name="Quiet", last_success=NOW, last_error=None,
                    consecutive_failures=0)  # fmt: skip
    bad = FeedHealth(url="https://b.example", name="Broken", last_success=None,
                     last_error="fetch: 500", consecutive_failures=2)  # fmt: skip
    d = digest_of([item(1, "Tokyo")], health=[ok, bad])
    assert [h.name for h in d.source_health] == ["Broken", "Quiet"]


def test_text_helpers() -> None:
    assert strip_html("x &lt;b&gt; <br>y") == "x <b> y"
    assert clean_line(" a\u0085b\u2029c\td ") == "a b c d"
    assert find_terms("Tokyo, TOKYO and tokyo", ["tokyo"]) == [(0, 5), (7, 12), (17, 22)]
    assert segments("abcdef", [(1, 3), (2, 4)]) == [("a", False), ("bcd", True), ("ef", False)]
    text, offset = snippet_window("word " * 100, [], size=50)
    assert text.endswith("…") and offset == 0 and len(text) <= 51


def test_period_start_none_and_timezone_carried() -> None:
    d = build_digest(
        destination=destination(timezone="Asia/Tokyo", title="VN\nJP"),
        items=[item(1, "Tokyo")],
        key="k",
        period_start=None,
        period_end=NOW + timedelta(hours=1),
    )
    assert d.timezone == "Asia/Tokyo" and d.title == "VN JP" and d.period_start is None


def test_wrap_display_counts_wide_characters_and_keeps_closing_marks() -> None:
    from bot.digest.text import display_width, wrap_display

    ja = "日本とベトナムの首脳は会談し、協力の強化で一致した。" * 3
    lines = wrap_display(ja, 40)
    assert "".join(lines) == ja
    assert all(display_width(line) <= 42 for line in lines)  # a closing mark may overhang
    assert not any(line[0] in "、。" for line in lines)
    assert wrap_display("alpha beta gamma delta", 11) == ["alpha beta", "gamma delta"]


def test_a_catch_all_rule_does_not_swallow_the_topic_sections() -> None:
    def both(rule: str) -> list[RuleMatch]:
        # the umbrella rule always scores highest: it contains every topic's terms
        return [RuleMatch("vietnam-japan", 9.0), RuleMatch(rule, 3.0)]

    items = [
        item(1, "Japan lends Vietnam yen for a metro line", matches=both("vn-jp-aid")),
        item(2, "Coast guards of Vietnam and Japan drill", matches=both("vn-jp-security")),
        item(3, "JICA signs a hospital grant with Hanoi", matches=both("vn-jp-aid")),
        item(4, "Vietnam and Japan mark a festival", matches=[RuleMatch("vietnam-japan", 5.0)]),
    ]
    groups = {g.name: [e.item_id for e in g.entries] for g in digest_of(items).groups}
    assert groups == {"vn-jp-aid": [1, 3], "vn-jp-security": [2], "vietnam-japan": [4]}


def test_groups_are_headed_by_rule_titles_where_given() -> None:
    d = build_digest(
        destination=destination(),
        items=[item(1, "Loan signed", rule="oda"), item(2, "Drill held", rule="security")],
        key="k",
        period_start=None,
        period_end=NOW,
        titles={"oda": LocalText.of("ODA, JICA and aid\n")},
    )
    headings = {g.name: g.heading for g in d.groups}
    assert headings == {"oda": "ODA, JICA and aid", "security": "security"}
