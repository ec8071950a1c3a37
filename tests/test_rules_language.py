"""The rule language: each feature, and each validation error with its file:line:col."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from bot.errors import RuleError, RuleErrors
from bot.models import Document
from bot.rules import RuleSet, load_rules, load_some_rules


def ruleset(tmp_path: Path, text: str, name: str = "r.yaml") -> RuleSet:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_rules([path])


def matched(rs: RuleSet, title: str = "", summary: str = "", lang: str | None = None) -> list[str]:
    return [r.rule for r in rs.match(Document(title=title, summary=summary, lang=lang))]


def error(tmp_path: Path, text: str) -> RuleError:
    with pytest.raises(RuleError) as info:
        ruleset(tmp_path, text)
    return info.value


BASIC = """
aliases:
  VIETNAM: [Vietnam, "Việt Nam", ベトナム]
  JAPAN: [Japan, "Nhật Bản", 日本, Jepang]
rules:
  - name: pair
    all: [$VIETNAM, $JAPAN]
    none: [football]
"""


def test_all_any_none_and_aliases(tmp_path: Path) -> None:
    rs = ruleset(tmp_path, BASIC)
    assert matched(rs, "Vietnam and Japan sign a deal") == ["pair"]
    assert matched(rs, "Vietnam signs a deal") == []
    assert matched(rs, "Vietnam and Japan football friendly") == []
    assert matched(rs, "ベトナムと日本が協定に署名") == ["pair"]
    assert matched(rs, "Vietnam dan Jepang") == ["pair"]


def test_latin_terms_respect_word_boundaries_cjk_do_not(tmp_path: Path) -> None:
    rs = ruleset(tmp_path, BASIC)
    assert matched(rs, "Japanese firms in Vietnam") == []  # "Japan" is not "Japanese"
    assert matched(rs, "ベトナム人労働者、日本で増加") == ["pair"]  # CJK: substrings


def test_suffix_wildcard(tmp_path: Path) -> None:
    rs = ruleset(tmp_path, "rules:\n  - name: w\n    any: ['mitra*', 'Japan*']\n")
    assert matched(rs, "kemitraan") == []  # the wildcard is a suffix one, the start is a boundary
    assert matched(rs, "Mitranya")[0] == "w"
    hits = rs.match(Document(title="Japanese investors"))[0].hits
    assert [(h.term, h.text) for h in hits] == [("Japan*", "Japanese")]


def test_phrases_ignore_case_whitespace_and_dash_style(tmp_path: Path) -> None:
    rs = ruleset(
        tmp_path,
        "rules:\n  - name: p\n    any: ['comprehensive strategic partnership', 'Vietnam-Japan']\n",
    )
    assert matched(rs, "A Comprehensive\n  Strategic   PARTNERSHIP") == ["p"]
    assert matched(rs, "the Vietnam–Japan relationship") == ["p"]  # en dash
    assert matched(rs, "strategic partnership") == []


def test_vietnamese_folding_is_per_term(tmp_path: Path) -> None:
    rs = ruleset(
        tmp_path,
        """
        rules:
          - name: folded
            any: ["Nhật Bản"]
          - name: exact
            any: [{term: "Nhật", fold: false}]
        """,
    )
    assert matched(rs, "Nhat Ban va Viet Nam") == ["folded"]
    assert matched(rs, "Nhật Bản") == ["folded", "exact"]
    assert matched(rs, "đông nhất") == []  # "nhất" (most) is not "Nhật" (Japan)


def test_html_is_stripped_and_entities_decoded(tmp_path: Path) -> None:
    rs = ruleset(tmp_path, BASIC)
    doc = Document(summary="<p>Viet&shy;nam</p><p><b>Vi&#7879;t Nam</b> &amp; <i>Japan</i></p>")
    [result] = rs.match(doc)
    texts = {h.text for h in result.hits}
    assert texts == {"Việt Nam", "Japan"}
    # tags separate words: "<p>Vietnam</p><p>Japan</p>" is two words
    assert matched(rs, summary="<p>Vietnam</p><p>Japan</p>") == ["pair"]


def test_near_counts_words_or_cjk_characters(tmp_path: Path) -> None:
    rs = ruleset(
        tmp_path,
        """
        rules:
          - name: near
            near: {terms: [[Vietnam, ベトナム], [Japan, 日本]], within: 2, chars: 4}
        """,
    )
    assert matched(rs, "Japan and Vietnam") == ["near"]
    assert matched(rs, "Japan, Korea and Vietnam") == ["near"]  # two words between
    assert matched(rs, "Japan, South Korea and Vietnam") == []  # three
    assert matched(rs, "日本とベトナム") == ["near"]
    assert matched(rs, "日本の首相は来週ベトナムを訪問") == []  # 6 characters apart
    # proximity is per field
    assert matched(rs, title="Japan", summary="Vietnam") == []


def test_field_targeting_weights_and_min_score(tmp_path: Path) -> None:
    rs = ruleset(
        tmp_path,
        """
        rules:
          - name: headline
            field: title
            any: [JICA]
          - name: scored
            min_score: 3
            any:
              - {term: ODA, weight: 2}
              - yen
        """,
    )
    assert matched(rs, title="JICA loan") == ["headline"]
    assert matched(rs, summary="JICA loan") == []
    # title hits weigh double: ODA in the title alone reaches 4
    assert matched(rs, title="ODA") == ["scored"]
    assert matched(rs, summary="ODA") == []  # 2 < 3
    assert matched(rs, summary="ODA in yen") == ["scored"]  # 2 + 1
    [res] = [r for r in rs.evaluate(Document(summary="ODA")) if r.rule == "scored"]
    assert (res.matched, res.score) == (False, 2.0)


def test_evaluate_returns_every_rule_with_tags_and_urgent(tmp_path: Path) -> None:
    rs = ruleset(
        tmp_path,
        """
        rules:
          - name: a
            tags: [x, y]
            urgent: true
            any: [Hanoi]
          - name: b
            any: [Tokyo]
        """,
    )
    results = rs.evaluate(Document(title="Hanoi"))
    assert [(r.rule, r.matched) for r in results] == [("a", True), ("b", False)]
    assert results[0].tags == ("x", "y") and results[0].urgent
    assert rs.names == ("a", "b")
    assert rs.files == (tmp_path / "r.yaml",)


def test_lang_hint_skips_other_languages(tmp_path: Path) -> None:
    rs = ruleset(tmp_path, "rules:\n  - name: ja\n    lang: [ja]\n    any: [JICA]\n")
    assert matched(rs, "JICA", lang="ja-JP") == ["ja"]
    assert matched(rs, "JICA", lang="en") == []
    assert matched(rs, "JICA") == ["ja"]  # unknown language: no filtering


def test_hits_point_into_the_display_text(tmp_path: Path) -> None:
    rs = ruleset(tmp_path, BASIC)
    [res] = rs.match(Document(title="<b>Viet Nam</b> &amp; NHẬT BẢN"))
    spans = {(h.field, h.start, h.end, h.text) for h in res.hits}
    assert spans == {("title", 0, 8, "Viet Nam"), ("title", 11, 19, "NHẬT BẢN")}


def test_highlight_returns_spans_of_the_given_rules(tmp_path: Path) -> None:
    rs = ruleset(
        tmp_path,
        BASIC + "  - name: other\n    any: [Tokyo]\n",
    )
    text = "Vietnam's leader in Tokyo: Việt Nam – Nhật Bản"
    spans = rs.highlight(text, ["pair"])
    assert [text[s:e] for s, e in spans] == ["Vietnam", "Việt Nam", "Nhật Bản"]
    assert [text[s:e] for s, e in rs.highlight(text, ["other", "gone"])] == ["Tokyo"]
    assert rs.highlight(text, []) == []


def test_folders_and_several_files(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("rules:\n  - name: a\n    any: [x1]\n", encoding="utf-8")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "b.yml").write_text("rules:\n  - name: b\n    any: [x2]\n", encoding="utf-8")
    (sub / "notes.txt").write_text("not a rule file", encoding="utf-8")
    rs = load_rules([tmp_path])
    assert rs.names == ("a", "b")


# ------------------------------------------------------------------ validation errors


@pytest.mark.parametrize(
    ("text", "line", "col", "needle"),
    [
        ("rules:\n  - name: a\n    anyy: [x]\n", 3, 5, "unknown key 'anyy'"),
        ("rules:\n  - name: a\n    any: []\n", 3, 10, "empty group"),
        ("rules:\n  - name: a\n    all:\n      - any: []\n", 4, 14, "empty group"),
        ("rules:\n  - name: a\n    any: ['mi*tra']\n", 3, 11, "bad wildcard"),
        ("rules:\n  - name: a\n    any: ['x', '*']\n", 3, 16, "bad wildcard"),
        ("rules:\n  - name: a\n    any: [$NOPE]\n", 3, 11, "unknown alias '$NOPE'"),
        (
            "rules:\n  - name: a\n    any: [x]\n  - name: a\n    any: [y]\n",
            4,
            11,
            "'a' is used twice (also at line 2)",
        ),
        ("rules:\n  - name: a\n    any: [x]\n    any: [y]\n", 4, 5, "duplicate key 'any'"),
        ("rules:\n  - name: a\n    none: [x]\n", 2, 5, "no positive condition"),
        ("rules:\n  - any: [x]\n", 2, 5, "has no 'name'"),
        ("rules:\n  - name: a\n    any: [{term: x, feild: title}]\n", 3, 21, "unknown key 'feild'"),
        ("rules:\n  - name: a\n    field: head\n    any: [x]\n", 3, 12, "unknown field"),
        ("rules:\n  - name: a\n    near: {terms: [x], within: 3}\n", 3, 19, "at least two"),
        ("rules:\n  - name: a\n    near: {terms: [x, y], within: -1}\n", 3, 35, "negative"),
        ("rules:\n  - name: a\n    min_score: lots\n    any: [x]\n", 3, 16, "must be a number"),
        ("aliases:\n  A: [$B]\n  B: [$A]\nrules:\n  - name: a\n    any: [$A]\n", 3, 7, "cycle"),
        ("rules:\n  - name: a\n    any: [x\n", 4, 1, "invalid YAML"),
    ],
)
def test_errors_are_located(tmp_path: Path, text: str, line: int, col: int, needle: str) -> None:
    exc = error(tmp_path, text)
    assert needle in str(exc)
    assert (exc.line, exc.col) == (line, col), str(exc)
    assert str(exc).startswith(f"rules: {tmp_path / 'r.yaml'}:{line}:{col}: ")


def test_did_you_mean_for_typos(tmp_path: Path) -> None:
    exc = error(tmp_path, "rules:\n  - name: a\n    exampels: {}\n    any: [x]\n")
    assert "did you mean 'examples'" in str(exc)
    exc = error(tmp_path, "aliases:\n  JAPAN: [Japan]\nrules:\n  - name: a\n    any: [$JAPN]\n")
    assert "did you mean $JAPAN" in str(exc)


def test_missing_path_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="no such file"):
        load_rules([tmp_path / "absent.yaml"])
    with pytest.raises(RuleError, match="empty rule file"):
        ruleset(tmp_path, "")


def test_duplicate_rule_across_files_names_the_first(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("rules:\n  - name: same\n    any: [x]\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("rules:\n  - name: same\n    any: [y]\n", encoding="utf-8")
    with pytest.raises(RuleError) as info:
        load_rules([tmp_path])
    assert str(info.value).startswith(
        f"rules: {tmp_path / 'b.yaml'}:2:11: rule name 'same' is used twice"
    )
    assert f"{tmp_path / 'a.yaml'}:2" in str(info.value)


def write(folder: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


SIDES = "aliases:\n  VIETNAM: [Vietnam, ベトナム]\n  JAPAN: [Japan, 日本]\n"


def test_aliases_are_shared_by_the_files_loaded_together(tmp_path: Path) -> None:
    # a rule file that sorts before the files defining its aliases still finds them
    folder = write(
        tmp_path,
        {
            "a-rules.yaml": "rules:\n  - name: pair\n    all: [$VIETNAM, $JAPAN]\n    none: [$SPORT]\n",
            "aliases/sides.yaml": SIDES,
            "aliases/exclusions.yaml": "aliases:\n  SPORT: [football, $MATCH]\n  MATCH: [friendly]\n",
        },
    )
    rs = load_rules([folder])
    assert matched(rs, "Vietnam and Japan sign a deal") == ["pair"]
    assert matched(rs, "Vietnam and Japan play a friendly") == []
    assert rs.aliases == {
        "SPORT": (folder / "aliases" / "exclusions.yaml", 2),
        "MATCH": (folder / "aliases" / "exclusions.yaml", 3),
        "VIETNAM": (folder / "aliases" / "sides.yaml", 2),
        "JAPAN": (folder / "aliases" / "sides.yaml", 3),
    }


def test_an_alias_defined_in_two_files_names_the_first(tmp_path: Path) -> None:
    folder = write(tmp_path, {"a.yaml": SIDES, "b.yaml": "aliases:\n  JAPAN: [Nippon]\n"})
    with pytest.raises(RuleError) as info:
        load_rules([folder])
    assert str(info.value) == (
        f"rules: {folder / 'b.yaml'}:2:3: alias 'JAPAN' is defined twice (also at "
        f"{folder / 'a.yaml'}:3): aliases are shared by every rule file loaded together; rename one "
        "(e.g. MY_JAPAN) or add its terms to the other"
    )


def test_an_error_inside_an_alias_is_placed_in_the_file_that_defines_it(tmp_path: Path) -> None:
    folder = write(
        tmp_path,
        {
            "aliases.yaml": "aliases:\n  BAD: [ok, 'mi*tra']\n",
            "rules.yaml": "rules:\n  - name: a\n    any: [$BAD]\n",
        },
    )
    with pytest.raises(RuleError) as info:
        load_rules([folder])
    # once, in the file that defines the alias, though the rule file uses it too
    assert type(info.value) is RuleError
    assert str(info.value).startswith(f"rules: {folder / 'aliases.yaml'}:2:13: bad wildcard")


def test_an_alias_cycle_across_files_is_placed_where_it_closes(tmp_path: Path) -> None:
    folder = write(
        tmp_path,
        {
            "a.yaml": "aliases:\n  A: [$B]\n",
            "b.yaml": "aliases:\n  B: [x, $A]\nrules:\n  - name: r\n    any: [$A]\n",
        },
    )
    with pytest.raises(RuleError) as info:
        load_rules([folder])
    assert "alias cycle: A -> B -> A" in str(info.value)
    assert str(info.value).startswith(f"rules: {folder / 'b.yaml'}:2:10: ")


def test_a_file_of_only_aliases_is_valid_and_one_with_neither_is_not(tmp_path: Path) -> None:
    folder = write(tmp_path, {"sides.yaml": SIDES})
    rs = load_rules([folder])
    assert len(rs) == 0 and set(rs.aliases) == {"VIETNAM", "JAPAN"}
    write(tmp_path, {"empty.yaml": "{}\n"})
    with pytest.raises(RuleError, match="neither a 'rules:' list nor 'aliases:'"):
        load_rules([folder])


def test_one_file_picked_out_of_its_folder_says_to_load_the_folder(tmp_path: Path) -> None:
    folder = write(
        tmp_path,
        {
            "aliases/sides.yaml": SIDES,
            "rules.yaml": "rules:\n  - name: a\n    all: [$VIETNAM, $JAPAN]\n",
        },
    )
    assert load_rules([folder]).names == ("a",)
    with pytest.raises(RuleError) as info:
        load_rules([folder / "rules.yaml"])
    assert str(info.value) == (
        f"rules: {folder / 'rules.yaml'}:3:11: unknown alias '$VIETNAM' (if another file in "
        f"{folder} defines it, load the folder, not only rules.yaml: aliases are shared by the "
        "files loaded together)"
    )


def test_a_broken_alias_file_is_the_one_error_not_its_knock_ons(tmp_path: Path) -> None:
    folder = write(
        tmp_path,
        {
            "aliases.yaml": "aliases:\n  VIETNAM:\n    - [Vietnam\n    - Hanoi\n  JAPAN: [Japan]\n",
            "rules.yaml": "rules:\n  - name: a\n    all: [$VIETNAM, $JAPAN]\n",
            "other.yaml": "rules:\n  - name: b\n    anyy: [x]\n",  # unrelated: still reported
        },
    )
    with pytest.raises(RuleErrors) as info:
        load_rules([folder])
    broken, other = info.value.errors  # no "unknown alias" for what the broken file defines
    assert broken.path == folder / "aliases.yaml"
    # PyYAML notices at line 5; the bracket opened at line 3 is named too
    assert "invalid YAML" in str(broken) and "flow sequence at line 3, column 7" in str(broken)
    assert "unknown key 'anyy'" in str(other)
    assert str(info.value).count("\nnewsbot: rules: ") == 1  # each line a message of its own


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("aliases: {}\n", "'aliases:' is empty"),
        ("aliases:\n  EMPTY:\nrules:\n  - name: a\n    any: [x]\n", "alias 'EMPTY' has no terms"),
        (
            "aliases:\n  A: [x]\n  A: [y]\nrules:\n  - name: a\n    any: [$A]\n",
            "alias 'A' is defined twice (also at line 2)",
        ),
        (
            "aliases:\n  VIETNAM: [x]\nrules:\n  - name: a\n    any: [$Vietnam]\n",
            "unknown alias '$Vietnam' (did you mean $VIETNAM?)",
        ),
    ],
)
def test_alias_mistakes_say_what_is_wrong(tmp_path: Path, text: str, needle: str) -> None:
    assert needle in str(error(tmp_path, text))


def test_a_file_named_twice_is_loaded_once(tmp_path: Path) -> None:
    folder = write(tmp_path, {"r.yaml": BASIC})
    rs = load_rules([folder, folder / "r.yaml"])
    assert rs.names == ("pair",) and rs.files == (folder / "r.yaml",)


def test_a_folder_of_only_aliases_says_to_load_the_rules_beside_it(tmp_path: Path) -> None:
    folder = write(
        tmp_path,
        {
            "aliases/sides.yaml": SIDES,
            "rules.yaml": "rules:\n  - name: a\n    all: [$VIETNAM, $JAPAN]\n",
        },
    )
    with pytest.raises(RuleError, match="defining only aliases; load the folder that also holds"):
        load_some_rules([folder / "aliases"])


def test_match_agrees_with_evaluate_including_hitless_rules(tmp_path: Path) -> None:
    rs = ruleset(
        tmp_path,
        BASIC
        + """
  - name: not-sport
    any: [Tokyo, {none: [football]}]
  - name: rare-anchor
    all: [$VIETNAM, {any: [ODA, JICA]}]
""",
    )
    for title in ["Vietnam gets JICA ODA", "football in Japan", "Vietnam and Japan", "Tokyo"]:
        doc = Document(title=title)
        assert [r.rule for r in rs.match(doc)] == [r.rule for r in rs.evaluate(doc) if r.matched]
    assert matched(rs, "a quiet day") == ["not-sport"]


def test_a_rule_title_heads_its_digest_section(tmp_path: Path) -> None:
    from bot.i18n import LocalText
    from bot.rules import rule_titles

    rs = ruleset(tmp_path, "rules:\n  - name: a\n    title: Aid and loans\n    any: [x]\n"
                           "  - name: b\n    any: [y]\n")  # fmt: skip
    assert rule_titles(rs) == {"a": LocalText.of("Aid and loans")}
    with pytest.raises(RuleError, match=r":3:12: title must not be empty"):
        ruleset(tmp_path, "rules:\n  - name: a\n    title: ''\n    any: [x]\n")
