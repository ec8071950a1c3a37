"""The age policy and outlet names, as a new user meets them: a fresh state over feeds with a
mixed backlog, `newsbot once`, and what reaches a real Slack receiver and a digest archive."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.age import AgePolicy, describe, judge
from bot.cli import main
from bot.config import load_config
from bot.parse.feed import outlet_name
from bot.store import FetchSuccess, Store
from tests.servers import FeedServer, SlackReceiver, rfc822, running

RULES = Path(__file__).parent / "fixtures" / "simple-rules.yaml"
NOW = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
POLICY = AgePolicy()  # max_age 3d, urgent_max_age 24h


# ---------------------------------------------------------------------------- the policy itself


@pytest.mark.parametrize(
    ("age", "first_poll", "held_back", "urgent"),
    [
        (timedelta(hours=1), True, False, True),
        (timedelta(hours=23), False, False, True),
        (timedelta(hours=25), False, False, False),  # in the digest, not sent at once
        (timedelta(days=3), False, False, False),  # exactly max_age: still news
        (timedelta(days=3, seconds=1), False, True, False),
        (timedelta(days=400), True, True, False),
        (timedelta(days=-2), True, False, True),  # a server clock in the future: clamped to now
        (None, True, True, False),  # undated on the first successful poll: backlog
        (None, False, False, True),  # undated later: published when first seen
    ],
)
def test_judge(age: timedelta | None, first_poll: bool, held_back: bool, urgent: bool) -> None:
    published = None if age is None else NOW - age
    v = judge(published, now=NOW, first_poll=first_poll, policy=POLICY)
    assert (v.held_back, v.may_be_urgent) == (held_back, urgent)
    assert v.published == (None if age is None else min(NOW, NOW - age))


def test_off_switches_each_limit_off() -> None:
    off = AgePolicy(max_age=None, urgent_max_age=None)
    old = judge(NOW - timedelta(days=400), now=NOW, first_poll=True, policy=off)
    assert not old.held_back and old.may_be_urgent
    undated = judge(None, now=NOW, first_poll=True, policy=off)
    assert not undated.held_back and not undated.may_be_urgent  # its age is unknown
    assert [describe(s) for s in (None, 259200.0, 86400.0, 5400.0, 90.0)] == [
        "off", "3d", "1d", "90m", "90s",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("title", "name"),
    [
        ("Harbour Courier - RSS Feed", "Harbour Courier"),
        ("RSS: Delta Wire", "Delta Wire"),
        ("VnExpress RSS", "VnExpress"),
        ("Home :: The Diplomat", "The Diplomat"),
        ("NHK | 国際", "NHK | 国際"),
        ("  Tuoi Tre &\n News ", "Tuoi Tre & News"),  # parse_feed's titles are plain text
        ("Why <blink> died", "Why <blink> died"),
        ("Daily News Feed", "Daily News Feed"),
        ("RSS", None),
        ("", None),
        ("A" * 10 + " " + "B" * 60, "A" * 10 + "…"),
    ],
)
def test_outlet_name_from_a_feed_title(title: str, name: str | None) -> None:
    assert outlet_name(title) == name


# ---------------------------------------------------------------------------- config


def _config(tmp: Path, fetch: str = "", feed: str = "") -> Path:
    cfg = tmp / "newsbot.toml"
    cfg.write_text(
        f'[state]\npath = "s.sqlite3"\n[fetch]\n{fetch}\n'
        f'[[feeds]]\nurl = "https://a.example/rss"\n{feed}\n'
        f'[[feeds]]\nurl = "https://b.example/rss"\nname = "B"\n',
        encoding="utf-8",
    )
    return cfg


def test_max_age_defaults_off_and_per_feed_override(tmp_path: Path) -> None:
    plain = load_config(_config(tmp_path), environ={})
    assert plain.fetch.max_age == 3 * 86400 and plain.fetch.urgent_max_age == 86400
    assert [f.max_age for f in plain.feeds] == [3 * 86400, 3 * 86400]
    assert [f.named for f in plain.feeds] == [False, True]
    cfg = load_config(
        _config(tmp_path, 'max_age = "off"\nurgent_max_age = "6h"', 'max_age = "12h"'), environ={}
    )
    assert cfg.fetch.max_age is None and cfg.fetch.urgent_max_age == 6 * 3600
    assert [f.max_age for f in cfg.feeds] == [12 * 3600, None]


@pytest.mark.parametrize(
    ("fetch", "feed", "where"),
    [
        ('max_age = "three days"', "", ":4: fetch.max_age: not a duration"),
        ('urgent_max_age = "0h"', "", ":4: fetch.urgent_max_age: must be positive"),
        ("", 'max_age = "-1d"', ":7: feeds[0].max_age: not a duration"),
    ],
)
def test_bad_max_age_exits_2_with_file_line_key_and_an_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], fetch: str, feed: str, where: str
) -> None:
    cfg = _config(tmp_path, fetch, feed)
    assert main(["--config", str(cfg), "status"]) == 2
    err = capsys.readouterr().err
    assert f"{cfg.resolve()}{where}" in err and '"3d", or "off"' in err
    assert "Traceback" not in err


# ---------------------------------------------------------------------------- a new installation

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def dated_feed(title: str, items: list[tuple[str, str, timedelta | None]]) -> str:
    """RSS whose items are published `age` before now (None: undated)."""
    now = datetime.now(UTC)
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        + (f"<pubDate>{rfc822(now - age)}</pubDate>" if age is not None else "")
        + f"<description>{t}.</description></item>"
        for t, link, age in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title>{body}</channel></rss>'


# a dated feed: two fresh stories, one from the future (a wrong server clock), old backlog
COURIER = [
    ("Vietnam and Japan sign a coast guard pact", "https://c.example/1", HOUR),
    ("Japan and Vietnam open ODA talks", "https://c.example/2", 2 * DAY),
    ("Vietnam, Japan set a summit date", "https://c.example/3", -2 * DAY),
    ("Japan lends Vietnam yen for a metro line", "https://c.example/4", 10 * DAY),
    ("Vietnam and Japan upgraded ties", "https://c.example/5", 400 * DAY),
    ("Vietnam weather: rain in Hanoi", "https://c.example/6", 20 * DAY),
    ("Gold prices rise", "https://c.example/7", HOUR),
]
# an undated feed with no `name` in the config: its backlog on the first poll is all held back
WIRE = [
    ("Japan and Vietnam discuss labour", "https://w.example/1", None),
    ("Vietnam, Japan hold maritime drills", "https://w.example/2", None),
]


def write_config(tmp: Path, feeds: FeedServer, slack: SlackReceiver) -> Path:
    cfg = tmp / "newsbot.toml"
    cfg.write_text(
        f"""
