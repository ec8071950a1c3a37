"""Defects found by running `bot.parse` against feedparser's own test corpus (issue 14).

Each test here failed before its fix; tests/test_parse_corpus.py runs the whole corpus.
"""

from __future__ import annotations

import pytest

from bot.parse import parse_feed
from bot.parse.fast import Unsupported, parse_fast
from bot.parse.feed import parse_with_feedparser
from bot.parse.prepare import to_utf8

URL = "https://feeds.example/news/rss.xml"
VI_TITLE = "Việt Nam và Nhật Bản mở rộng hợp tác"
JA_TITLE = "日本とベトナム、半導体人材の育成で連携"


def rss_item(title: str, *, extra: str = "") -> str:
    return f"<item><title>{title}</title><guid>g1</guid>{extra}</item>"


def rss(*items: str, decl: str = '<?xml version="1.0" encoding="utf-8"?>') -> str:
    return f'{decl}\n<rss version="2.0"><channel><title>T</title>{"".join(items)}</channel></rss>'


def atom(*entries: str) -> str:
    return f'<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>{"".join(entries)}</feed>'


def both_paths(body: bytes) -> object:
    """What the fast path gives, after checking that it takes the file and the fallback agrees."""
    data = to_utf8(body, None)
    fast = parse_fast(data)
    assert fast == parse_with_feedparser(data, url=URL, base=URL)
    return fast


# ---------------------------------------------------------------------------- 1. UTF-32, no BOM


@pytest.mark.parametrize("codec", ["utf-32-be", "utf-32-le"])
@pytest.mark.parametrize("declared", ["utf-32", None])
def test_utf32_without_a_bom_is_decoded(codec: str, declared: str | None) -> None:
    decl = f'<?xml version="1.0" encoding="{declared}"?>' if declared else '<?xml version="1.0"?>'
    body = rss(rss_item(VI_TITLE), decl=decl).encode(codec)
    assert not body.startswith((b"\xff\xfe", b"\x00\x00\xfe\xff"))
    feed = parse_feed(body, url=URL)
    assert [i.title for i in feed.items] == [VI_TITLE]


# ---------------------------------------------------------------------------- 2. a stray byte


@pytest.mark.parametrize("declared", [True, False])
def test_one_invalid_byte_in_utf8_spoils_only_itself(declared: bool) -> None:
    decl = '<?xml version="1.0" encoding="utf-8"?>' if declared else ""
    head = rss(rss_item(VI_TITLE), decl=decl).removesuffix("</channel></rss>")
    # a description cut in the middle of a character: the first byte of "ữ" is left alone
    body = (
        f"{head}<item><title>{JA_TITLE}</title><guid>g2</guid><description>Cắt ngắn".encode()
        + "ữ".encode()[:1]
        + b"</description></item></channel></rss>"
    )
    feed = parse_feed(body, url=URL)
    assert [i.title for i in feed.items] == [VI_TITLE, JA_TITLE]
    assert feed.items[1].summary == "Cắt ngắn\ufffd"


def test_a_stray_byte_in_a_mostly_english_feed_spoils_only_itself() -> None:
    # an English edition of a Vietnamese outlet: few accented characters, one of them cut short
    head = rss(rss_item("Coast guard cooperation in Hà Nội"))
    body = head.removesuffix("</channel></rss>").encode() + (
        "<item><title>JICA signs ODA loan for Việt Nam metro</title><guid>g2</guid>"
        "<description>Officials in Đà Nẵng</description></item>".encode()
        + "<item><title>Cut</title><guid>g3</guid><description>Bắ".encode()
        + "ắ".encode()[:2]
        + b"</description></item></channel></rss>"
    )
    titles = [i.title for i in parse_feed(body, url=URL).items]
    assert titles == [
        "Coast guard cooperation in Hà Nội",
        "JICA signs ODA loan for Việt Nam metro",
        "Cut",
    ]


def test_latin1_text_is_still_latin1() -> None:
    body = rss(rss_item("Réunion à Tokyo"), decl='<?xml version="1.0"?>').encode("cp1252")
    assert parse_feed(body, url=URL).items[0].title == "Réunion à Tokyo"


def test_shift_jis_without_a_declaration_is_detected() -> None:
    entries = "".join(
        f"<entry><id>urn:e{n}</id><title>{JA_TITLE} {n}</title>"
        f"<summary>両国は人材育成で連携する。記事{n}</summary></entry>"
        for n in range(3)
    )
    body = atom(entries).encode("shift_jis")
    feed = parse_feed(body, url=URL)
    assert [i.title for i in feed.items] == [f"{JA_TITLE} {n}" for n in range(3)]


def test_a_declared_charset_is_not_second_guessed() -> None:
    body = rss(rss_item("Café"), decl='<?xml version="1.0" encoding="iso-8859-1"?>')
    assert parse_feed(body.encode("iso-8859-1"), url=URL).items[0].title == "Café"


# ---------------------------------------------------------------------------- 3. xml:base scope


