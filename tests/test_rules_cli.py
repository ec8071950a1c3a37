"""`newsbot rules …` end to end through bot.cli.main: exit codes, output, real files and servers."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.cli import main
from bot.models import Item, RuleMatch
from bot.store import NewItem, Store
from tests.servers import FeedServer, running

RULES_DIR = Path(__file__).resolve().parent.parent / "rules"

RULES = """\
aliases:
  VN: [Vietnam, "Việt Nam"]
  JP: [Japan, "Nhật Bản"]
rules:
  - name: pair
    tags: [vn-jp]
    all: [$VN, $JP]
    examples:
      match: ["Vietnam and Japan talk trade"]
      no_match: ["Vietnam and Korea talk trade"]
"""


@pytest.fixture
def rules_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
    d = tmp_path / "rules"
    d.mkdir()
    (d / "vj.yaml").write_text(RULES, encoding="utf-8")
    return d


def test_check_ok_uses_rules_folder_by_default(
    rules_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "check"]) == 0
    out = capsys.readouterr().out
    assert (
        "ok: 1 rules" in out and "rules/vj.yaml\n    1 rule: pair\n    2 aliases: $VN, $JP" in out
    )


def test_check_invalid_file_exits_2_with_location(
    rules_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = rules_dir / "bad.yaml"
    bad.write_text("rules:\n  - name: b\n    any: [$NOPE]\n", encoding="utf-8")
    assert main(["rules", "check", str(bad)]) == 2
    assert f"{bad}:3:11: unknown alias '$NOPE'" in capsys.readouterr().err


def test_check_reports_every_broken_file_in_a_folder(
    rules_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (rules_dir / "a-bad.yaml").write_text("rules:\n  - name: a\n    any: [$NOPE]\n", "utf-8")
    (rules_dir / "b-bad.yaml").write_text("rules:\n  - name: b\n    anyy: [x]\n", "utf-8")
    assert main(["rules", "check", str(rules_dir)]) == 2
    err = capsys.readouterr().err
    assert f"rules: {rules_dir / 'a-bad.yaml'}:3:11: unknown alias '$NOPE'" in err
    assert f"rules: {rules_dir / 'b-bad.yaml'}:3:5: unknown key 'anyy'" in err


def test_check_uses_config_rule_paths(rules_dir: Path, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "x.yaml").write_text("rules:\n  - name: x\n    any: [[oops\n", encoding="utf-8")
    cfg = tmp_path / "newsbot.toml"
    cfg.write_text('[rules]\npaths = ["elsewhere"]\n', encoding="utf-8")
    assert main(["--config", str(cfg), "rules", "check"]) == 2
    assert main(["rules", "check", str(rules_dir)]) == 0


def test_test_passes_and_fails_with_explanation(
    rules_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rules", "test"]) == 0
    assert "2 examples (2 in rules/vj.yaml), 0 failed" in capsys.readouterr().out
    (rules_dir / "vj.yaml").write_text(
        RULES.replace("Vietnam and Korea talk trade", "Viet Nam and Nhat Ban talk trade"),
        encoding="utf-8",
    )
    assert main(["rules", "test"]) == 1
    out = capsys.readouterr().out
    assert "FAIL pair" in out and "expected no match" in out
    assert "Viet Nam and Nhat Ban talk trade" in out
    assert "✓ any $VN  <- Viet Nam (summary)" in out


def test_explain_text_human_and_json(rules_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rules", "explain", "--text", "Nhật Bản và Việt Nam"]) == 0
    out = capsys.readouterr().out
    assert "MATCH" in out and "pair" in out
    assert "[Nhật Bản] và [Việt Nam]" in out  # not a tty: brackets, no ANSI
    assert "\033[" not in out
    assert main(["rules", "explain", "--text", "Nhật Bản và Việt Nam", "--color", "always"]) == 0
    assert "\033[1;33mNhật Bản\033[0m" in capsys.readouterr().out
    assert main(["rules", "explain", "--text", "only Japan here", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    [res] = payload["rules"]
    assert res["matched"] is False
    assert res["hits"] == [
        {"term": "Japan", "field": "summary", "start": 5, "end": 10, "text": "Japan"}
    ]


def test_explain_file_and_url(
    rules_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = (
        "<html><head><title>Vietnam, Japan upgrade ties</title></head><body><article>"
        + ("<p>The two governments agreed to deepen cooperation across many fields.</p>" * 5)
        + "</article></body></html>"
    )
    f = tmp_path / "a.html"
    f.write_text(page, encoding="utf-8")
    assert main(["rules", "explain", "--file", str(f), "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["fields"]["title"] == "Vietnam, Japan upgrade ties"
    assert payload["rules"][0]["matched"] is True
    server = FeedServer()
    server.serve("/article", page, ctype="text/html; charset=utf-8")
    with running(server):
        assert main(["rules", "explain", "--url", server.url("/article"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rules"][0]["matched"] is True


def test_suggest_lists_uncovered_phrases(
    rules_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_text(
        "Vietnam and Japan discussed the Official Security Assistance programme. "
        "The Official Security Assistance will fund patrol boats.",
        encoding="utf-8",
    )
    b.write_text(
        "ベトナムと日本は政府安全保障能力強化支援について協議した。政府安全保障能力強化支援は巡視船を対象とする。",
        encoding="utf-8",
    )
    assert main(["rules", "suggest", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "[en]" in out and "'Official Security Assistance'" in out
    assert "[ja]" in out and "政府安全保障能力強化支援" in out
    assert "'Vietnam'" not in out and "'Japan'" not in out  # covered by the rule


def test_backtest_shows_added_and_dropped(
    rules_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = tmp_path / "newsbot.toml"
    cfg.write_text(
        '[state]\npath = "state.sqlite3"\n[rules]\npaths = ["rules"]\n', encoding="utf-8"
    )
    now = datetime.now(UTC)
    feed = "http://127.0.0.1:9/feed.xml"

    def item(key: str, title: str) -> Item:
        return Item(key=key, feed_url=feed, title=title, link=f"https://example.test/{key}")

    with Store(tmp_path / "state.sqlite3") as store:
        store.sync_feeds([(feed, "Test feed")])
        store.add_items(
            feed,
            [
                # stored as matched by an older version of the rules, and delivered
                NewItem(item("a", "Vietnam and Korea"), None, (RuleMatch("pair", 2.0),), ("desk",)),
                # not matched back then
                NewItem(item("b", "Vietnam and Japan"), None, (), ()),
                NewItem(item("c", "Vietnam and Japan again"), None, (RuleMatch("pair", 2.0),), ()),
            ],
            now=now - timedelta(hours=1),
        )
    assert main(["--config", str(cfg), "rules", "backtest", "--since", "1d", "--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert (payload["items"], payload["added"], payload["dropped"]) == (3, 1, 1)
    rows = {r["title"]: r for r in payload["rows"]}
    assert rows["Vietnam and Korea"]["delivered"] is True
    assert rows["Vietnam and Japan"]["after"] == ["pair"]
    assert main(["--config", str(cfg), "rules", "backtest", "--since", "1d"]) == 0
    out = capsys.readouterr().out
    assert "3 stored items since 1d: 1 would be added, 1 dropped" in out
    assert "ADDED    Vietnam and Japan" in out and "DROPPED  Vietnam and Korea" in out


def test_explain_folds_what_did_not_fire_and_shows_what_did(capsys) -> None:
    from bot.cli import main

    assert main(["rules", "explain", "--text", "Japan and Vietnam sign a coast guard deal"]) == 0
    out = capsys.readouterr().out
    assert "none  (none of these hold)" in out and "$SPORT" not in out

    main(["rules", "explain", "--text", "Vietnam beat Japan 3-0 in a friendly"])
    out = capsys.readouterr().out
    assert "no match vietnam-japan" in out and "$MATCH_RESULT  <- beat" in out
    # the exclusion that holds is shown; the others that do not are one line, not a tree each
    assert "none  (an exclusion holds)" in out and "other exclusion(s) do not hold" in out
    assert "$CRIME" not in out and "$OTHER_COUNTRY" not in out
    # the verdict's exclusion, and where to edit it
    main(["rules", "explain", "--text", "日本の警察、ベトナム人の男を窃盗の疑いで逮捕"])
    verdict, defined = capsys.readouterr().out.splitlines()[:2]
    assert verdict == "verdict: no match: vietnam-japan excluded by $CRIME (逮捕, 窃盗)"
    exclusions = RULES_DIR / "aliases" / "exclusions.yaml"
    line = exclusions.read_text(encoding="utf-8").splitlines().index("  CRIME:") + 1
    assert defined.startswith("defined: $CRIME ")
    assert defined.endswith(f"rules/aliases/exclusions.yaml:{line}")


def test_a_closed_pipe_is_not_an_error(tmp_path) -> None:
    import subprocess
    import sys

    # far more than a pipe buffer holds, so the write really hits the closed pipe
    article = tmp_path / "long.txt"
    article.write_text("Japan and Vietnam\n" + "Japan and Vietnam sign a deal. " * 8000)
    proc = subprocess.run(
        f"{sys.executable} -m bot rules explain --rules {RULES_DIR} --file {article} | head -1",
        shell=True, capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert proc.stdout.strip() and "Traceback" not in proc.stderr, proc.stderr[-500:]
