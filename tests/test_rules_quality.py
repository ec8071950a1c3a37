"""The default rules' quality on the labelled dev set, and the rule-language features they rely on."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.models import Document
from bot.rules import RuleSet, load_rules
from bot.rules.evaluate import evaluate, read_labelled, scores

ROOT = Path(__file__).resolve().parent.parent
EVAL = ROOT.parent / "shared" / "eval"
HELD_OUT = ROOT / "tests" / "fixtures" / "heldout-items.jsonl"
#: in every language, on every labelled set (issue 18)
PRECISION_TARGET, RECALL_TARGET = 0.95, 0.95


@pytest.fixture(scope="module")
def default_rules() -> RuleSet:
    return load_rules([ROOT / "rules"])


def shortfalls(rules: RuleSet, path: Path) -> list[str]:
    """Each language (and the whole file) below a target, with the items it got wrong and why."""
    verdicts = evaluate(rules, read_labelled(path))
    wrong = [
        f"{v.outcome.upper()} {v.item.id} {v.item.title}: {v.reason}"
        for v in verdicts
        if v.outcome in ("fp", "fn")
    ]
    return [
        f"{s.lang}: precision {s.precision:.3f} recall {s.recall:.3f}; {wrong}"
        for s in scores(verdicts)
        if not s.meets(precision=PRECISION_TARGET, recall=RECALL_TARGET)
    ]


@pytest.mark.parametrize(
    "path",
    [EVAL / "dev-items.jsonl", EVAL / "real" / "items.jsonl"],
    ids=["dev", "real"],
)
def test_default_rules_meet_targets_on_the_dev_sets(default_rules: RuleSet, path: Path) -> None:
    if not path.is_file():
        pytest.skip(f"labelled set not present at {path}")
    assert shortfalls(default_rules, path) == []


def test_default_rules_meet_targets_on_the_blind_set(default_rules: RuleSet) -> None:
    """120 items written by a separate author who never saw the rules (tests/fixtures/heldout-README.md).

    Half of it was later used for tuning; the other half scored 0.963 / 0.963 before anyone looked at
    it. Kept here as a regression guard across all four languages.
    """
    assert shortfalls(default_rules, HELD_OUT) == []


def test_default_rules_meet_targets_on_everyday_contact(default_rules: RuleSet) -> None:
    """Officials meeting, visiting, calling; firms opening plants: each press's own forms (issue 18;
    written alongside the rules, see tests/fixtures/heldout-README.md)."""
    assert shortfalls(default_rules, ROOT / "tests" / "fixtures" / "contact-items.jsonl") == []


def test_default_rules_meet_targets_on_the_blind_checks(default_rules: RuleSet) -> None:
    """2,080 items from twelve blind checks, each scored once before it was looked at (figures in
    tests/fixtures/blind-checks-README.md); now a regression guard in every language."""
    assert shortfalls(default_rules, ROOT / "tests" / "fixtures" / "blind-checks.jsonl") == []


def load(tmp_path: Path, text: str) -> RuleSet:
    (tmp_path / "r.yaml").write_text(text, encoding="utf-8")
    return load_rules([tmp_path])


def matched(rs: RuleSet, title: str) -> bool:
    return bool(rs.match(Document(title=title)))


def test_except_cancels_a_term_inside_a_longer_name(tmp_path: Path) -> None:
    rs = load(
        tmp_path,
        """
rules:
  - name: china
    any:
      - {term: China, except: ["South China Sea"]}
      - {term: 政府, except: [ベトナム政府]}
""",
    )
    assert matched(rs, "China and Japan hold talks")
    assert not matched(rs, "Japan and Vietnam discuss the South China Sea")
    # another occurrence outside the excepted phrase still counts
    assert matched(rs, "China's claims in the South China Sea")
    assert matched(rs, "政府、ベトナムに巡視船")
    assert not matched(rs, "ベトナム政府が計画承認")


def test_except_is_only_for_single_terms(tmp_path: Path) -> None:
    from bot.errors import RuleError

    with pytest.raises(RuleError, match="except"):
        load(tmp_path, "rules:\n  - name: a\n    any:\n      - {any: [x], except: [y]}\n")


def test_near_needs_distinct_occurrences(tmp_path: Path) -> None:
    """A list of three countries is three separate hits, not one hit counted three times."""
    rs = load(
        tmp_path,
        """
aliases:
  OTHER: [Korea, South Korea, China, Thailand]
rules:
  - name: list
    near: {terms: [$OTHER, $OTHER, Japan], within: 3}
""",
    )
    assert matched(rs, "China, Korea and Japan")
    assert not matched(rs, "South Korea and Japan")  # "Korea" inside "South Korea" is one country
    assert not matched(rs, "Korea and Japan")


@pytest.mark.parametrize(
    "title",
    [
        "Japan, Vietnam and the Philippines hold first trilateral coast guard dialogue",
        "Japan and Vietnam voice concern over South China Sea, back UNCLOS",
        "政府、ベトナムに巡視船6隻を供与へ",
        "入管庁、ベトナム人の特定技能試験を現地で拡大",
        "Doanh nghiep Nhat mo rong nha may tai Long An",
        "JICA hỗ trợ Đồng bằng sông Cửu Long chống xâm nhập mặn",
        "Perusahaan Jepang bangun pusat data di Vietnam",
    ],
)
def test_concepts_that_generalise(default_rules: RuleSet, title: str) -> None:
    assert default_rules.match(Document(title=title)), title


@pytest.mark.parametrize(
    "title",
    [
        "火の鳥NIPPON、ベトナムに3-0で快勝",
        "Vietnam lose 0-3 to Japan in friendly",
        "Timnas futsal Vietnam dikalahkan Jepang",
        "Ekspor kopi Vietnam ke Jerman, Italia, dan Jepang melonjak",
        "ベトナム外務省、南シナ海での中国の行動に抗議",
        "ASEAN summit opens with Myanmar on the agenda",
    ],
)
def test_lookalikes_stay_out(default_rules: RuleSet, title: str) -> None:
    summary = "Japan's and Vietnam's leaders attended." if "ASEAN" in title else ""
    assert default_rules.match(Document(title=title, summary=summary)) == [], title
