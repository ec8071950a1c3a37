"""The domain model shared by every stage: plain frozen dataclasses, no behaviour beyond small helpers.

Data flows one way: fetch -> ``FetchResult`` -> parse -> ``ParsedFeed`` of ``Item`` -> store -> rules
(``RuleResult``) -> digest (``Digest``) -> notify.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

#: The clock is a parameter everywhere time matters, so tests can move it.
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class FetchResult:
    """What the fetcher got for one feed URL. ``body`` is None for 304 Not Modified."""

    url: str  # the URL that was requested
    final_url: str  # after redirects
    status: int
    body: bytes | None
    headers: Mapping[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    permanent_redirect: str | None = None  # set when a 301/308 chain ended elsewhere
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304


@dataclass(frozen=True, slots=True)
class Item:
    """One feed entry, normalised. ``key`` is its stable identity (see bot.parse.item_key)."""

    key: str
    feed_url: str
    title: str
    link: str | None
    summary: str = ""  # HTML allowed; the rules engine strips it
    content: str = ""  # full text when fetched, else feed content:encoded
    guid: str | None = None
    published: datetime | None = None
    lang: str | None = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    url: str
    title: str
    link: str | None
    items: tuple[Item, ...]
    error: str | None = None  # bozo / malformed feed: items that parsed are kept, error recorded


@dataclass(frozen=True, slots=True)
class Document:
    """The text the rules engine matches. Fields may contain HTML; the engine strips it."""

    title: str = ""
    summary: str = ""
    content: str = ""
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class TermHit:
    term: str  # the term as written in the rule file
    field: str  # title | summary | content
    start: int  # offsets into the *normalised display text* of that field
    end: int
    text: str  # the matched text as it appears


@dataclass(frozen=True, slots=True)
class RuleResult:
    rule: str
    matched: bool
    score: float
    hits: tuple[TermHit, ...] = ()
    tags: tuple[str, ...] = ()
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class FeedHealth:
    """Source health for a digest footer and `status`."""

    url: str
    name: str
    last_success: datetime | None
    last_error: str | None
    consecutive_failures: int
    disabled: bool = False

    @property
    def is_failing(self) -> bool:
        return self.consecutive_failures > 0 or self.disabled


@dataclass(frozen=True, slots=True)
class Coverage:
    """Another article of the same story, folded into an entry: still linked from the digest."""

    item_id: int
    outlet: str
    title: str
    link: str | None


@dataclass(frozen=True, slots=True)
class FeedbackLinks:
    """A digest entry's links for readers' feedback (see bot.feedback.links)."""

    relevant: str
    not_relevant: str


@dataclass(frozen=True, slots=True)
class DigestEntry:
    item_id: int
    title: str
    link: str | None
    outlet: str  # feed name
    lang: str | None
    published: datetime | None
    snippet: str  # plain text, no markup
    highlights: tuple[tuple[int, int], ...]  # spans into snippet of matched terms
    score: float
    rules: tuple[str, ...]
    tags: tuple[str, ...] = ()
    # every other article of the same story, folded into this entry and delivered with it
    also: tuple[Coverage, ...] = ()
    feedback: FeedbackLinks | None = None  # when the config has [feedback]

    @property
    def also_covered_by(self) -> tuple[Coverage, ...]:
        """The same story from other outlets."""
        return tuple(c for c in self.also if c.outlet != self.outlet)

    @property
    def more_from_outlet(self) -> tuple[Coverage, ...]:
        """Near-duplicates from this entry's own outlet (updates, re-runs)."""
        return tuple(c for c in self.also if c.outlet == self.outlet)

    @property
    def merged_item_ids(self) -> tuple[int, ...]:
        return tuple(c.item_id for c in self.also)

    @property
    def articles(self) -> int:
        return 1 + len(self.also)


@dataclass(frozen=True, slots=True)
class DigestGroup:
    name: str  # rule name (or tag)
    entries: tuple[DigestEntry, ...]
    title: str = ""  # the rule's `title:`, else empty

    @property
    def heading(self) -> str:
        return self.title or self.name


@dataclass(frozen=True, slots=True)
class Digest:
    """One message-to-be for one destination. ``key`` is unique per destination + period."""

    key: str
    destination: str
    title: str  # e.g. "Vietnam–Japan"
    period_start: datetime | None
    period_end: datetime
    timezone: str
    groups: tuple[DigestGroup, ...]
    rules_fired: tuple[str, ...] = ()
    source_health: tuple[FeedHealth, ...] = ()
    rule_titles: tuple[tuple[str, str], ...] = ()  # (rule, its `title:`) for readers
    since: datetime | None = None  # a first digest (no period_start): its oldest article's time
    part: int = 1  # a digest too big for one message is sent as parts 1..parts
    parts: int = 1
    missed_url: str | None = None  # "Missed an article?", when the config has [feedback]

    @property
    def entries(self) -> tuple[DigestEntry, ...]:
        return tuple(e for g in self.groups for e in g.entries)

    @property
    def item_ids(self) -> tuple[int, ...]:
        """Every item this digest delivers, including duplicates folded into an entry."""
        return tuple(i for e in self.entries for i in (e.item_id, *e.merged_item_ids))

    @property
    def articles(self) -> int:
        """Articles delivered (each story counts its folded duplicates): ``len(item_ids)``."""
        return sum(e.articles for e in self.entries)

    @property
    def is_empty(self) -> bool:
        return not self.groups


@dataclass(frozen=True, slots=True)
class RuleMatch:
    """A stored match of one item by one rule."""

    rule: str
    score: float
    tags: tuple[str, ...] = ()
    terms: tuple[str, ...] = ()  # the matched term texts, for highlighting
    urgent: bool = False

    @classmethod
    def of(cls, r: RuleResult) -> RuleMatch:
        terms = tuple(dict.fromkeys(h.text for h in r.hits))
        return cls(rule=r.rule, score=r.score, tags=r.tags, terms=terms, urgent=r.urgent)


@dataclass(frozen=True, slots=True)
class PendingItem:
    """An item waiting for one destination, as the store hands it to the digest builder."""

    item_id: int
    title: str
    link: str | None
    canonical_link: str | None
    feed_url: str
    outlet: str
    lang: str | None
    published: datetime | None
    fetched_at: datetime
    summary: str
    content: str
    matches: tuple[RuleMatch, ...]

    @property
    def score(self) -> float:
        return max((m.score for m in self.matches), default=0.0)
