"""The lxml fast path gives exactly what feedparser gives, or declines.

Generated feeds mix the quirks feedparser handles in its own way (entities, CDATA, padding, relative
and odd links, permalink guids, dates in many formats, authors with e-mails, mojibake, duplicated
fields, unknown elements, comments); for every one, `parse_fast` must either raise `Unsupported` or
return the `RawFeed` that feedparser's path returns. Hand-written feeds in the shapes most sites serve
must take the fast path, or the fast path would be dead code that this comparison cannot notice.
"""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.parse import parse_feed
from bot.parse.fast import Unsupported, parse_fast
from bot.parse.feed import parse_with_feedparser
from bot.parse.prepare import to_utf8

SAMPLES = Path(__file__).resolve().parent.parent / "bot" / "samples" / "feeds"
NS = (
    'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" '
    'xmlns:media="http://search.yahoo.com/mrss/" xmlns:x="urn:example:unknown"'
)

WORDS = st.sampled_from(
    [
        "Vietnam",
        "Japan",
        "Việt Nam",
        "Nhật Bản",
        "日本",
        "ベトナム",
        "Jepang",
        "ODA",
        "&",
        "<b>",
        "</b>",
        "<p>",
        "a < b",
        '"q"',
        "'",
        "Ã©",  # UTF-8 read as Latin-1: feedparser repairs it
        "\u201cquoted\u201d",
        "\x93",  # a C1 character: feedparser remaps these
        "  ",
        "\n",
        "&amp;",
        "&#233;",
        "]]",
    ]
)
TEXT = st.lists(WORDS, max_size=6).map(" ".join)
LINKS = st.sampled_from(
    [
        "https://news.example/a/1",
        "/relative/path?x=1&y=2",
        "https:///three-slashes.example/p",
        "https://q.example/?a=1&amp;b=2",
        "  https://padded.example/x  ",
        "",
        "article.html",
        "https://ví-dụ.example/bài",
    ]
)
DATES = st.sampled_from(
    [
        "Tue, 03 Feb 2026 12:30:00 +0900",
        "Tue, 03 Feb 2026 12:30:00 GMT",
        "2026-02-03T12:30:00Z",
        "2026-02-03T12:30:00+07:00",
        "2026-02-03",
        "03 Feb 2026",
        "not a date",
        "",
        "Mon, 31 Feb 2026 10:00:00 +0000",
    ]
)
AUTHORS = st.sampled_from(
    ["Lan Pham", "lan@example.com (Lan Pham)", "Lan <lan@example.com>", "lan@example.com", ""]
)


def _text_node(draw: st.DrawFn, value: str) -> str:
    if draw(st.booleans()) and "]]>" not in value:
        return f"<![CDATA[{value}]]>"
    return escape(value)


@st.composite
def rss_items(draw: st.DrawFn) -> str:
    parts: list[str] = []
    fields = draw(
        st.lists(
            st.sampled_from(
                [
                    "title",
                    "link",
                    "description",
                    "content",
                    "guid",
                    "pubDate",
                    "dcdate",
                    "author",
                    "creator",
                    "category",
                    "enclosure",
                    "thumbnail",
                    "comment",
                    "unknown",
                    "mediatitle",
                    "atomlink",
                ]
            ),
            max_size=9,
        )
    )
    for f in fields:
        if f == "title":
            parts.append(f"<title>{_text_node(draw, draw(TEXT))}</title>")
        elif f == "link":
            parts.append(f"<link>{escape(draw(LINKS))}</link>")
        elif f == "description":
            parts.append(f"<description>{_text_node(draw, draw(TEXT))}</description>")
        elif f == "content":
            parts.append(f"<content:encoded>{_text_node(draw, draw(TEXT))}</content:encoded>")
        elif f == "guid":
            attr = draw(st.sampled_from(["", ' isPermaLink="false"', ' isPermaLink="true"']))
            value = draw(st.one_of(LINKS, st.just("urn:uuid:1234"), TEXT))
            parts.append(f"<guid{attr}>{escape(value)}</guid>")
        elif f == "pubDate":
            parts.append(f"<pubDate>{draw(DATES)}</pubDate>")
        elif f == "dcdate":
            parts.append(f"<dc:date>{draw(DATES)}</dc:date>")
        elif f == "author":
            parts.append(f"<author>{escape(draw(AUTHORS))}</author>")
        elif f == "creator":
            parts.append(f"<dc:creator>{_text_node(draw, draw(AUTHORS))}</dc:creator>")
        elif f == "category":
            parts.append(f"<category>{escape(draw(TEXT))}</category>")
        elif f == "enclosure":
            parts.append('<enclosure url="https://e.example/a.mp3" type="audio/mpeg" length="1"/>')
        elif f == "thumbnail":
            parts.append('<media:thumbnail url="https://e.example/t.jpg"/>')
        elif f == "comment":
            parts.append("<!-- a comment -->")
        elif f == "unknown":
            parts.append(f"<x:note>{escape(draw(TEXT))}</x:note>")
        elif f == "mediatitle":
            parts.append(f"<media:title>{escape(draw(TEXT))}</media:title>")
        else:
            parts.append(f'<atom:link rel="alternate" href={quoteattr(draw(LINKS))}/>')
    return "<item>" + "".join(parts) + "</item>"


