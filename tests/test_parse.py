"""parse_feed on bytes served from loopback: charsets, hostile XML, HTML pages, odd items."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

import bot
from bot.errors import ParseError
from bot.fetch import Fetcher
from bot.models import ParsedFeed
from bot.parse import canonical_link, item_key, parse_feed, to_utf8
from tests.test_fetch_support import LocalServer, fast_settings, reply, rss, serving

VI_TITLE = "Việt Nam và Nhật Bản mở rộng hợp tác đào tạo điều dưỡng"
JA_TITLE = "日本とベトナム、半導体人材の育成で連携"


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with serving() as s:
        yield s


async def fetch_parse(
    server: LocalServer, body: bytes, *, ctype: str = "application/rss+xml", lang: str | None = None
) -> ParsedFeed:
    url = server.static("/feeds/main.xml", body, ctype=ctype)
    async with Fetcher(settings=fast_settings(), user_agent=bot.USER_AGENT) as f:
        result = await f.fetch(url)
    assert result.body is not None
    return parse_feed(result.body, url=result.final_url, headers=result.headers, lang=lang)


# ---------------------------------------------------------------------------- charsets


async def test_utf8_vietnamese_and_japanese_intact(server: LocalServer) -> None:
    body = rss([{"title": VI_TITLE, "guid": "1"}, {"title": JA_TITLE, "guid": "2"}]).encode()
    feed = await fetch_parse(server, body)
    assert [i.title for i in feed.items] == [VI_TITLE, JA_TITLE]
    assert feed.error is None


async def test_windows_1252_declared_in_xml(server: LocalServer) -> None:
    text = rss([{"title": "Café “quoted” – déjà", "guid": "1"}]).replace(
        'encoding="utf-8"', 'encoding="windows-1252"'
    )
    feed = await fetch_parse(server, text.encode("windows-1252"), ctype="application/xml")
    assert feed.items[0].title == "Café “quoted” – déjà"


async def test_charset_from_the_http_header(server: LocalServer) -> None:
    text = rss([{"title": JA_TITLE, "guid": "1"}]).replace(
        '<?xml version="1.0" encoding="utf-8"?>', ""
    )
    feed = await fetch_parse(
        server, text.encode("shift_jis"), ctype="application/rss+xml; charset=Shift_JIS"
    )
    assert feed.items[0].title == JA_TITLE


async def test_euc_jp_declared_in_xml(server: LocalServer) -> None:
    text = rss([{"title": JA_TITLE, "guid": "1"}]).replace('encoding="utf-8"', 'encoding="EUC-JP"')
    feed = await fetch_parse(server, text.encode("euc_jp"))
    assert feed.items[0].title == JA_TITLE


async def test_utf8_mislabelled_as_latin1_is_not_mangled(server: LocalServer) -> None:
    text = rss([{"title": VI_TITLE, "guid": "1"}]).replace(
        'encoding="utf-8"', 'encoding="ISO-8859-1"'
    )
    feed = await fetch_parse(
        server, text.encode("utf-8"), ctype="application/rss+xml; charset=iso-8859-1"
    )
    assert feed.items[0].title == VI_TITLE


async def test_latin1_mislabelled_as_utf8_falls_back(server: LocalServer) -> None:
    text = rss([{"title": "Réunion à Tokyo", "guid": "1"}])
    feed = await fetch_parse(server, text.encode("windows-1252"))
    assert feed.items[0].title == "Réunion à Tokyo"


async def test_shift_jis_served_without_a_label_is_detected(server: LocalServer) -> None:
    items = [{"title": f"{JA_TITLE}（{n}）", "guid": str(n)} for n in range(3)]
    text = rss(items).replace('<?xml version="1.0" encoding="utf-8"?>', "")
    feed = await fetch_parse(server, text.encode("shift_jis"), ctype="text/xml")
    assert [i.title for i in feed.items] == [item["title"] for item in items]


async def test_a_stray_byte_spoils_only_itself(server: LocalServer) -> None:
    body = rss([{"title": VI_TITLE, "guid": "1"}, {"title": "Hà Nội \x01", "guid": "2"}]).encode()
    body = body.replace(b"\x01", "ữ".encode()[:1])  # a title cut inside a character
    feed = await fetch_parse(server, body)
    assert [i.title for i in feed.items] == [VI_TITLE, "Hà Nội \ufffd"]


@pytest.mark.parametrize("codec", ["utf-8-sig", "utf-16"])
async def test_byte_order_marks(server: LocalServer, codec: str) -> None:
    text = rss([{"title": VI_TITLE, "guid": "1"}])
    if codec == "utf-16":
        text = text.replace('encoding="utf-8"', 'encoding="utf-16"')
    body = text.encode(codec)
    assert body[:2] in (b"\xff\xfe", b"\xfe\xff") or body[:3] == b"\xef\xbb\xbf"
    feed = await fetch_parse(server, body)
    assert feed.items[0].title == VI_TITLE


def test_to_utf8_rewrites_the_declaration() -> None:
    out = to_utf8('<?xml version="1.0" encoding="windows-1252"?><a>é</a>'.encode("cp1252"), None)
    assert out == '<?xml version="1.0" encoding="utf-8"?><a>é</a>'.encode()


# ---------------------------------------------------------------------------- hostile XML


def entity_feed(entity: str, refs: int) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n{entity}\n]>\n<rss version="2.0"><channel>'
        f"<title>t</title><item><title>x</title><description>{'&e;' * refs}</description>"
        "</item></channel></rss>"
    ).encode()


async def test_large_entity_referenced_many_times_is_refused(server: LocalServer) -> None:
    # a small version of the 130 KB -> 2.9 GB feed; without the pre-screen feedparser expands it
    body = entity_feed(f'<!ENTITY e "{"A" * 10_000}">', 3_000)
    with pytest.raises(ParseError, match="refusing XML entity declarations"):
        await fetch_parse(server, body)


async def test_entity_declaration_in_a_malformed_prolog_is_refused(server: LocalServer) -> None:
    body = entity_feed('<!ENTITY e "' + "B" * 1000 + '"><!oops>', 100)
    with pytest.raises(ParseError, match="refusing XML entity declarations"):
        await fetch_parse(server, body)


async def test_external_entities_are_never_resolved(server: LocalServer, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-MARKER")
    server.static("/dtd", '<!ENTITY leak "FETCHED">', ctype="application/xml-dtd")
    for entity in (
        f'<!ENTITY e SYSTEM "file://{secret}">',
        f'<!ENTITY e SYSTEM "{server.url("/dtd")}">',
        f'<!ENTITY % p SYSTEM "{server.url("/dtd")}"> %p;',
    ):
        with pytest.raises(ParseError) as info:
            await fetch_parse(server, entity_feed(entity, 1))
        assert "TOP-SECRET-MARKER" not in str(info.value)
    assert "/dtd" not in server.paths()


async def test_netscape_doctype_without_entities_is_fine(server: LocalServer) -> None:
    body = rss([{"title": "Old school", "guid": "1"}]).replace(
        "<rss",
        '<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" '
        '"http://my.netscape.com/publish/formats/rss-0.91.dtd">\n<rss',
    )
    feed = await fetch_parse(server, body.encode())
    assert [i.title for i in feed.items] == ["Old school"]


async def test_invalid_xml_keeps_the_items_that_parsed(server: LocalServer) -> None:
    body = rss([{"title": "Good one", "guid": "1"}, {"title": "Broken & bad <b>", "guid": "2"}])
    feed = await fetch_parse(server, body.encode())
    assert feed.error is not None and feed.error.startswith("malformed feed")
    assert "Good one" in [i.title for i in feed.items]


async def test_garbage_is_not_a_feed(server: LocalServer) -> None:
    with pytest.raises(ParseError, match="not an RSS/Atom feed"):
        await fetch_parse(server, b"this is { not xml", ctype="text/plain")


async def test_html_page_gets_a_hint_when_it_advertises_a_feed(server: LocalServer) -> None:
    page = (
        "<!DOCTYPE html><html><head><title>Outlet</title>"
        '<link rel="alternate" type="application/rss+xml" title="News" href="/rss/news.xml">'
        "</head><body><p>Front page</p></body></html>"
    )
    with pytest.raises(ParseError) as info:
        await fetch_parse(server, page.encode(), ctype="text/html; charset=utf-8")
    assert "is an HTML page, not a feed" in str(info.value)
    assert str(info.value).endswith(f"it advertises a feed: {server.url('/rss/news.xml')}")


async def test_html_page_without_feed_suggests_discovery(server: LocalServer) -> None:
    with pytest.raises(ParseError, match="newsbot feeds discover"):
        await fetch_parse(server, b"<html><body>hi</body></html>", ctype="text/html")


# ---------------------------------------------------------------------------- items


async def test_relative_links_resolve_against_the_feed_url(server: LocalServer) -> None:
    body = rss(
        [
            {"title": "a", "link": "/news/a.html", "guid": "1"},
            {"title": "b", "link": "b.html", "guid": "2"},
        ]
    )
    feed = await fetch_parse(server, body.encode())
    assert [i.link for i in feed.items] == [server.url("/news/a.html"), server.url("/feeds/b.html")]


async def test_items_without_guid_link_or_date(server: LocalServer) -> None:
    body = rss(
        [
            {"title": "link only", "link": "https://outlet.example/x?utm_source=rss#top"},
            {"title": "title only"},
            {"description": "description only, no title"},
        ]
    )
    feed = await fetch_parse(server, body.encode())
    keys = [i.key for i in feed.items]
    assert keys[0] == "link:https://outlet.example/x"
    assert keys[1] == item_key(None, None, "title only", None)
    assert keys[2].startswith("sha1:") and len(set(keys)) == 3
    assert all(i.published is None and i.guid is None for i in feed.items)
    assert feed.items[2].title == ""


async def test_duplicate_guids_keep_the_first(server: LocalServer) -> None:
    body = rss([{"title": "first", "guid": "same"}, {"title": "second", "guid": "same"}])
    feed = await fetch_parse(server, body.encode())
    assert [i.title for i in feed.items] == ["first"]


async def test_html_in_titles_becomes_text(server: LocalServer) -> None:
    body = rss([{"title": "&lt;b&gt;Breaking:&lt;/b&gt; Hanoi &amp;amp; Tokyo", "guid": "1"}])
    feed = await fetch_parse(server, body.encode())
    assert feed.items[0].title == "Breaking: Hanoi & Tokyo"


async def test_atom_with_dates_content_and_language(server: LocalServer) -> None:
    body = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ja-JP">
  <title type="html">&lt;i&gt;Asia&lt;/i&gt; desk</title><id>urn:feed</id>
  <link href="https://outlet.example/"/>
  <updated>2026-05-01T09:00:00+09:00</updated>
  <entry><id>urn:1</id><title>{JA_TITLE}</title><link href="/ja/1"/>
    <published>2026-05-01T09:00:00+09:00</published><updated>2026-05-01T09:00:00+09:00</updated>
    <summary>短い要約</summary>
    <content type="html">&lt;p&gt;本文の段落&lt;/p&gt;</content></entry>
</feed>"""
    feed = await fetch_parse(server, body.encode(), ctype="application/atom+xml")
    item = feed.items[0]
    assert feed.title == "Asia desk"
    assert item.key == "guid:urn:1"
    assert item.published == datetime(2026, 5, 1, 0, 0, tzinfo=UTC)
    assert item.summary == "短い要約"
    assert "本文の段落" in item.content
    assert item.link == server.url("/ja/1")  # relative to the feed URL, not the site link
    assert item.lang == "ja"


