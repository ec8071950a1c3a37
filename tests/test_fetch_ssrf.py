"""Article fetching: the SSRF guard (loopback servers are the "internal network") and text extraction."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Address, IPv6Address, ip_address

import pytest

import bot
from bot.errors import FetchError, UnsafeURL
from bot.fetch import Fetcher
from bot.fetch.fulltext import decode_html, extract_main_text
from bot.fetch.ssrf import is_public_address
from tests.test_fetch_support import LocalServer, fast_settings, serving

ARTICLE = """<!doctype html><html><head><title>Port deal</title>
<script>var tracking = "Tokyo Hanoi secret";</script><style>p{color:red}</style></head>
<body>
<nav class="menu"><a href="/">Home</a> <a href="/world">World</a></nav>
<header><h1>Site banner</h1></header>
<div class="sidebar"><p>Most read: football scores and weather.</p></div>
<article>
  <h1>Hai Phong and Yokohama sign a port partnership</h1>
  <p>The two port authorities agreed on Tuesday to share cargo data.</p>
  <p>Officials said the first joint shipments would start next spring.</p>
  <div class="share-buttons"><p>Share on social media</p></div>
</article>
<footer><p>Copyright the outlet. All rights reserved.</p></footer>
</body></html>"""


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with serving() as s:
        yield s


def fetcher(**kwargs: object) -> Fetcher:
    return Fetcher(settings=fast_settings(), user_agent=bot.USER_AGENT, **kwargs)  # type: ignore[arg-type]


async def test_loopback_article_url_is_refused(server: LocalServer) -> None:
    url = server.static("/a.html", ARTICLE, ctype="text/html")
    async with fetcher() as f:
        with pytest.raises(UnsafeURL, match=r"non-global address 127\.0\.0\.1"):
            await f.fetch_article(url)
    assert server.requests == []  # refused before any byte was sent


async def test_host_name_resolving_to_loopback_is_refused(server: LocalServer) -> None:
    url = server.static("/a.html", ARTICLE, ctype="text/html").replace("127.0.0.1", "localhost")
    async with fetcher() as f:
        with pytest.raises(UnsafeURL, match="localhost"):
            await f.fetch_article(url)
    assert server.requests == []


async def test_ipv4_mapped_ipv6_literal_is_unwrapped(server: LocalServer) -> None:
    port = server.base.rsplit(":", 1)[1]
    async with fetcher() as f:
        with pytest.raises(UnsafeURL):
            await f.fetch_article(f"http://[::ffff:127.0.0.1]:{port}/a.html")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/x", "gopher://x.example/"])
async def test_only_http_and_https(url: str) -> None:
    async with fetcher() as f:
        with pytest.raises(UnsafeURL, match="non-http"):
            await f.fetch_article(url)


async def test_operator_opt_in_allows_private_hosts(server: LocalServer) -> None:
    url = server.static("/a.html", ARTICLE, ctype="text/html; charset=utf-8")
    async with fetcher() as f:
        html = await f.fetch_article(url, allow_private_hosts=True)
    assert "Yokohama" in html
    assert "first joint shipments" in extract_main_text(html)


async def test_every_redirect_hop_is_checked() -> None:
    # Policy for this test: 127.0.0.1 plays a public web server, 127.0.0.2 the internal network.
    def policy(ip: IPv4Address | IPv6Address) -> bool:
        return ip == ip_address("127.0.0.1")

    with serving("127.0.0.1") as public, serving("127.0.0.2") as internal:
        secret = internal.static("/admin", "internal only", ctype="text/html")
        start = public.redirect("/go", secret)
        plain = public.static("/ok.html", ARTICLE, ctype="text/html")
        async with fetcher(address_policy=policy) as f:
            assert "Yokohama" in await f.fetch_article(plain)  # the policy does let 127.0.0.1 in
            with pytest.raises(UnsafeURL, match=r"127\.0\.0\.2"):
                await f.fetch_article(start)
    assert internal.requests == []


async def test_resolver_answers_are_all_checked(server: LocalServer) -> None:
    # a name answering with one global and one internal address is refused outright
    async def resolve(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "127.0.0.1"]

    port = server.base.rsplit(":", 1)[1]
    async with fetcher(resolve=resolve) as f:
        with pytest.raises(UnsafeURL, match=r"127\.0\.0\.1"):
            await f.fetch_article(f"http://news.example:{port}/a.html")


async def test_configured_feed_urls_are_trusted(server: LocalServer) -> None:
    url = server.static("/feed.xml", "<rss/>")
    async with fetcher() as f:
        assert (await f.fetch(url)).status == 200


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # CGNAT
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("fc00::1", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.216.34", True),
        ("224.0.0.1", False),
    ],
)
def test_address_policy(address: str, public: bool) -> None:
    assert is_public_address(ip_address(address)) is public


def test_extract_prefers_article_and_drops_chrome() -> None:
    text = extract_main_text(ARTICLE)
    assert text.splitlines()[0] == "Hai Phong and Yokohama sign a port partnership"
    assert "share cargo data" in text
    for noise in ("tracking", "Home", "Site banner", "football", "Copyright", "Share on social"):
        assert noise not in text


def test_extract_falls_back_to_main_then_densest_block() -> None:
    main = "<html><body><div>menu</div><main><p>Main body text here.</p></main></body></html>"
    assert extract_main_text(main) == "Main body text here."
    loose = (
        "<html><body><div><p>short</p></div>"
        "<div id='story'><p>First long paragraph about the bridge.</p><p>Second one.</p></div></body></html>"
    )
    assert extract_main_text(loose) == "First long paragraph about the bridge.\n\nSecond one."


def test_extract_keeps_vietnamese_and_japanese() -> None:
    page = "<html><body><article><p>Hợp tác cảng biển Việt – Nhật.</p><p>日越の港湾協力。</p></article></body></html>"
    assert extract_main_text(page) == "Hợp tác cảng biển Việt – Nhật.\n\n日越の港湾協力。"


def test_decode_html_uses_header_then_meta() -> None:
    page = "<html><head><meta charset='shift_jis'></head><body><p>日越</p></body></html>"
    assert "日越" in decode_html(page.encode("shift_jis"), "text/html")
    assert "日越" in decode_html(page.encode("utf-8"), "text/html; charset=utf-8")


async def test_article_errors_are_fetch_errors(server: LocalServer) -> None:
    url = server.static("/gone.html", "x", status=404, ctype="text/html")
    async with fetcher() as f:
        with pytest.raises(FetchError, match="404"):
            await f.fetch_article(url, allow_private_hosts=True)


async def test_article_that_is_not_html_is_refused(server: LocalServer) -> None:
    url = server.static("/report.pdf", b"%PDF-1.7 binary", ctype="application/pdf")
    async with fetcher() as f:
        with pytest.raises(FetchError, match="application/pdf, not an HTML page"):
            await f.fetch_article(url, allow_private_hosts=True)
