"""Item identity: canonical links and stable item keys (the store dedupes on both)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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


def is_tracking_param(name: str) -> bool:
    name = name.lower()
    return name.startswith(("utm_", "hsa_", "pk_")) or name in _TRACKING_PARAMS


def canonical_link(url: str) -> str:
    """Drop the fragment and tracking parameters, lowercase scheme and host, drop default ports."""
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
