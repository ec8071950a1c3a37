"""The shipped rules: their own examples pass, and both seed articles match."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.models import Document
from bot.rules import load_rules
from bot.rules.checks import run_examples

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"


@pytest.fixture(scope="module")
def rules():  # type: ignore[no-untyped-def]
    return load_rules([ROOT / "rules"])


def test_default_rules_load(rules) -> None:  # type: ignore[no-untyped-def]
    assert "vietnam-japan" in rules.names
    folder = ROOT / "rules"
    concerns = ("exclusions", "implicit-side", "japan", "topics", "vietnam")
    assert rules.files == (
        *(folder / "aliases" / f"{c}.yaml" for c in concerns),
        folder / "vietnam-japan.yaml",
    )
    # the rules live in one file, their aliases in files by concern
    assert {r.path for r in rules.rules} == {folder / "vietnam-japan.yaml"}
    assert rules.aliases["VIETNAM"][0] == folder / "aliases" / "vietnam.yaml"
    assert rules.aliases["SPORT"][0] == folder / "aliases" / "exclusions.yaml"


def test_every_example_of_the_default_rules_passes(rules) -> None:  # type: ignore[no-untyped-def]
    outcomes = run_examples(rules)
    assert len(outcomes) >= 20
    failed = [f"{o.rule.name}: {o.example.text}" for o in outcomes if not o.passed]
    assert failed == []


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed articles not present at {SEEDS}")
@pytest.mark.parametrize(
    "name", sorted(p.name for p in SEEDS.glob("*.txt")) if SEEDS.is_dir() else []
)
def test_seed_articles_match(rules, name: str) -> None:  # type: ignore[no-untyped-def]
    title, _, body = (SEEDS / name).read_text(encoding="utf-8").partition("\n")
    matched = {r.rule for r in rules.match(Document(title=title, content=body, lang="id"))}
    assert {"vietnam-japan", "vn-jp-partnership", "vn-jp-security"} <= matched


@pytest.mark.parametrize(
    "title",
    [
        "Việt Nam và Nhật Bản thúc đẩy hợp tác bán dẫn",
        "Viet Nam va Nhat Ban thuc day hop tac ban dan",
        "日本とベトナム、海上保安分野で協力強化",
        "Jepang beri Vietnam pinjaman yen untuk jalur kereta",
        "Japan and Vietnam hold first 2+2 security dialogue",
    ],
)
def test_own_positives_in_four_languages(rules, title: str) -> None:  # type: ignore[no-untyped-def]
    assert rules.match(Document(title=title)), title


@pytest.mark.parametrize(
    "title",
    [
        "Vietnam stun Japan in World Cup qualifier",
        "Bão số 3 đổ bộ, Nhật Bản và Việt Nam theo dõi sát",
        "Nikkei 225 up, Vietnam's VN-Index down as Japan yen weakens",
        "Korea, Japan and Vietnam lead Asian export rebound",
        "Japan and the Philippines agree on reciprocal access",
        "Việt Nam và Trung Quốc ký kết hợp tác đường sắt",
    ],
)
def test_own_hard_negatives(rules, title: str) -> None:  # type: ignore[no-untyped-def]
    assert rules.match(Document(title=title)) == [], title


def test_the_guides_worked_examples_pass(tmp_path: Path) -> None:
    """docs/rules.md's YAML blocks are real rules whose examples hold."""
    import re

    blocks = re.findall(r"```yaml\n(.*?)```", (ROOT / "docs" / "rules.md").read_text("utf-8"), re.S)
    (tmp_path / "a.yaml").write_text(blocks[0], encoding="utf-8")
    body = "".join("  " + b.replace("\n", "\n  ").rstrip() + "\n" for b in blocks[1:])
    (tmp_path / "b.yaml").write_text("rules:\n" + body, encoding="utf-8")
    outcomes = run_examples(load_rules([tmp_path]))
    assert len(outcomes) >= 12
    assert [o.example.text for o in outcomes if not o.passed] == []


def test_the_pairing_is_no_topic_although_one_rule_reads_an_implicit_side(rules) -> None:  # type: ignore[no-untyped-def]
    """`vietnam-japan` also matches headlines that leave a side implicit, so it has no $JAPAN
    condition of its own; the other rules' shared pairing must still not count as their topic
    (digests file an article under the rule whose topic words it has, bot/digest/place.py)."""
    title = "防衛省、ベトナム軍に装備品を供与"
    shown = {title[s:e] for s, e in rules.highlight(title, ["vn-jp-security"], topic_only=True)}
    assert "装備品" in shown and "ベトナム" not in shown and "防衛省" not in shown
    # the catch-all reads the sides as its topic: it gives way to the narrower rule
    broad = {title[s:e] for s, e in rules.highlight(title, ["vietnam-japan"], topic_only=True)}
    assert shown < broad
