"""Feed discovery: the feeds a site advertises (``<link rel="alternate">``) and the usual paths."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from bs4 import BeautifulSoup

from bot.errors import FetchError
from bot.fetch.fetcher import Fetcher
from bot.fetch.fulltext import decode_html

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/feed+json",
        "application/json",
        "text/xml",
        "application/xml",
    }
)
COMMON_PATHS = (
    "/feed",
    "/rss",
    "/rss.xml",
    "/feed.xml",
    "/atom.xml",
    "/index.xml",
    "/feeds/posts/default",
    "/?feed=rss2",
)
_FEED_ROOT = re.compile(rb"<(?:[\w-]+:)?(rss|feed|RDF)[\s>]")


@dataclass(frozen=True, slots=True)
class FoundFeed:
    url: str
    title: str | None
    source: str  # "advertised" | "common path" | "given"


def advertised_feeds(html: str, base_url: str) -> list[tuple[str, str | None]]:
    """(absolute URL, title) of each ``<link rel="alternate" type="...rss/atom...">``, page order."""
    soup = BeautifulSoup(html, "lxml")
    found: dict[str, str | None] = {}
    for link in soup.find_all("link", href=True):
        rels = {r.lower() for r in link.get_attribute_list("rel") if r}
        mime = str(link.get("type") or "").split(";", 1)[0].strip().lower()
        if "alternate" in rels and mime in FEED_TYPES and "json" not in mime:
            href = urljoin(base_url, str(link["href"]).strip())
            title = link.get("title")
            found.setdefault(href, str(title) if title else None)
    return list(found.items())


def looks_like_feed(body: bytes) -> bool:
    """Cheap sniff of the first KB for an RSS/Atom/RDF root element."""
    return _FEED_ROOT.search(body[:2048]) is not None


async def discover_feeds(fetcher: Fetcher, url: str) -> list[FoundFeed]:
    """Feeds for the site at `url`: the URL itself if it is a feed, else what the page advertises,
    else the common paths that answer with a feed. Raises `FetchError` if the page itself fails."""
    result = await fetcher.fetch(url)
    body = result.body or b""
    if looks_like_feed(body):
        return [FoundFeed(result.final_url, None, "given")]
    html = decode_html(body, result.headers.get("content-type"))
    advertised = [
        FoundFeed(u, t, "advertised") for u, t in advertised_feeds(html, result.final_url)
    ]
    if advertised:
        return advertised
    found: list[FoundFeed] = []
    for path in COMMON_PATHS:
        candidate = urljoin(result.final_url, path)
        try:
            probe = await fetcher.fetch(candidate)
        except FetchError:
            continue  # a missing common path is the normal case, not a problem
        is_new = probe.final_url not in {f.url for f in found}
        if probe.body and looks_like_feed(probe.body) and is_new:
            found.append(FoundFeed(probe.final_url, None, "common path"))
    return found