async def test_configured_language_wins(server: LocalServer) -> None:
    body = rss([{"title": "x", "guid": "1"}], extra="<language>en-us</language>")
    assert (await fetch_parse(server, body.encode())).items[0].lang == "en"
    assert (await fetch_parse(server, body.encode(), lang="id")).items[0].lang == "id"


def test_parse_never_fetches_or_opens_files(tmp_path: Path) -> None:
    # feedparser given bytes that name a file opens and parses the file; a body must stay a body
    target = tmp_path / "feed.xml"
    target.write_text(rss([{"title": "from disk", "guid": "1"}]))
    with pytest.raises(ParseError, match="not an RSS/Atom feed"):
        parse_feed(str(target).encode(), url="https://outlet.example/rss")


# ---------------------------------------------------------------------------- identity


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://Example.COM/a?utm_source=x&id=3&fbclid=abc#frag", "https://example.com/a?id=3"),
        ("HTTP://example.com:80/path", "http://example.com/path"),
        ("https://example.com:8443/p?gclid=1", "https://example.com:8443/p"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a?b=1&a=2", "https://example.com/a?b=1&a=2"),
        ("https://example.com/a?UTM_Medium=rss&mc_cid=1&q=", "https://example.com/a?q="),
    ],
)
def test_canonical_link(url: str, canonical: str) -> None:
    assert canonical_link(url) == canonical


