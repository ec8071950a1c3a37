"""Which of the rules an article matched it is filed under: the one whose topic it is most about.

The conditions every rule shares (Vietnam, Japan: the pairing) say nothing about the topic, so each
rule's *topic hits* are the hits of its other terms (`RuleSet.highlight(..., topic_only=True)`).
Then:

1. narrow before broad, over every rule that matched: a rule whose topic hits (title and text, as
   the characters they cover) strictly contain another's (a catch-all that also lists every
   topic's terms) gives way to the narrower rule. This comes first because a catch-all often has
   hits in the title (the pairing, "cooperation") where the topic's rule has them only in the text;
2. title before summary before full text: of those left, the rules with topic hits in the title,
   else in the summary, else in the full text (a rule may have matched on the full text alone),
   else all of them;
3. more topic hits (in that field), then the rule that matched the fewest stories of the digest,
   then the best score.

A point more of score never moves an article out of the topic its headline names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.digest.text import SCAN_CHARS, Highlighter, find_terms, strip_html
from bot.models import PendingItem, RuleMatch

Span = tuple[int, int]
Spans = frozenset[Span]


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
    texts = {"title": item.title, "summary": strip_html(item.summary)[:SCAN_CHARS]}
    found = {name: topic_spans(text, matches, highlight) for name, text in texts.items()}
    if any(not any(f[r] for f in found.values()) for r in order):
        # a rule matched on the full text alone: its topic is there (scanned only then: it is long)
        texts["content"] = strip_html(item.content)[:SCAN_CHARS]
        found["content"] = topic_spans(texts["content"], matches, highlight)
    fields = list(texts)
    # narrow before broad, before title before body (see the module's docstring)
    every = {r: tuple(tuple(sorted(found[name][r])) for name in fields) for r in order}
    narrow = [r for r in order if not any(_narrower(every[o], every[r]) for o in order)]
    hits = next(
        (found[name] for name in fields if any(found[name][r] for r in narrow)), found["title"]
    )
    tier = [r for r in narrow if hits[r]] or narrow
    return min(tier, key=lambda r: (-len(hits[r]), reach(r), order[r]))


def _narrower(small: tuple[Sequence[Span], ...], big: tuple[Sequence[Span], ...]) -> bool:
    """`small` has topic hits, all inside `big`'s, and `big` has more: a catch-all's longer term
    (海上保安庁) or merged span (巡視船供与) still covers the topic rule's (海上保安, 巡視船)."""
    return any(small) and small != big and all(map(_inside, small, big))


def _inside(small: Sequence[Span], big: Sequence[Span]) -> bool:
    """Each span of `small` lies within one of `big`'s (both sorted; `big`'s do not overlap)."""
    j = 0
    for start, end in small:
        while j < len(big) and big[j][1] < end:
            j += 1
        if j == len(big) or big[j][0] > start:
            return False
    return True
