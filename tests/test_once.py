"""`newsbot once` end to end: local feed server, real SMTP, a Slack receiver, a real SQLite file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli import main
from tests.servers import FeedServer, SlackReceiver, rfc822, running, smtp_server

FIXTURES = Path(__file__).parent / "fixtures"

RELEVANT = {
    "/en.xml": [("Vietnam and Japan widen coast guard drills", "https://news.example/a1")],
    "/vi.xml": [("Việt Nam và Nhật Bản ký thỏa thuận lao động", "https://news.example/v1")],
}
NOISE = {
    "/en.xml": [("Vietnam beat Japan in football friendly", "https://news.example/a2")],
    "/vi.xml": [("Giá vàng tăng", "https://news.example/v2")],
}


def rss(items: list[tuple[str, str]]) -> str:
    body = "".join(
        f"<item><title>{t}</title><link>{link}</link><guid>{link}</guid>"
        f"<pubDate>{rfc822()}</pubDate><description>{t} — a short summary.</description></item>"
        for t, link in items
    )
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>{body}</channel></rss>'


def write_config(
    tmp: Path, feeds: FeedServer, slack: SlackReceiver, smtp_port: int, extra_feeds: list[str] = ()
) -> Path:
    urls = [feeds.url("/en.xml"), feeds.url("/vi.xml"), *extra_feeds]
    feed_tables = "".join(f'[[feeds]]\nurl = "{u}"\n\n' for u in urls)
    cfg = tmp / "newsbot.toml"
    cfg.write_text(
        f"""
[state]
path = "state/newsbot.sqlite3"
[rules]
paths = ["{FIXTURES / "simple-rules.yaml"}"]
{feed_tables}
[[destinations]]
name = "desk-slack"
type = "slack"
webhook_url = "${{SLACK_WEBHOOK_URL}}"

[[destinations]]
name = "desk-mail"
type = "email"
smtp_host = "127.0.0.1"
smtp_port = {smtp_port}
from = "newsbot@example.org"
to = ["desk@example.org"]

