"""Which of the rules an article matched it is filed under: the one whose topic it is most about.

The conditions every rule shares (Vietnam, Japan: the pairing) say nothing about the topic, so each
rule's *topic hits* are the hits of its other terms (`RuleSet.highlight(..., topic_only=True)`).
Then:

1. narrow before broad, over every rule that matched: a rule whose topic hits (title and text)
   strictly contain another's (a catch-all that also lists every topic's terms) gives way to the
   narrower rule. This comes first because a catch-all often has hits in the title (the pairing,
   "cooperation") where the topic's rule has them only in the text;
2. title before body: of those left, the rules with topic hits in the title, else those with topic
   hits in the text, else all of them;
3. more topic hits (in the title, else the text), then the rule that matched the fewest stories of
   the digest, then the best score.

A point more of score never moves an article out of the topic its headline names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.digest.text import SCAN_CHARS, Highlighter, find_terms, strip_html
from bot.models import PendingItem, RuleMatch

Spans = frozenset[tuple[int, int]]


def topic_spans(
    text: str, matches: Sequence[RuleMatch], highlight: Highlighter | None
) -> dict[str, Spans]:
    """Each rule's topic-term hits in `text`: its terms minus the pairing every rule requires.

    With the rule set, the pairing is known from the rules' structure (conditions all rules share);
    without it (stored matched terms only), it is what every one of these rules found."""
    if highlight is not None:
        return {
            m.rule: frozenset((s, e) for s, e in highlight(text, [m.rule], topic_only=True))
            for m in matches
        }
    found = {m.rule: frozenset(find_terms(text, m.terms)) for m in matches}
    shared = frozenset.intersection(*found.values()) if found else frozenset()
    return {rule: spans - shared for rule, spans in found.items()}


def place(
    item: PendingItem,
    matches: Sequence[RuleMatch],
    *,
    reach: Callable[[str], int],
    highlight: Highlighter | None,
) -> str:
    """The rule (of `matches`, best score first) to file `item` under."""
    if len(matches) == 1:
        return matches[0].rule
    order = {m.rule: i for i, m in enumerate(matches)}
    body = strip_html(item.summary) or strip_html(item.content)
    title_hits = topic_spans(item.title, matches, highlight)
    body_hits = topic_spans(body[:SCAN_CHARS], matches, highlight)
    every = {
        r: frozenset(("title", *s) for s in title_hits[r])
        | frozenset(("body", *s) for s in body_hits[r])
        for r in order
    }
    # narrow before broad, before title before body (see the module's docstring)
    narrow = [r for r in order if not any(every[o] and every[o] < every[r] for o in order)]
    hits = title_hits if any(title_hits[r] for r in narrow) else body_hits
    tier = [r for r in narrow if hits[r]] or narrow
    return min(tier, key=lambda r: (-len(hits[r]), reach(r), order[r]))