[state]
path = "newsbot.sqlite3"
[rules]
paths = ["{RULES}"]
[[feeds]]
url = "{feeds.url("/courier.xml")}"
[[feeds]]
url = "{feeds.url("/wire.xml")}"
[[destinations]]
name = "desk-slack"
type = "slack"
webhook_url = "{slack.url}"
[[destinations]]
name = "archive"
type = "file"
dir = "digests"
format = "json"
""",
        encoding="utf-8",
    )
    return cfg


def archived(tmp: Path) -> list[dict[str, str]]:
    entries: list[dict[str, str]] = []
    for f in sorted((tmp / "digests").glob("*.json")):
        entries += json.loads(f.read_text())["entries"]
    return entries


def status_json(cfg: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, object]:
    capsys.readouterr()
    assert main(["--config", str(cfg), "status", "--json"]) == 0
    data: dict[str, object] = json.loads(capsys.readouterr().out)
    return data


def test_a_fresh_state_delivers_only_what_is_new_and_says_what_it_held_back(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
    feeds, slack = FeedServer(), SlackReceiver()
    feeds.serve("/courier.xml", dated_feed("Harbour Courier - RSS Feed", COURIER))
    feeds.serve("/wire.xml", dated_feed("RSS: Delta Wire", WIRE))
    with running(feeds), running(slack):
        cfg = write_config(tmp_path, feeds, slack)
        before = status_json(cfg, capsys)
        host = feeds.base.removeprefix("http://")
        assert [f["name"] for f in before["feeds"]] == [host, host]  # type: ignore[index]

        assert main(["--config", str(cfg), "once"]) == 0
        err = capsys.readouterr().err
        assert 'feed_held_back feed="Harbour Courier" held_back=3 reason=max_age' in err
        assert 'feed_held_back feed="Delta Wire" held_back=2 reason=max_age' in err
        assert "held back 5 as backlog (older than max_age" in err

        # the two matching stories of the last three days reach Slack and the archive; the future
        # one is dated now; nothing older, nothing undated from the first poll
        entries = archived(tmp_path)
        assert sorted(e["link"] for e in entries) == [
            "https://c.example/1", "https://c.example/2", "https://c.example/3",
        ]  # fmt: skip
        assert {e["outlet"] for e in entries} == {"Harbour Courier"}
        future = next(e for e in entries if e["link"] == "https://c.example/3")
        assert datetime.fromisoformat(future["published"]) <= datetime.now(UTC)
        text = json.dumps(slack.payloads, ensure_ascii=False)
        assert "coast guard pact" in text and "ODA talks" in text and "summit date" in text
        for old in ("metro line", "upgraded ties", "labour", "maritime drills"):
            assert old not in text
        assert "Harbour Courier" in text

        status = status_json(cfg, capsys)
        by_name = {f["name"]: f for f in status["feeds"]}  # type: ignore[attr-defined]
        assert by_name["Harbour Courier"]["held_back"] == 3
        assert by_name["Harbour Courier"]["held_back_matched"] == 2  # the weather item matched none
        assert by_name["Delta Wire"]["held_back"] == 2
        assert main(["--config", str(cfg), "status"]) == 0
        shown = capsys.readouterr().out
        assert "Harbour Courier: last success" in shown
        assert (
            "held back 3 as backlog (older than max_age 3d when first seen, or undated on the first poll; 2 matched a rule)"
            in shown
        )

        # later: a new undated story counts as published now; an old story surfacing late is
        # held back like any backlog
        feeds.serve("/wire.xml", dated_feed("RSS: Delta Wire", [
            *WIRE, ("Vietnam and Japan agree on nurses", "https://w.example/3", None),
        ]))  # fmt: skip
        feeds.serve("/courier.xml", dated_feed("Harbour Courier - RSS Feed", [
            *COURIER, ("Japan, Vietnam signed a rail deal", "https://c.example/8", 30 * DAY),
        ]))  # fmt: skip
        assert main(["--config", str(cfg), "once"]) == 0
        assert "held back 1 as backlog (older than max_age" in capsys.readouterr().err
        new = [e for e in archived(tmp_path) if e not in entries]
        assert [(e["link"], e["outlet"]) for e in new] == [("https://w.example/3", "Delta Wire")]
        assert "rail deal" not in json.dumps(slack.payloads, ensure_ascii=False)

        # held back is not forgotten: backtests still run over every stored item (7 + 2 + 2)
        assert main(["--config", str(cfg), "rules", "backtest", "--json"]) == 0
        assert json.loads(capsys.readouterr().out)["items"] == 11


def test_max_age_off_delivers_the_whole_backlog(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
    feeds, slack = FeedServer(), SlackReceiver()
    feeds.serve("/courier.xml", dated_feed("Harbour Courier", COURIER))
    feeds.serve("/wire.xml", dated_feed("Delta Wire", WIRE))
    with running(feeds), running(slack):
        cfg = write_config(tmp_path, feeds, slack)
        cfg.write_text(cfg.read_text() + '\n[fetch]\nmax_age = "off"\n', encoding="utf-8")
        assert main(["--config", str(cfg), "once"]) == 0
        assert "held back" not in capsys.readouterr().err
    assert len(archived(tmp_path)) == 7  # every matching item, whatever its age or date


def test_a_feed_is_named_by_its_title_only_while_the_config_names_it_not(tmp_path: Path) -> None:
    url = "https://w.example/rss"
    with Store(tmp_path / "s.sqlite3") as store:
        store.sync_feeds([(url, "w.example")], from_title={url})
        assert store.feed(url).name == "w.example"  # the host until the first successful poll
        fetched = FetchSuccess(None, None, title="Delta Wire", name="Delta Wire")
        store.record_poll(url, [], fetched, now=NOW)
        store.sync_feeds([(url, "w.example")], from_title={url})
        assert store.feed(url).name == "Delta Wire"
        store.sync_feeds([(url, "Desk")])  # the operator names it: the config wins
        store.record_poll(url, [], FetchSuccess(None, None, title="Delta Wire"), now=NOW)
        assert store.feed(url).name == "Desk"
        store.sync_feeds([(url, "w.example")], from_title={url})  # ... and unnames it again
        assert store.feed(url).name == "Delta Wire"


def test_backlog_fetches_no_article_pages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    feeds, slack = FeedServer(), SlackReceiver()
    fresh, old = feeds.url("/a/fresh"), feeds.url("/a/old")
    feeds.serve("/courier.xml", dated_feed("Harbour Courier", [
        ("Vietnam and Japan talk", fresh, HOUR), ("Vietnam and Japan talked", old, 9 * DAY),
    ]))  # fmt: skip
    feeds.serve("/wire.xml", dated_feed("Delta Wire", []))
    page = "<html><body><article><p>Vietnam and Japan sign a port deal.</p></article></body></html>"
    for path in ("/a/fresh", "/a/old"):
        feeds.serve(path, page, ctype="text/html")
    with running(feeds), running(slack):
        cfg = write_config(tmp_path, feeds, slack)
        text = cfg.read_text().replace(
            f'url = "{feeds.url("/courier.xml")}"',
            f'url = "{feeds.url("/courier.xml")}"\nfetch_full_text = true\nallow_private_hosts = true',
        )
        cfg.write_text(text, encoding="utf-8")
        assert main(["--config", str(cfg), "once"]) == 0
    assert "held back 1" in capsys.readouterr().err
    assert [p for p, _ in feeds.requests if p.startswith("/a/")] == ["/a/fresh"]