[[destinations]]
name = "archive"
type = "file"
dir = "digests"
format = "json"
""",
        encoding="utf-8",
    )
    return cfg


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    feeds = FeedServer()
    for path in ("/en.xml", "/vi.xml"):
        feeds.serve(path, rss(RELEVANT[path] + NOISE[path]))
    slack = SlackReceiver()
    with running(feeds), running(slack), smtp_server() as (mail, port):
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.url)
        monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
        yield tmp_path, feeds, slack, mail, port


def slack_text(slack: SlackReceiver) -> str:
    return json.dumps(slack.payloads, ensure_ascii=False)


def archived_links(tmp: Path) -> list[str]:
    links = []
    for f in sorted((tmp / "digests").glob("*.json")):
        links += [e["link"] for e in json.loads(f.read_text())["entries"]]
    return links


def test_first_cycle_delivers_relevant_items_everywhere_and_second_nothing(env) -> None:
    tmp, feeds, slack, mail, port = env
    cfg = write_config(tmp, feeds, slack, port)
    assert main(["--config", str(cfg), "once"]) == 0

    wanted = {"https://news.example/a1", "https://news.example/v1"}
    assert set(archived_links(tmp)) == wanted
    assert len(mail.messages) == 1
    body = mail.messages[0].get_body(("plain",)).get_content()
    assert "coast guard drills" in body and "lao động" in body
    assert "football" not in body and "Giá vàng" not in body
    assert "coast guard drills" in slack_text(slack) and "football" not in slack_text(slack)

    # same feeds again, and again after a "restart" (a fresh process reads the same state file)
    assert main(["--config", str(cfg), "once"]) == 0
    assert main(["--config", str(cfg), "once"]) == 0
    assert len(mail.messages) == 1
    assert len(slack.payloads) == 1 or "coast guard" not in json.dumps(slack.payloads[1:])
    assert sorted(archived_links(tmp)) == sorted(wanted)

    # a new item arrives: only it is delivered
    feeds.serve(
        "/en.xml",
        rss([*RELEVANT["/en.xml"], ("Japan, Vietnam open ODA talks", "https://news.example/a3")]),
    )
    assert main(["--config", str(cfg), "once"]) == 0
    assert len(mail.messages) == 2
    second = mail.messages[1].get_body(("plain",)).get_content()
    assert "ODA talks" in second and "coast guard drills" not in second


def test_status_after_once_shows_the_rules_in_force(env, capsys) -> None:
    # a timer install runs `once`, never the daemon: its status still names the rules
    tmp, feeds, slack, _mail, port = env
    cfg = write_config(tmp, feeds, slack, port)
    assert main(["--config", str(cfg), "status", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["rules"] is None
    assert main(["--config", str(cfg), "once"]) == 0
    capsys.readouterr()
    assert main(["--config", str(cfg), "status", "--json"]) == 0
    rules = json.loads(capsys.readouterr().out)["rules"]
    assert rules["files"] == [str(FIXTURES / "simple-rules.yaml")] and rules["rules"] >= 1


def test_destination_down_for_a_cycle_gets_everything_next_cycle(env, capsys) -> None:
    tmp, feeds, slack, mail, port = env
    cfg = write_config(tmp, feeds, slack, port)
    slack.down = True
    assert main(["--config", str(cfg), "once"]) == 0
    assert "desk-slack" in capsys.readouterr().err
    assert slack.payloads == [] and len(mail.messages) == 1

    slack.down = False
    assert main(["--config", str(cfg), "once"]) == 0
    text = slack_text(slack)
    assert "coast guard drills" in text and "lao động" in text
    assert len(mail.messages) == 1  # the mail was already delivered; not sent twice


def test_broken_feeds_do_not_stop_the_others(env, capsys) -> None:
    tmp, feeds, slack, _mail, port = env
    feeds.serve("/500.xml", "oops", status=500)
    feeds.serve("/bad.xml", "<rss><channel><item><title>unclosed")
    cfg = write_config(tmp, feeds, slack, port, [feeds.url("/500.xml"), feeds.url("/bad.xml")])
    assert main(["--config", str(cfg), "once"]) == 0
    err = capsys.readouterr().err
    assert "500" in err
    assert set(archived_links(tmp)) == {"https://news.example/a1", "https://news.example/v1"}
    # the broken feed is retried next cycle
    n = len([p for p, _ in feeds.requests if p == "/500.xml"])
    main(["--config", str(cfg), "once"])
    assert len([p for p, _ in feeds.requests if p == "/500.xml"]) == n + 1


def test_conditional_get_sends_validators(env) -> None:
    tmp, feeds, slack, _mail, port = env
    feeds.routes["/en.xml"].headers["ETag"] = '"v1"'
    cfg = write_config(tmp, feeds, slack, port)
    main(["--config", str(cfg), "once"])
    main(["--config", str(cfg), "once"])
    second = [h for p, h in feeds.requests if p == "/en.xml"][-1]
    assert second.get("If-None-Match") == '"v1"'


def test_script_content_in_feed_html_neither_matches_nor_reaches_a_digest(env) -> None:
    tmp, feeds, slack, mail, port = env
    hidden = "&lt;p&gt;Weather today.&lt;/p&gt;&lt;script&gt;Vietnam Japan alert()&lt;/script&gt;"
    shown = "&lt;p&gt;Vietnam and Japan talk.&lt;/p&gt;&lt;script&gt;steal()&lt;/script&gt;"
    feeds.serve(
        "/en.xml",
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        f"<item><title>Sunny</title><link>https://news.example/s1</link>"
        f"<pubDate>{rfc822()}</pubDate><description>{hidden}</description></item>"
        f"<item><title>Talks</title><link>https://news.example/s2</link>"
        f"<pubDate>{rfc822()}</pubDate><description>{shown}</description></item>"
        "</channel></rss>",
    )
    cfg = write_config(tmp, feeds, slack, port)
    assert main(["--config", str(cfg), "once"]) == 0
    links = archived_links(tmp)
    assert "https://news.example/s2" in links and "https://news.example/s1" not in links
    everything = slack_text(slack) + "".join(m.as_string() for m in mail.messages)
    everything += "".join(p.read_text() for p in (tmp / "digests").glob("*"))
    assert "steal()" not in everything and "alert()" not in everything


def test_urgency_per_destination_by_rule_flag_or_score(tmp_path: Path) -> None:
    """`newsbot run` sends urgent deliveries at once; `once` records which ones they are."""
    from bot.config import ConsoleOptions, DestinationConfig
    from bot.models import RuleMatch
    from bot.pipeline import urgent_for

    def dest(name: str, **kw: object) -> DestinationConfig:
        return DestinationConfig(name=name, type="console", options=ConsoleOptions(), **kw)  # type: ignore[arg-type]

    plain, flagged = RuleMatch("vn-jp", 3.0), RuleMatch("vn-jp-partnership", 3.0, urgent=True)
    dests = [
        dest("digest-only", urgent=False),
        dest("by-rule"),
        dest("by-score", urgent_score=2.5),
        dest("high-bar", urgent_score=10.0),
        dest("other-rules", rules=("something-else",), urgent_score=0.0),
    ]
    assert urgent_for([plain], dests) == ("by-score",)
    assert urgent_for([flagged], dests) == ("by-rule", "by-score", "high-bar")
    assert urgent_for([], dests) == ()
