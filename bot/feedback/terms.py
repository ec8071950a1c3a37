"""The matched terms a feedback page shows: as the rule file writes them, never a piece of a word.

A stored match keeps the text each term matched as it appears in the article ("Nhat Ban" for the
term "Nhật Bản"). The page names the rule's own terms instead, and leaves out a term whose every
occurrence starts inside another term's (Japanese terms match anywhere: in 日越首脳 the term 越首脳
starts inside 日越, and 越 lies within it), as a highlight would merge them into one mark.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.models import Document, TermHit
from bot.rules import RuleSet
from bot.rules.model import FIELDS
from bot.store import FeedbackItem


def whole_terms(hits: Iterable[TermHit]) -> tuple[str, ...]:
    """The terms of `hits` with an occurrence that is not inside an earlier or longer one, in
    the order they first occur (by field, then position)."""
    kept: list[str] = []
    end: dict[str, int] = {}  # field -> end of the last occurrence kept there
    for h in sorted(hits, key=lambda h: (FIELDS.index(h.field), h.start, -h.end)):
        if h.start < end.get(h.field, 0):
            continue  # starts inside a kept occurrence: a piece of its word
        end[h.field] = h.end
        kept.append(h.term)
    return tuple(dict.fromkeys(kept))


def shown_terms(ruleset: RuleSet, item: FeedbackItem) -> tuple[str, ...]:
    """The terms of the item's rules that occur in it, as the rules define them; the stored
    texts when none of its rules exists any more."""
    rules = [r for r in item.rules if r in ruleset.names]
    if not rules:
        return item.terms
    doc = Document(title=item.title, summary=item.summary, content=item.content, lang=item.lang)
    prep = ruleset.prepare(doc)
    return whole_terms(h for r in rules for h in ruleset.result(r, prep).hits) or item.terms
