"""A stored item's rule matches: what the pipeline keeps of `RuleSet.match` for one `Item`."""

from __future__ import annotations

from bot.models import Document, Item, RuleMatch
from bot.rules.engine import RuleSet

#: per item of a parsed feed, in order: the rules each matched
Matches = tuple[tuple[RuleMatch, ...], ...]


def document(item: Item) -> Document:
    """The text of an item the rules read."""
    return Document(title=item.title, summary=item.summary, content=item.content, lang=item.lang)


def match_item(ruleset: RuleSet, item: Item) -> tuple[RuleMatch, ...]:
    """The rules `item` matches, as stored (a RuleMatch: no hit offsets)."""
    return tuple(RuleMatch.of(r) for r in ruleset.match(document(item)))


def match_items(ruleset: RuleSet, items: tuple[Item, ...]) -> Matches:
    return tuple(match_item(ruleset, it) for it in items)
