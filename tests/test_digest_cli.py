"""`newsbot digest preview|send` against a real state file, a file destination and a Slack receiver."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from bot.models import Item, RuleMatch
from bot.store import NewItem, Store
from tests.digest_helpers import NOW, Receiver, Reply

FIXTURES = Path(__file__).parent / "fixtures"
FEED = "https://feeds.example/vn-jp.xml"


def setup(tmp_path: Path, slack_url: str) -> Path:
    cfg = tmp_path / "newsbot.toml"
    cfg.write_text(
        f"""
[state]
path = "state.sqlite3"
[rules]
paths = ["{FIXTURES / "simple-rules.yaml"}"]
[[feeds]]
url = "{FEED}"
name = "Delta Gazette"
[[destinations]]
name = "archive"
type = "file"
dir = "out"
format = "json"
[[destinations]]
name = "desk-slack"
type = "slack"
webhook_url = "{slack_url}"
""",
        encoding="utf-8",
    )
    with Store(tmp_path / "state.sqlite3") as store:
        store.sync_feeds([(FEED, "Delta Gazette")])
        store.add_items(
            FEED,
            [
                NewItem(
                    item=Item(
                        key=f"k{i}",
                        feed_url=FEED,
                        title=f"Vietnam and Japan story {i}",
                        link=f"https://news.example/s{i}",
                        summary="Leaders of Vietnam and Japan met in Hanoi.",
                        published=NOW,
                    ),
                    canonical_link=f"https://news.example/s{i}",
                    matches=(RuleMatch(rule="vn-jp", score=2.0, terms=("Vietnam", "Japan")),),
                    destinations=("archive", "desk-slack"),
                )
                for i in (1, 2)
            ],
            now=NOW,
        )
    return cfg


def run(cfg: Path, *argv: str) -> int:
    return main(["--config", str(cfg), "digest", *argv])


def test_preview_changes_nothing_and_send_delivers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = setup(tmp_path, "http://127.0.0.1:9/unused")
    assert run(cfg, "preview", "-d", "archive", "--format", "json") == 0
    first = json.loads(capsys.readouterr().out)
    assert [e["link"] for e in first["entries"]] == [
        "https://news.example/s1",
        "https://news.example/s2",
    ]
    assert first["entries"][0]["snippet"].startswith("Leaders of Vietnam")
    assert first["entries"][0]["highlights"]  # the rule set's highlighter was used

    assert run(cfg, "preview", "-d", "archive") == 0  # text, and still pending: nothing marked
    text = capsys.readouterr().out
    assert text.startswith("Vietnam–Japan: 2 new articles")
    assert not (tmp_path / "out").exists()

    assert run(cfg, "send", "-d", "archive") == 0
    assert "sent 2 item(s) to archive" in capsys.readouterr().err
    [written] = (tmp_path / "out").iterdir()
    assert len(json.loads(written.read_text())["entries"]) == 2

    assert run(cfg, "preview", "-d", "archive", "--format", "json") == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["entries"] == [] and "nothing pending" in captured.err
    assert run(cfg, "send", "-d", "archive") == 0
    assert "nothing pending" in capsys.readouterr().err


def test_send_failure_exits_1_and_keeps_items(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with Receiver(default=Reply(400, "invalid_payload")).running() as slack:
        cfg = setup(tmp_path, slack.url + "/hook")
        assert run(cfg, "preview", "-d", "desk-slack", "--format", "slack-json") == 0
        payloads = json.loads(capsys.readouterr().out)
        assert len(payloads) == 1 and payloads[0]["blocks"][0]["type"] == "header"
        assert run(cfg, "send", "-d", "desk-slack") == 1
        assert "invalid_payload" in capsys.readouterr().err
    assert run(cfg, "preview", "-d", "desk-slack", "--format", "html") == 0
    assert "Vietnam and Japan story 2" in capsys.readouterr().out


def test_unknown_destination_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = setup(tmp_path, "http://127.0.0.1:9/unused")
    assert run(cfg, "preview", "-d", "nope") == 2
    assert "no destination named 'nope'" in capsys.readouterr().err


def test_preview_and_send_in_the_destinations_locale(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = setup(tmp_path, "http://127.0.0.1:9/unused")
    cfg.write_text(cfg.read_text().replace('format = "json"', 'format = "text"\nlocale = "vi"'))
    assert run(cfg, "preview", "-d", "archive") == 0
    assert capsys.readouterr().out.startswith("Việt Nam – Nhật Bản: 2 bài viết mới\n")
    assert run(cfg, "preview", "-d", "archive", "--locale", "ja", "--format", "html") == 0
    html = capsys.readouterr().out
    assert '<html lang="ja">' in html and "新着記事2件" in html
    assert run(cfg, "send", "-d", "archive") == 0
    [written] = (tmp_path / "out").iterdir()
    sent = written.read_text(encoding="utf-8")
    assert "2 bài viết mới" in sent and "Tình trạng nguồn tin:" in sent
