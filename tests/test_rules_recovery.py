"""Nothing is lost while the rules are broken: no rules at all is refused (exit 2, naming the paths
searched), and after a rule fix `rules backtest --deliver` queues what the broken rules let through."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.servers import FeedServer, running
from tests.sites import archived, write_site_config
from tests.test_once import rss

GOOD = """\
rules:
  - name: pair
    all: [Vietnam, Japan]
"""
# a "fix" gone wrong: valid YAML, one rule, but it matches nothing the desk follows
WRONG = """\
rules:
  - name: pair
    all: [Vietnam, Jaapan]
"""
ITEMS = [
    ("Vietnam and Japan sign a port deal", "https://news.example/1"),
    ("Vietnam and Japan open a rail line", "https://news.example/2"),
    ("Gold prices rise", "https://news.example/3"),
]


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Path, Path, FeedServer]]:
    feeds = FeedServer()
    feeds.serve("/feed.xml", rss(ITEMS))
    rules = tmp_path / "rules"
    rules.mkdir()
    cfg = write_site_config(tmp_path, feed_url=feeds.url("/feed.xml"), rules="rules")
    with running(feeds):
        yield cfg, rules, feeds


@pytest.mark.parametrize("argv", [["once"], ["run"], ["rules", "check"]])
def test_no_rules_at_all_is_refused_naming_the_paths_searched(
    site: tuple[Path, Path, FeedServer], argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    cfg, rules, _feeds = site
    (rules / "notes.txt").write_text("not a rule file")
    assert main(["--config", str(cfg), *argv]) == 2
    err = capsys.readouterr().err
    assert f"no rules loaded: searched {rules.resolve()}" in err
    assert not (cfg.parent / "state.sqlite3").exists()  # nothing was polled and marked seen


def test_backtest_deliver_queues_what_broken_rules_let_through(
    site: tuple[Path, Path, FeedServer], capsys: pytest.CaptureFixture[str]
) -> None:
    cfg, rules, _feeds = site
    tmp = cfg.parent
    (rules / "desk.yaml").write_text(WRONG, encoding="utf-8")
    assert main(["--config", str(cfg), "once"]) == 0
    assert archived(tmp) == []  # stored as seen, matched by nothing

    (rules / "desk.yaml").write_text(GOOD, encoding="utf-8")
    assert main(["--config", str(cfg), "once"]) == 0
    assert archived(tmp) == []  # the feed has nothing new: the fix alone recovers nothing

    capsys.readouterr()
    assert main(["--config", str(cfg), "rules", "backtest", "--since", "7d", "--deliver"]) == 0
    out = capsys.readouterr().out
    assert "queued 2 item(s) for delivery (2 deliveries)" in out
    assert main(["--config", str(cfg), "once"]) == 0
    assert archived(tmp) == ["https://news.example/1", "https://news.example/2"]

    # a second --deliver queues nothing again: both were sent
    assert main(["--config", str(cfg), "rules", "backtest", "--deliver"]) == 0
    assert "queued 0 item(s)" in capsys.readouterr().out


def test_backtest_deliver_respects_max_age(
    site: tuple[Path, Path, FeedServer], capsys: pytest.CaptureFixture[str]
) -> None:
    cfg, rules, _feeds = site
    (rules / "desk.yaml").write_text(WRONG, encoding="utf-8")
    assert main(["--config", str(cfg), "once"]) == 0
    db = sqlite3.connect(cfg.parent / "state.sqlite3")
    with db:  # one of the two was published long ago
        db.execute(
            "UPDATE items SET published_at = '2000-01-01T00:00:00+00:00' WHERE link LIKE '%/2'"
        )
    db.close()
    (rules / "desk.yaml").write_text(GOOD, encoding="utf-8")
    capsys.readouterr()
    # by default each feed's max_age (here [fetch] max_age, 3 days by default): stale news stays out
    argv = ["--config", str(cfg), "rules", "backtest", "--deliver"]
    assert main(argv) == 0
    assert "queued 1 item(s) for delivery (1 deliveries); 1 older than --max-age left alone" in (
        capsys.readouterr().out
    )
    assert main([*argv, "--max-age", "off"]) == 0  # told otherwise
    assert "queued 1 item(s) for delivery (1 deliveries)\n" in capsys.readouterr().out
