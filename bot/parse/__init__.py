"""Parsing fetched feed bytes into `ParsedFeed` / `Item`, and item identity.

from bot.parse import parse_feed, canonical_link, item_key
(bot.workers runs parse_feed in worker processes for large cycles)
"""

from __future__ import annotations

from bot.parse.feed import parse_feed
from bot.parse.identity import canonical_link, is_tracking_param, item_key, link_of
from bot.parse.prepare import is_html_page, prescreen, to_utf8

__all__ = [
    "canonical_link",
    "is_html_page",
    "is_tracking_param",
    "item_key",
    "link_of",
    "parse_feed",
    "prescreen",
    "to_utf8",
]