@st.composite
def rss_feeds(draw: st.DrawFn) -> bytes:
    head = []
    if draw(st.booleans()):
        head.append(f"<title>{_text_node(draw, draw(TEXT))}</title>")
    if draw(st.booleans()):
        head.append(f"<link>{escape(draw(LINKS))}</link>")
    if draw(st.booleans()):
        head.append(
            f"<language>{draw(st.sampled_from(['vi', 'ja-JP', 'en_US', ' id ']))}</language>"
        )
    if draw(st.booleans()):
        head.append(
            '<atom:link href="https://f.example/rss" rel="self" type="application/rss+xml"/>'
        )
    if draw(st.booleans()):
        head.append(
            "<image><title>Logo</title><url>https://f.example/l.png</url><link>https://f.example/</link></image>"
        )
    items = draw(st.lists(rss_items(), max_size=4))
    lang = draw(st.sampled_from(["", ' xml:lang="vi"', ' xml:lang="ja_JP"']))
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"{lang} {NS}><channel>'
        + "".join(head)
        + "".join(items)
        + "</channel></rss>"
    ).encode()


@st.composite
def atom_entries(draw: st.DrawFn) -> str:
    parts: list[str] = []
    fields = draw(
        st.lists(
            st.sampled_from(
                [
                    "title",
                    "link",
                    "id",
                    "summary",
                    "content",
                    "published",
                    "updated",
                    "author",
                    "category",
                    "unknown",
                ]
            ),
            max_size=9,
        )
    )
    for f in fields:
        kind = draw(st.sampled_from(["", ' type="text"', ' type="html"', ' type="xhtml"']))
        if f in ("title", "summary", "content"):
            parts.append(f"<{f}{kind}>{_text_node(draw, draw(TEXT))}</{f}>")
        elif f == "link":
            rel = draw(st.sampled_from(["", ' rel="alternate"', ' rel="self"', ' rel="enclosure"']))
            ltype = draw(st.sampled_from(["", ' type="text/html"', ' type="application/pdf"']))
            parts.append(f"<link{rel}{ltype} href={quoteattr(draw(LINKS))}/>")
        elif f == "id":
            parts.append(f"<id>{escape(draw(st.one_of(LINKS, st.just('urn:uuid:9'))))}</id>")
        elif f in ("published", "updated"):
            parts.append(f"<{f}>{draw(DATES)}</{f}>")
        elif f == "author":
            name = draw(st.sampled_from(["", "<name>Kenji Sato</name>", "<name> </name>"]))
            email = draw(st.sampled_from(["", "<email>k@example.jp</email>"]))
            parts.append(f"<author>{name}{email}</author>")
        elif f == "category":
            parts.append('<category term="politics"/>')
        else:
            parts.append("<x:note>n</x:note>")
    return "<entry>" + "".join(parts) + "</entry>"


@st.composite
def atom_feeds(draw: st.DrawFn) -> bytes:
    head = []
    if draw(st.booleans()):
        head.append(f"<title>{_text_node(draw, draw(TEXT))}</title>")
    for _ in range(draw(st.integers(0, 2))):
        rel = draw(st.sampled_from(["", ' rel="alternate"', ' rel="self"']))
        head.append(f"<link{rel} href={quoteattr(draw(LINKS))}/>")
    if draw(st.booleans()):
        head.append("<id>urn:feed</id><updated>2026-02-03T00:00:00Z</updated>")
    entries = draw(st.lists(atom_entries(), max_size=4))
    lang = draw(st.sampled_from(["", ' xml:lang="vi"', ' xml:lang="en_GB"']))
    return (
        f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom"{lang} '
        'xmlns:x="urn:example:unknown">' + "".join(head) + "".join(entries) + "</feed>"
    ).encode()


def assert_same_or_declined(body: bytes) -> bool:
    data = to_utf8(body, None)
    try:
        fast = parse_fast(data)
    except Unsupported:
        return False
    assert fast == parse_with_feedparser(
        data, url="https://f.example/feed", base="https://f.example/feed"
    )
    return True


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rss_feeds())
def test_generated_rss_matches_feedparser(body: bytes) -> None:
    assert_same_or_declined(body)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(atom_feeds())
def test_generated_atom_matches_feedparser(body: bytes) -> None:
    assert_same_or_declined(body)


