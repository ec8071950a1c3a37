"""`newsbot rules eval` and the one-line reasons it shares with `rules explain`, on real files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.models import Document
from bot.rules import load_rules
from bot.rules.reason import reason

RULES = """\
aliases:
  VN: [Vietnam, "Việt Nam", ベトナム]
  JP: [Japan, "Nhật Bản", 日本]
rules:
  - name: pair
    all: [$VN, $JP, [talks, "hội đàm", 会談]]
    none: [football]
"""

ITEMS = [
    {"id": "a", "lang": "en", "title": "Vietnam and Japan hold talks", "label": 1},
    {"id": "b", "lang": "en", "title": "Vietnam and Japan football talks", "label": 0},
    {"id": "c", "lang": "en", "title": "Vietnam and Japan sign a deal", "label": 1},
    {"id": "d", "lang": "vi", "title": "Việt Nam và Nhật Bản hội đàm", "label": 1},
    {"id": "e", "lang": "ja", "title": "日本とベトナムが会談", "label": 0, "summary": "x"},
]


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "r.yaml").write_text(RULES, encoding="utf-8")
    items = tmp_path / "items.jsonl"
    items.write_text("".join(json.dumps(i) + "\n" for i in ITEMS), encoding="utf-8")
    return tmp_path / "rules", items


def test_scores_by_language_with_each_error_and_its_reason(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, items = files
    assert main(["rules", "eval", str(items)]) == 0
    out = capsys.readouterr().out
    assert "en: precision 1.000  recall 0.500  (tp=1 fp=0 fn=1 tn=1)" in out
    assert "ja: precision 0.000  recall 1.000  (tp=0 fp=1 fn=0 tn=0)" in out
    assert "all: precision 0.667  recall 0.667  (tp=2 fp=1 fn=1 tn=1)" in out
    assert "MISS c [en] Vietnam and Japan sign a deal" in out
    assert "no match: pair lacks one of talks/hội đàm/会談 (found Vietnam, Japan)" in out
    assert "FALSE POSITIVE e [ja] 日本とベトナムが会談" in out
    assert "matched pair on 日本, ベトナム, 会談" in out
    # the item the exclusion kept out was right: it is not listed
    assert "football" not in out


def test_json_and_targets(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _, items = files
    assert main(["rules", "eval", str(items), "--json", "--min-recall", "0.9"]) == 1
    payload = json.loads(capsys.readouterr().out)
    (report,) = payload["files"]
    by_lang = {s["lang"]: s for s in report["scores"]}
    assert by_lang["vi"] == {
        "lang": "vi", "precision": 1.0, "recall": 1.0, "tp": 1, "fp": 0, "fn": 0, "tn": 0
    }  # fmt: skip
    assert [(e["id"], e["kind"], e["line"]) for e in report["errors"]] == [
        ("c", "miss", 3),
        ("e", "false positive", 5),
    ]
    assert payload["targets"] == {"precision": 0.0, "recall": 0.9, "met": False}
    assert main(["rules", "eval", str(items), "--min-precision", "0.5"]) == 1
    assert "targets: precision >= 0.5, recall >= 0 per language: MISSED" in capsys.readouterr().out
    assert main(["rules", "eval", str(items), "--min-precision", "0"]) == 0


def test_a_broken_items_file_names_file_and_line(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _, items = files
    items.write_text(json.dumps(ITEMS[0]) + "\n{broken\n", encoding="utf-8")
    assert main(["rules", "eval", str(items)]) == 2
    assert f"newsbot: rules: eval: {items}:2: not JSON" in capsys.readouterr().err
    items.write_text(json.dumps({**ITEMS[0], "label": "yes"}) + "\n", encoding="utf-8")
    assert main(["rules", "eval", str(items)]) == 2
    assert f"{items}:1: label: missing or not a int" in capsys.readouterr().err
    assert main(["rules", "eval", str(items.with_name("nope.jsonl"))]) == 2
    assert "nope.jsonl: cannot read" in capsys.readouterr().err


def test_reasons_name_the_exclusion_that_fired(files: tuple[Path, Path]) -> None:
    rules_dir, _ = files
    rs = load_rules([rules_dir])

    def why(title: str) -> str:
        prep = rs.prepare(Document(title=title))
        return reason(rs, prep, [rs.result(n, prep) for n in rs.names])

    assert (
        why("Vietnam and Japan football talks") == "no match: pair excluded by football (football)"
    )
    assert why("Korea and China") == "no rule found any of its terms"
    assert why("Korea football") == "no rule found any of its terms"  # only excluding terms


def test_explain_opens_with_the_same_reason(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "explain", "--text", "Vietnam and Japan sign a deal"]) == 0
    first = capsys.readouterr().out.splitlines()[0]
    assert first == "verdict: no match: pair lacks one of talks/hội đàm/会談 (found Vietnam, Japan)"
    assert main(["rules", "explain", "--text", "Vietnam and Japan hold talks", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reason"] == (
        "matched pair on Vietnam, Japan, talks"
    )