@pytest.mark.parametrize(
    "body",
    [
        rss(
            '<item xml:base="https://example.com/first/"><link>first</link></item>'
            "<item><link>second</link></item>"
        ),
        atom(
            '<entry xml:base="https://example.com/first/"><id>urn:1</id><link href="first"/>'
            '</entry><entry><id>urn:2</id><link href="second"/></entry>'
        ),
    ],
    ids=["rss", "atom"],
)
def test_xml_base_does_not_leak_into_the_next_item(body: str) -> None:
    links = [i.link for i in parse_feed(body.encode(), url=URL).items]
    assert links == ["https://example.com/first/first", "https://feeds.example/news/second"]


def test_relative_xml_base_still_resolves_against_the_feed_url() -> None:
    body = atom('<entry xml:base="/archive/"><id>urn:1</id><link href="a.html"/></entry>').encode()
    assert parse_feed(body, url=URL).items[0].link == "https://feeds.example/archive/a.html"


# ---------------------------------------------------------------------------- 4. plain-text titles


@pytest.mark.parametrize(
    "title",
    [
        '<title type="text">History of the &lt;blink&gt; tag</title>',
        "<title>History of the &lt;blink&gt; tag</title>",
    ],
)
def test_plain_text_atom_titles_keep_their_brackets(title: str) -> None:
    body = atom(f"<entry><id>urn:1</id>{title}</entry>").encode()
    assert both_paths(body) is not None
    assert parse_feed(body, url=URL).items[0].title == "History of the <blink> tag"


def test_rss_titles_that_do_not_look_like_html_keep_their_brackets() -> None:
    body = rss(rss_item("Why &lt;blink&gt; died &amp; 1 &lt; 2")).encode()
    assert both_paths(body) is not None
    assert parse_feed(body, url=URL).items[0].title == "Why <blink> died & 1 < 2"


def test_html_titles_still_become_text() -> None:
    body = rss(rss_item("Việt Nam &lt;b&gt;và&lt;/b&gt; Nhật Bản")).encode()
    assert both_paths(body) is not None
    assert parse_feed(body, url=URL).items[0].title == "Việt Nam và Nhật Bản"


# ---------------------------------------------------------------------------- 5. script, comments


@pytest.mark.parametrize(
    "markup",
    [
        "safe &lt;script&gt;location.href='http:/'+'/example.com/';&lt;/script&gt; title",
        "safe &lt;script type='text/javascript'&gt;&lt;![CDATA[alert(1)]]&gt;&lt;/script&gt; title",
        "safe &lt;style&gt;b {color: red}&lt;/style&gt;&lt;!-- a comment --&gt; title",
        "safe&lt;!--  --&gt; title&lt;!--",
        "safe &lt;SCRIPT&gt;alert(1)&lt;/SCRIPT &gt; title",
    ],
)
def test_html_titles_lose_scripts_styles_and_comments(markup: str) -> None:
    body = atom(f'<entry><id>urn:1</id><title type="html">{markup}</title></entry>').encode()
    feed = parse_feed(body, url=URL)
    assert feed.items[0].title == "safe title"


def test_feed_titles_are_reduced_the_same_way() -> None:
    body = atom().replace(
        "<title>T</title>", '<title type="html">safe&lt;script&gt;alert(1)&lt;/script&gt;</title>'
    )
    assert parse_feed(body.encode(), url=URL).title == "safe"


# ---------------------------------------------------------------- 6. nested in category and alike


NESTED = (
    "<{tag}>Example<image><url>https://img.example/x.jpg</url>"
    "<title>Wrong title</title><link>https://wrong.example/</link></image></{tag}>"
)


@pytest.mark.parametrize("tag", ["category", "comments", "enclosure"])
@pytest.mark.parametrize(
    "item",
    [
        f"<item>{NESTED}</item>",
        f"<item><title>Right</title>{NESTED}<link>https://right.example/</link></item>",
        "<item><{tag}>c<pubDate>Mon, 02 Feb 2026 07:45:00 +0000</pubDate><guid>wrong</guid>"
        "<description>wrong</description><author>wrong</author></{tag}>"
        "<title>Right</title></item>",
    ],
    ids=["only-nested", "around", "every-field"],
)
def test_elements_nested_in_a_category_or_alike_are_not_item_fields(item: str, tag: str) -> None:
    body = rss(item.format(tag=tag)).encode()
    fast = both_paths(body)
    feed = parse_feed(body, url=URL)
    assert "Wrong" not in repr(fast) and "wrong" not in repr(feed.items)

    def decline(data: bytes) -> None:
        raise Unsupported("test")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("bot.parse.feed.parse_fast", decline)
        assert parse_feed(body, url=URL) == feed


def test_an_unclosed_category_in_a_broken_feed_hides_no_item() -> None:
    body = rss(
        "<item><guid>a</guid><title>A</title><category>x<b>bold</item>",
        "<item><guid>b</guid><title>B</title><category>y</category></item>",
    ).encode()
    feed = parse_feed(body, url=URL)
    assert feed.error is not None
    assert [i.title for i in feed.items] == ["A", "B"]
