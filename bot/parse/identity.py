"""Item identity: canonical links and stable item keys (the store dedupes on both)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

if TYPE_CHECKING:
    from bot.models import Item

_TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "_ga",
        "_gl",
        "ref_src",
        "ref_url",
        "cmpid",
        "ocid",
        "spm",
        "__twitter_impression",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}
# The shape of nearly every feed link: lowercase scheme and host, no port or user, no characters that
# urlsplit drops or parse_qsl/urlencode re-encode. For these the general path below changes nothing
# but the fragment and the tracking parameters, so they skip its splitting and re-encoding.
_PLAIN_LINK = re.compile(
    r"(https?://[a-z0-9.-]+)(/[^?#\t\r\n]*)?(?:\?([^#\t\r\n]*))?(?:#[^\t\r\n]*)?"
)
_PLAIN_PARAM = re.compile(r"[A-Za-z0-9_.~-]+=[A-Za-z0-9_.~-]*")


def is_tracking_param(name: str) -> bool:
    name = name.lower()
    return name.startswith(("utm_", "hsa_", "pk_")) or name in _TRACKING_PARAMS


def link_of(item: Item) -> str | None:
    """An item's canonical link (what tells stored items apart besides their key), if it has one."""
    return canonical_link(item.link) if item.link else None


def canonical_link(url: str) -> str:
    """Drop the fragment and tracking parameters, lowercase scheme and host, drop default ports."""
    url = url.strip()
    plain = _PLAIN_LINK.fullmatch(url)
    if plain is not None:
        start, path, query = plain.groups()
        if not query:
            return start + (path or "/")
        params = query.split("&")
        if all(_PLAIN_PARAM.fullmatch(p) for p in params):
            kept = "&".join(p for p in params if not is_tracking_param(p.partition("=")[0]))
            return start + (path or "/") + ("?" + kept if kept else "")
    return split_canonical_link(url)


def split_canonical_link(url: str) -> str:
    """`canonical_link` by its definition: any URL split, filtered and put back together."""
    url = url.strip()
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if not host:
        return url
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None and parts.port != _DEFAULT_PORTS.get(scheme):
        netloc += f":{parts.port}"
    if parts.username:
        netloc = f"{parts.username}{':' + parts.password if parts.password else ''}@{netloc}"
    query = urlencode(
        [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if not is_tracking_param(k)
        ]
    )
    return urlunsplit((scheme, netloc, parts.path or "/", query, ""))


def item_key(guid: str | None, link: str | None, title: str, published: datetime | None) -> str:
    """Stable identity: the guid/id, else the canonical link, else a hash of title and date."""
    if guid and guid.strip():
        return f"guid:{guid.strip()}"
    if link and link.strip():
        return f"link:{canonical_link(link)}"
    stamp = published.astimezone(UTC).isoformat() if published else ""
    digest = hashlib.sha1(f"{title.strip()}|{stamp}".encode()).hexdigest()
    return f"sha1:{digest}"
