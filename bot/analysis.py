"""Parse and match one feed body: one interface (`Analyzer`), two implementations.

`Inline` parses on the calling thread and matches an item only when the pipeline asks (only new
items are ever matched); a `bot.workers.WorkerPool` parses and matches every item in another
process, so a large cycle uses every core. Either way the pipeline gets an `Analysed` and asks it
for an item's matches with `matches_of`, which re-matches an item whose text changed after the
analysis (the article's full text was fetched). The pipeline never asks which one runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Protocol

from bot.models import Item, ParsedFeed, RuleMatch
from bot.parse import link_of, parse_feed
from bot.rules import RuleSet
from bot.rules.items import Matches, match_item, match_items


@dataclass(frozen=True, slots=True)
class Analysed:
    """A parsed feed and, per item in order, its canonical link and (when matched ahead) matches.

    What a worker sends back, so it holds no more than the store needs (a RuleMatch, not the
    RuleResult with every hit's offsets): the event loop unpickles all of it.
    """

    feed: ParsedFeed
    links: tuple[str | None, ...]
    matches: Matches | None = None  # None: matched on demand (`Inline`)

    def matches_of(self, i: int, item: Item, ruleset: RuleSet) -> tuple[RuleMatch, ...]:
        """The matches of item `i`, as `item` now reads (the same object, or one with full text)."""
        if self.matches is not None and item is self.feed.items[i]:
            return self.matches[i]
        return match_item(ruleset, item)

    def __reduce__(self) -> tuple[Callable[..., Analysed], tuple[object, ...]]:
        # a slots dataclass unpickles field by field in Python code; rebuilt from plain tuples
        # through its __init__ it costs the receiving process (the event loop's) half as much
        f, ms = self.feed, self.matches
        return _rebuild, (
            (f.url, f.title, f.link, f.error),
            tuple(_values(it, _ITEM_FIELDS) for it in f.items),
            self.links,
            None if ms is None else tuple(tuple(_values(m, _MATCH_FIELDS) for m in r) for r in ms),
        )


_ITEM_FIELDS = tuple(f.name for f in fields(Item))
_MATCH_FIELDS = tuple(f.name for f in fields(RuleMatch))


def _values(obj: object, names: tuple[str, ...]) -> tuple[object, ...]:
    return tuple(getattr(obj, n) for n in names)


def _rebuild(
    feed: tuple[str, str, str | None, str | None],
    items: tuple[tuple[Any, ...], ...],
    links: tuple[str | None, ...],
    matches: tuple[tuple[tuple[Any, ...], ...], ...] | None,
) -> Analysed:
    url, title, link, error = feed
    parsed = ParsedFeed(
        url=url, title=title, link=link, items=tuple(Item(*v) for v in items), error=error
    )
    if matches is None:
        return Analysed(parsed, links)
    return Analysed(parsed, links, tuple(tuple(RuleMatch(*v) for v in ms) for ms in matches))


def analysed(parsed: ParsedFeed, ruleset: RuleSet | None = None) -> Analysed:
    """`parsed` with its links, and every item matched when `ruleset` is given (a worker's job)."""
    links = tuple(link_of(it) for it in parsed.items)
    if ruleset is None:
        return Analysed(parsed, links)
    return Analysed(parsed, links, match_items(ruleset, parsed.items))


class Analyzer(Protocol):
    async def analyze(
        self,
        body: bytes,
        *,
        url: str,
        headers: Mapping[str, str],
        lang: str | None,
        ruleset: RuleSet,
    ) -> Analysed:
        """Parse `body` (raising ParseError for what cannot be read at all) for `ruleset`."""
        ...


class Inline:
    """Parse on the calling thread; match each item when asked (`Analysed.matches_of`)."""

    async def analyze(
        self,
        body: bytes,
        *,
        url: str,
        headers: Mapping[str, str],
        lang: str | None,
        ruleset: RuleSet,
    ) -> Analysed:
        return analysed(parse_feed(body, url=url, headers=headers, lang=lang))


INLINE = Inline()
