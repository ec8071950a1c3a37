"""`newsbot feeds discover|check` against a loopback site."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.cli import main
from tests.test_fetch_support import LocalServer, rss, serving

FEED = rss(
    [
        {
            "title": "Older story",
            "link": "/older",
            "guid": "1",
            "pubDate": "Thu, 30 Apr 2026 08:00:00 GMT",
        },
        {
            "title": "Newest story",
            "link": "/newest",
            "guid": "2",
            "pubDate": "Fri, 01 May 2026 08:00:00 GMT",
        },
        {"title": "Undated story", "guid": "3"},
    ],
    title="Outlet &amp; Co",
)
PAGE = """<!doctype html><html><head>
<link rel="alternate" type="application/rss+xml" title="All news" href="/rss/all.xml">
<link rel="alternate" type="application/atom+xml" title="Asia" href="https://feeds.outlet.example/asia.atom">
<link rel="stylesheet" href="/style.css">
</head><body><p>home</p></body></html>"""


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LocalServer]:
    monkeypatch.delenv("NEWSBOT_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no ./newsbot.toml: defaults apply
    with serving() as s:
        yield s


def test_discover_prints_pasteable_toml(
    site: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    site.static("/", PAGE, ctype="text/html; charset=utf-8")
    assert main(["feeds", "discover", site.url("/")]) == 0
    out = capsys.readouterr().out
    feeds = tomllib.loads(out)["feeds"]
    assert feeds == [
        {"url": site.url("/rss/all.xml"), "name": "All news"},
        {"url": "https://feeds.outlet.example/asia.atom", "name": "Asia"},
    ]


def test_discover_tries_common_paths(site: LocalServer, capsys: pytest.CaptureFixture[str]) -> None:
    site.static("/", "<html><body>no links here</body></html>", ctype="text/html")
    site.static("/rss.xml", FEED)
    assert main(["feeds", "discover", site.url("/")]) == 0
    feeds = tomllib.loads(capsys.readouterr().out)["feeds"]
    assert feeds == [{"url": site.url("/rss.xml")}]


def test_discover_on_a_feed_url_returns_it(
    site: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = site.static("/feed.xml", FEED)
    assert main(["feeds", "discover", url]) == 0
    assert tomllib.loads(capsys.readouterr().out)["feeds"] == [{"url": url}]


def test_discover_nothing_found(site: LocalServer, capsys: pytest.CaptureFixture[str]) -> None:
    site.static("/", "<html><body>nothing</body></html>", ctype="text/html")
    assert main(["feeds", "discover", site.url("/")]) == 1
    assert "no feed found" in capsys.readouterr().err


def test_check_shows_title_count_and_newest(
    site: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    site.static("/feed.xml", FEED)
    old = site.redirect("/old.xml", "/feed.xml", status=301)
    assert main(["feeds", "check", old]) == 0
    out = capsys.readouterr().out
    assert "moved permanently to " + site.url("/feed.xml") in out
    assert f'update the config: url = "{site.url("/feed.xml")}"' in out
    assert "title:  Outlet & Co" in out
    assert "shown:  Outlet & Co (in digests and status, unless the config sets a name)" in out
    assert "items:  3" in out
    lines = [line.strip() for line in out.splitlines()]
    newest = lines.index("2026-05-01 08:00  Newest story")
    assert lines.index("2026-04-30 08:00  Older story") > newest
    assert lines[newest + 1] == site.url("/newest")
    assert "problem:" not in out


def test_check_reports_an_html_page_with_its_feed(
    site: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = site.static("/", PAGE, ctype="text/html")
    assert main(["feeds", "check", url]) == 1
    err = capsys.readouterr().err
    assert "is an HTML page, not a feed" in err
    assert site.url("/rss/all.xml") in err


def test_check_reports_malformed_feed(
    site: LocalServer, capsys: pytest.CaptureFixture[str]
) -> None:
    url = site.static(
        "/bad.xml", rss([{"title": "ok", "guid": "1"}, {"title": "a & b", "guid": "2"}])
    )
    assert main(["feeds", "check", url]) == 0
    assert "problem: malformed feed" in capsys.readouterr().out


def test_check_http_error_exits_1(site: LocalServer, capsys: pytest.CaptureFixture[str]) -> None:
    url = site.static("/gone.xml", "", status=410)
    assert main(["feeds", "check", url]) == 1
    assert "fetch: 410 Gone" in capsys.readouterr().err


def test_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["feeds", "--help"])
    out = capsys.readouterr().out
    assert "discover" in out and "check" in out