WORDPRESS = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" {NS} xmlns:wfw="http://wellformedweb.org/CommentAPI/"
  xmlns:slash="http://purl.org/rss/1.0/modules/slash/" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel>
  <title>Cảng &amp; Logistics</title>
  <atom:link href="https://blog.example.vn/feed/" rel="self" type="application/rss+xml" />
  <link>https://blog.example.vn</link>
  <description>Tin tức</description>
  <lastBuildDate>Mon, 02 Feb 2026 08:00:00 +0000</lastBuildDate>
  <language>vi</language>
  <sy:updatePeriod>hourly</sy:updatePeriod>
  <generator>https://wordpress.org/?v=6.4</generator>
  <item>
    <title>JICA ký khoản vay ODA cho cảng Lạch Huyện</title>
    <link>https://blog.example.vn/2026/02/jica-lach-huyen/</link>
    <comments>https://blog.example.vn/2026/02/jica-lach-huyen/#respond</comments>
    <dc:creator><![CDATA[Phạm Lan]]></dc:creator>
    <pubDate>Mon, 02 Feb 2026 07:45:00 +0000</pubDate>
    <category><![CDATA[Kinh tế]]></category>
    <guid isPermaLink="false">https://blog.example.vn/?p=1201</guid>
    <description><![CDATA[<p>Hai bên ký thỏa thuận&#8230;</p>]]></description>
    <content:encoded><![CDATA[<p>Nội dung đầy đủ về khoản vay.</p>]]></content:encoded>
    <wfw:commentRss>https://blog.example.vn/2026/02/jica-lach-huyen/feed/</wfw:commentRss>
    <slash:comments>0</slash:comments>
    <media:thumbnail url="https://blog.example.vn/t.jpg" />
  </item>
</channel>
</rss>
""".encode()

ATOM_BLOG = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ja">
  <title type="text">アジア経済ノート</title>
  <link rel="alternate" type="text/html" href="https://note.example.jp/"/>
  <link rel="self" type="application/atom+xml" href="https://note.example.jp/feed.atom"/>
  <id>tag:note.example.jp,2026:feed</id>
  <updated>2026-02-03T09:00:00+09:00</updated>
  <author><name>編集部</name></author>
  <entry>
    <title type="html">日越&lt;b&gt;半導体&lt;/b&gt;協力</title>
    <link href="/2026/02/03/semiconductors"/>
    <id>tag:note.example.jp,2026:entry-7</id>
    <published>2026-02-03T09:00:00+09:00</published>
    <updated>2026-02-03T10:00:00+09:00</updated>
    <author><name>佐藤</name><email>sato@example.jp</email></author>
    <summary type="html">&lt;p&gt;人材育成で連携&lt;/p&gt;</summary>
    <content type="html">&lt;p&gt;両国は人材育成で連携する。&lt;/p&gt;</content>
    <category term="経済"/>
  </entry>
</feed>
""".encode()


@pytest.mark.parametrize(
    "body",
    [WORDPRESS, ATOM_BLOG, *(p.read_bytes() for p in sorted(SAMPLES.glob("*.xml")))],
    ids=["wordpress", "atom-blog", *(p.stem for p in sorted(SAMPLES.glob("*.xml")))],
)
def test_common_feed_shapes_take_the_fast_path(body: bytes) -> None:
    assert assert_same_or_declined(body), "declined a plain, common feed shape"


def test_parse_feed_is_the_same_either_way(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = parse_feed(ATOM_BLOG, url="https://note.example.jp/feed.atom")

    def decline(data: bytes) -> None:
        raise Unsupported("test")

    monkeypatch.setattr("bot.parse.feed.parse_fast", decline)
    assert parse_feed(ATOM_BLOG, url="https://note.example.jp/feed.atom") == fast
    assert fast.items[0].link == "https://note.example.jp/2026/02/03/semiconductors"
    assert fast.items[0].title == "日越 半導体 協力"


@pytest.mark.parametrize(
    "body",
    [
        b'<rss version="2.0"><channel><item><title>a<b>x</b></title></item></channel></rss>',
        b'<rss version="2.0"><channel><item><title>a&nbsp;b</title></item></channel></rss>',
        b'<rss version="0.91"><channel><item><title>a</title></item></channel></rss>',
        b'<rss version="2.0" xml:base="https://b.example/"><channel/></rss>',
        b'<rss version="2.0"><channel><item><title>a</title><title>b</title></item></channel></rss>',
        b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="xhtml">'
        b'<div xmlns="http://www.w3.org/1999/xhtml">x</div></content></entry></feed>',
        b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"/>',
    ],
    ids=["markup", "html-entity", "rss091", "xml-base", "two-titles", "xhtml", "rdf"],
)
def test_subtle_shapes_are_left_to_feedparser(body: bytes) -> None:
    with pytest.raises(Unsupported):
        parse_fast(body)
