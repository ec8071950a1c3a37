"""`rules suggest` respects words: Vietnamese and Japanese candidates are made of whole words."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.rules import RuleSet, load_rules
from bot.rules.suggest import suggest
from bot.rules.words import Segmenters, Words, _ja_fallback, _vi_fallback

RULES = "rules:\n  - name: r\n    any: [Vietnam]\n"

VI = [
    "Việt Nam và Nhật Bản hợp tác chuyển đổi số. Bộ Thông tin và Truyền thông ký biên bản "
    "ghi nhớ với Bộ Nội vụ và Truyền thông Nhật Bản về hợp tác chuyển đổi số.",
    "Hai bên thúc đẩy hợp tác chuyển đổi số và đào tạo nhân lực công nghệ thông tin tại Bắc "
    "Giang. Nhật Bản và Việt Nam sẽ lập nhóm công tác chung.",
]
JA = [
    "矢崎総業、ベトナムにワイヤーハーネス新工場。ワイヤーハーネスの生産を拡大する。",
    "ワイヤーハーネス大手の矢崎総業は、チャビン省の新工場で生産を始める。",
]


@pytest.fixture
def rules(tmp_path: Path) -> RuleSet:
    (tmp_path / "r.yaml").write_text(RULES, encoding="utf-8")
    return load_rules([tmp_path])


def phrases(words: Words, *, sep: str) -> set[str]:
    """Every run of whole adjacent words: what a candidate may be."""
    return {
        sep.join(run[i : i + n])
        for run in words
        for n in range(1, len(run) + 1)
        for i in range(len(run) - n + 1)
    }


def test_vietnamese_candidates_are_whole_words(rules: RuleSet) -> None:
    pytest.importorskip("pyvi")
    segmenters = Segmenters.load()
    assert "vi" in segmenters.real
    found = suggest(VI, rules, top=50, segmenters=segmenters)["vi"]
    got = {s.phrase for s in found}
    allowed = set().union(*(phrases(segmenters.vi(t), sep=" ") for t in VI))
    assert got and got <= allowed, got - allowed
    # multi-syllable words, never a syllable cut out of one (issue 18: 'Bản hợp', 'tác chuyển đổi')
    assert {"hợp tác chuyển đổi số", "Truyền thông", "Nhật Bản"} <= got
    assert not {"Bản hợp", "tác chuyển đổi", "Việt", "Bản", "tác"} & got


def test_japanese_candidates_are_whole_words(rules: RuleSet) -> None:
    pytest.importorskip("fugashi")
    pytest.importorskip("unidic_lite")
    segmenters = Segmenters.load()
    assert "ja" in segmenters.real
    got = {s.phrase for s in suggest(JA, rules, top=50, segmenters=segmenters)["ja"]}
    allowed = set().union(*(phrases(segmenters.ja(t), sep="") for t in JA))
    assert got <= allowed, got - allowed
    assert {"ワイヤーハーネス", "矢崎総業", "新工場"} <= got
    assert not {"ハーネス大", "業、", "ム・チャ"} & got


def test_without_the_tokenizers_only_certain_units_are_offered(rules: RuleSet) -> None:
    fallback = Segmenters(vi=_vi_fallback, ja=_ja_fallback, real=frozenset())
    found = suggest(VI + JA, rules, top=50, segmenters=fallback)
    vi = {s.phrase for s in found["vi"]}
    # names that end before a function word or the clause; "Bộ Thông" ends inside "Thông tin"
    assert vi == {"Việt Nam", "Nhật Bản"}, vi
    ja = {s.phrase for s in found["ja"]}
    assert "ワイヤーハーネス" in ja and "ベトナム・チャビン" not in ja


def test_cli_says_when_a_segmenter_is_missing(
    rules: RuleSet,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    fallback = Segmenters(vi=_vi_fallback, ja=_ja_fallback, real=frozenset())
    monkeypatch.setattr(Segmenters, "load", classmethod(lambda cls: fallback))
    files = []
    for i, text in enumerate(VI + JA):
        files.append(tmp_path / f"{i}.txt")
        files[-1].write_text(text, encoding="utf-8")
    assert main(["rules", "suggest", "--rules", str(tmp_path / "r.yaml"), *map(str, files)]) == 0
    out = capsys.readouterr().out
    assert "no Vietnamese word segmenter installed: only names are suggested" in out
    assert "pip install 'newsbot[words]'" in out
