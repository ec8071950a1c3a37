"""Candidate `none:` terms for a rule's false positives, scored by a backtest with the real engine.

A candidate is a word (Latin script) or a 2-3 character run (Japanese) of an item readers marked
not relevant that no rule term covers and that occurs in no item they marked relevant. Each is
compiled as a rule of its own, so "occurs" means what it would mean in a `none:` list (word
boundaries, diacritics folding); then every stored item the rule matched is replayed to count what
the term would drop.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from bot.models import Document
from bot.rules import RuleSet, load_rules
from bot.rules.text import is_cjk
from bot.store import Store

if TYPE_CHECKING:
    from bot.feedback.review import Flag

#: candidates tried per rule, most frequent in the flagged items first
MAX_TRIED = 60
#: function words that would drop a rule's every item: never candidates
_STOP = frozenset(
    [
        "that",
        "this",
        "with",
        "from",
        "have",
        "been",
        "were",
        "will",
        "would",
        "about",
        "after",
        "also",
        "into",
        "their",
        "there",
        "these",
        "they",
        "than",
        "then",
        "what",
        "when",
        "which",
        "while",
        "more",
        "most",
        "over",
        "said",
        "says",
        "such",
        "only",
        "other",
        "some",
        "very",
        "just",
        "yang",
        "dengan",
        "untuk",
        "dari",
        "dalam",
        "akan",
        "pada",
        "oleh",
        "juga",
        "tidak",
        "sudah",
        "lebih",
        "của",
        "những",
        "được",
        "trong",
        "cho",
        "với",
        "không",
        "này",
        "người",
        "các",
        "một",
        "như",
    ]
)
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class Candidate:
    term: str
    would_drop: int  # stored items the rule matched (in the window) that the term occurs in
    flagged: int  # items readers marked not relevant that it would drop


def words_of(text: str) -> list[str]:
    out: list[str] = []
    for w in _WORD.findall(text):
        if any(is_cjk(c) for c in w):
            out.extend(w[i : i + n] for n in (2, 3) for i in range(len(w) - n + 1))
        elif len(w) >= 4 and w.casefold() not in _STOP:
            out.append(w.casefold())
    return out


def none_candidates(
    store: Store,
    ruleset: RuleSet,
    rule: str,
    flags: Sequence[Flag],
    relevant: Sequence[Flag],
    *,
    folder: Path,
    since: datetime | None,
    limit: int = 5,
) -> tuple[list[Candidate], str]:
    """Candidates for `rule`'s false positives among `flags` that occur in none of the items
    readers marked `relevant`; with none, why not and what the editor can do instead."""
    bad = [f for f in flags if f.verdict == "not_relevant"]
    if not bad or rule not in ruleset.names:
        return [], ""
    counts: Counter[str] = Counter()
    for f in bad:
        counts.update(set(words_of(_text(f))))
    tried = [w for w, _ in counts.most_common() if not ruleset.covers(w)][:MAX_TRIED]
    found = _candidates(store, rule, tried, bad, relevant, folder=folder, since=since)
    if found:
        return found[:limit], ""
    return [], why_none(ruleset, rule, counts, relevant)


def _text(f: Flag) -> str:
    return f"{f.item.title} {f.item.summary} {f.item.content}"


def why_none(ruleset: RuleSet, rule: str, counts: Counter[str], relevant: Sequence[Flag]) -> str:
    """Why no word of the false positives can be a `none:` term, and what to do instead."""
    seen = {w for f in relevant for w in words_of(_text(f))}
    own: dict[str, str] = {}  # a word no relevant item has -> the rule term it is
    for w in counts:
        if w in seen or not ruleset.covers(w):
            continue
        prep = ruleset.prepare(Document(title=w))
        hits = ruleset.result(rule, prep).hits
        if hits:  # a term of this rule, else of another one
            own[w] = hits[0].term
        else:
            other = next((r for r in ruleset.evaluate(Document(title=w)) if r.hits), None)
            if other is not None:
                own[w] = f"{other.hits[0].term} ({other.rule})"
    if own:
        whose = "the rule" if all("(" not in t for t in own.values()) else "the rules"
        return (
            "every word that tells it apart from the items readers marked relevant is already "
            f"a match term of {whose}: {', '.join(dict.fromkeys(own.values()))}. A none: term "
            f"cannot undo the rule's own term: remove or narrow that term in {rule} (e.g. let it "
            "count only `near:` another term), or keep the rule as it is"
        )
    return (
        "every word of it also occurs in an item readers marked relevant, so any none: term "
        f"would drop those too: tighten {rule} itself (another required term, a higher "
        "min_score), or keep the rule as it is"
    )


def _candidates(
    store: Store,
    rule: str,
    tried: Sequence[str],
    bad: Sequence[Flag],
    good: Sequence[Flag],
    *,
    folder: Path,
    since: datetime | None,
) -> list[Candidate]:
    if not tried:
        return []
    terms = _compile(tried, folder / f"candidates-{len(list(folder.iterdir()))}.yaml")
    blocked = {name for f in good for name in _found(terms, f.document)}
    flagged = Counter(name for f in bad for name in _found(terms, f.document))
    drops: Counter[str] = Counter()
    rows = store.items_since(since)
    matched = store.matched_rules([int(r["id"]) for r in rows])
    for row in rows:
        if rule in matched.get(int(row["id"]), ()):
            doc = Document(title=row["title"], summary=row["summary"], content=row["content"],
                           lang=row["lang"])  # fmt: skip
            drops.update(_found(terms, doc))
    ranked = sorted(
        (name for name in flagged if name not in blocked),
        key=lambda n: (-flagged[n], drops[n], -len(tried[int(n[1:])]), n),
    )
    return [Candidate(tried[int(n[1:])], drops[n], flagged[n]) for n in ranked]


def _compile(words: Sequence[str], path: Path) -> RuleSet:
    """One rule per candidate (``c0``, ``c1``…) so one pass tells which candidates occur."""
    lines = ["rules:"]
    for i, w in enumerate(words):
        lines += [f"  - name: c{i}", f"    any: [{json.dumps(w, ensure_ascii=False)}]"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_rules([path])


def _found(terms: RuleSet, doc: Document) -> set[str]:
    return {r.rule for r in terms.match(doc)}
