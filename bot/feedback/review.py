"""`newsbot rules review`: readers' feedback grouped by the rule that delivered each item, with what
would fix it, and `--apply`, which turns the votes into rule examples that `rules test` keeps.

- "not relevant": the terms that fired and candidate `none:` terms that occur in it but in no item
  readers marked relevant, each with what a backtest over stored items says it would drop.
- "relevant": confirmation; with --apply it becomes a `match` example.
- "missed": the closest rule and `rules suggest` phrases no rule covers yet.

An example is only written once it holds: a false positive becomes a `no_match` example after the
rule no longer matches it, a miss a `match` example once a rule matches it. Until then it is
listed as pending, so `rules test` stays green and keeps every fix from then on.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from bot.digest.place import place
from bot.feedback.candidates import Candidate, none_candidates
from bot.models import Document, PendingItem, RuleMatch
from bot.rules import RuleSet
from bot.rules.suggest import suggest
from bot.store import FeedbackItem, FeedbackRow, Store

#: an example keeps the headline and the start of the text: enough for `rules test`, short to read
EXAMPLE_SUMMARY_CHARS = 400


@dataclass(frozen=True, slots=True)
class Flag:
    """Every vote on one item with one verdict, merged."""

    verdict: str
    item: FeedbackItem
    votes: int
    notes: tuple[str, ...]
    destinations: tuple[str, ...]
    ids: tuple[int, ...]  # feedback rows
    applied: bool  # --apply already wrote it

    @property
    def document(self) -> Document:
        return Document(
            title=self.item.title,
            summary=self.item.summary,
            content=self.item.content,
            lang=self.item.lang,
        )


@dataclass
class RuleReview:
    rule: str
    path: Path | None  # None: the rule no longer exists
    flags: list[Flag] = field(default_factory=list)
    candidates: list[Candidate] = field(default_factory=list)
    why_none: str = ""  # why there is no candidate for a false positive, and what to do instead


@dataclass
class Review:
    rules: list[RuleReview]
    missed: list[Flag]
    closest: dict[int, str]  # missed flag (first row id) -> closest rule now
    suggestions: list[str]
    matches_now: dict[tuple[int, str], bool]  # (first row id, rule) -> matches with today's rules


def merge_votes(rows: Sequence[FeedbackRow]) -> list[Flag]:
    """One flag per (item, verdict): a stored item by id, a missed article by its link."""
    groups: dict[tuple[object, str], list[FeedbackRow]] = {}
    for r in rows:
        key = r.item.item_id if r.item.item_id is not None else r.item.link or r.item.title
        groups.setdefault((key, r.verdict), []).append(r)
    return [
        Flag(
            verdict=verdict,
            item=rs[-1].item,
            votes=len(rs),
            notes=tuple(r.note for r in rs if r.note),
            destinations=tuple(dict.fromkeys(r.destination for r in rs)),
            ids=tuple(r.id for r in rs),
            applied=all(r.applied_at is not None for r in rs),
        )
        for (_key, verdict), rs in groups.items()
    ]


def delivered_by(ruleset: RuleSet, flag: Flag) -> str | None:
    """The rule the item was filed under in the digest, of the rules that matched it then: the one
    whose topic it is most about (bot.digest.place, as the digest chose), else the best-scoring.
    None for an item no rule had matched."""
    known = [r for r in flag.item.rules if r in ruleset.names]
    if len(known) < 2:
        return known[0] if known else next(iter(flag.item.rules), None)
    item = flag.item
    pending = PendingItem(
        item_id=item.item_id or 0, title=item.title, link=item.link, canonical_link=None,
        feed_url="", outlet=item.outlet, lang=item.lang, published=None, fetched_at=datetime.min,
        summary=item.summary, content=item.content,
        matches=tuple(RuleMatch(rule=r, score=0.0) for r in known),  # stored best score first
    )  # fmt: skip
    return place(pending, pending.matches, reach=lambda _rule: 0, highlight=ruleset.highlight)


def review(
    store: Store, ruleset: RuleSet, rows: Sequence[FeedbackRow], *, since: datetime | None
) -> Review:
    """Group `rows` by the rule that delivered each item and work out candidates against items
    stored since `since`."""
    flags = merge_votes(rows)
    by_rule: dict[str, RuleReview] = {}
    now: dict[tuple[int, str], bool] = {}
    paths = {r.name: r.path for r in ruleset.rules}
    for flag in flags:
        if flag.verdict == "missed":
            continue
        matching = {r.rule for r in ruleset.match(flag.document)}
        for rule in flag.item.rules:
            now[(flag.ids[0], rule)] = rule in matching
        rule = delivered_by(ruleset, flag) or "(no rule)"
        by_rule.setdefault(rule, RuleReview(rule, paths.get(rule))).flags.append(flag)
    relevant = [f for f in flags if f.verdict == "relevant"]
    with tempfile.TemporaryDirectory() as tmp:
        for entry in by_rule.values():
            entry.candidates, entry.why_none = none_candidates(
                store, ruleset, entry.rule, entry.flags, relevant, folder=Path(tmp), since=since
            )
    missed = [f for f in flags if f.verdict == "missed"]
    closest: dict[int, str] = {}
    for flag in missed:
        ranked = sorted(ruleset.evaluate(flag.document), key=lambda r: (-r.score, r.rule))
        for r in ranked:
            now[(flag.ids[0], r.rule)] = r.matched
        if ranked and (ranked[0].score > 0 or ranked[0].hits):
            closest[flag.ids[0]] = ranked[0].rule
    # phrases for the misses no rule catches yet (one article is enough to suggest from)
    texts = [
        f"{f.item.title}\n{f.item.summary}\n{f.item.content}"
        for f in missed
        if not any(hit for (i, _rule), hit in now.items() if i == f.ids[0])
    ]
    found = suggest(texts, ruleset, top=8, min_count=1) if texts else {}
    phrases = [s.phrase for items in found.values() for s in items]
    ordered = sorted(by_rule.values(), key=lambda e: (-sum(f.votes for f in e.flags), e.rule))
    return Review(ordered, missed, closest, phrases, now)


def example_document(flag: Flag) -> Document:
    """What an example written from `flag` holds (see bot.feedback.examples.example_yaml)."""
    return Document(title=flag.item.title, summary=example_summary(flag), lang=flag.item.lang)


def example_summary(flag: Flag) -> str:
    text = " ".join((flag.item.summary or flag.item.content).split())
    if len(text) <= EXAMPLE_SUMMARY_CHARS:
        return text
    return text[:EXAMPLE_SUMMARY_CHARS].rsplit(" ", 1)[0]