def test_item_key_order_of_preference() -> None:
    when = datetime(2026, 5, 1, tzinfo=UTC)
    assert item_key("urn:x", "https://a.example/1", "t", when) == "guid:urn:x"
    assert item_key(None, "https://A.example/1?utm_campaign=z", "t", when) == (
        "link:https://a.example/1"
    )
    assert item_key("", None, "t", when) != item_key("", None, "t", None)
    assert item_key(None, None, "t", when) == item_key(None, None, " t ", when)


def test_same_article_two_feeds_same_canonical_link() -> None:
    a = parse_feed(
        rss([{"title": "x", "link": "https://news.example/story?utm_source=feedA"}]).encode(),
        url="https://feeds.one.example/rss",
    )
    b = parse_feed(
        rss([{"title": "x", "link": "https://NEWS.example/story#comments"}]).encode(),
        url="https://feeds.two.example/rss",
    )
    assert a.items[0].key == b.items[0].key == "link:https://news.example/story"


async def test_gzip_feed_parses(server: LocalServer) -> None:
    import gzip

    raw = rss([{"title": VI_TITLE, "guid": "1"}]).encode()
    body = gzip.compress(raw)

    def gz(h: BaseHTTPRequestHandler) -> None:
        reply(h, 200, body, {"Content-Encoding": "gzip", "Content-Type": "application/rss+xml"})

    url = server.handle("/gz.xml", gz)
    async with Fetcher(settings=fast_settings(), user_agent=bot.USER_AGENT) as f:
        result = await f.fetch(url)
    assert result.body is not None
    assert parse_feed(result.body, url=url, headers=result.headers).items[0].title == VI_TITLE
