"""`rules review --apply` (votes -> rule examples) and precision / recall against the votes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.errors import FeedbackError
from bot.feedback.examples import append_example, example_yaml
from bot.feedback.review import Flag, delivered_by, example_document, example_summary
from bot.rules import RuleSet
from bot.store import Store


@dataclass(frozen=True, slots=True)
class Written:
    flag: Flag
    rule: str
    kind: str  # match | no_match
    path: Path


@dataclass(frozen=True, slots=True)
class Pending:
    flag: Flag
    rule: str | None
    reason: str


def _holds(ruleset: RuleSet, rule: str, flag: Flag, *, expected: bool) -> bool:
    """Would the example written from `flag` pass `rules test` for `rule` today?"""
    prep = ruleset.prepare(example_document(flag))
    return ruleset.result(rule, prep).matched == expected


def _targets(
    ruleset: RuleSet, flag: Flag, hints: Mapping[str, Sequence[str]], notes: Mapping[str, str]
) -> tuple[list[tuple[str, str]], list[Pending]]:
    """(rule, kind) to write for `flag` (only the rule that delivered it: a vote is about the
    section the reader saw it in), and what cannot be written yet."""
    known = set(ruleset.names)
    if flag.verdict == "missed":
        matching = [r.rule for r in sorted(ruleset.match(example_document(flag)),
                                           key=lambda r: (-r.score, r.rule))]  # fmt: skip
        if not matching:
            return [], [Pending(flag, None, "no rule matches it yet: extend the closest rule")]
        return [(matching[0], "match")], []
    kind = "match" if flag.verdict == "relevant" else "no_match"
    rule = delivered_by(ruleset, flag)
    if rule is None:
        return [], [Pending(flag, None, "no rule had matched it")]
    if rule not in known:
        return [], [Pending(flag, rule, "the rule no longer exists")]
    if _holds(ruleset, rule, flag, expected=kind == "match"):
        return [(rule, kind)], []
    if kind == "match":
        return [], [Pending(flag, rule, "the rule no longer matches it")]
    terms = ", ".join(repr(t) for t in hints.get(rule, ())[:3])
    hint = f" (candidates: {terms})" if terms else f": {notes[rule]}" if notes.get(rule) else ""
    return [], [Pending(flag, rule, f"the rule still matches it: add a none: term{hint}")]


def apply_flags(
    flags: Sequence[Flag],
    ruleset: RuleSet,
    *,
    store: Store,
    now: datetime,
    hints: Mapping[str, Sequence[str]] | None = None,
    notes: Mapping[str, str] | None = None,
) -> tuple[list[Written], list[Pending]]:
    """Append every flag that holds today to the examples of the rule that delivered it; mark
    those votes applied. `hints`: candidate none: terms per rule, named in what stays pending;
    `notes`: per rule, why there is none."""
    paths = {r.name: r.path for r in ruleset.rules}
    existing = {
        (r.name, e.title, e.summary)
        for r in ruleset.rules
        for e in (*r.match_examples, *r.no_match_examples)
    }
    written: list[Written] = []
    pending: list[Pending] = []
    for flag in flags:
        if flag.applied:
            continue
        writes, waiting = _targets(ruleset, flag, hints or {}, notes or {})
        summary = example_summary(flag)
        for rule, kind in writes:
            if (rule, flag.item.title, summary) in existing:
                continue  # already an example (written by hand, or by an earlier --apply)
            line = example_yaml(title=flag.item.title, summary=summary, lang=flag.item.lang)
            try:
                append_example(paths[rule], rule, kind, line)
            except FeedbackError as exc:
                waiting.append(Pending(flag, rule, str(exc)))
                continue
            existing.add((rule, flag.item.title, summary))
            written.append(Written(flag, rule, kind, paths[rule]))
        pending += waiting
        if not waiting:
            store.mark_feedback_applied(flag.ids, now=now)
    return written, pending


@dataclass(frozen=True, slots=True)
class Scores:
    relevant: int  # items readers marked relevant
    not_relevant: int
    missed: int
    true_pos: int  # with the rules as they are now
    false_pos: int
    false_neg: int

    @staticmethod
    def ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    @property
    def precision(self) -> float | None:
        return self.ratio(self.true_pos, self.true_pos + self.false_pos)

    @property
    def recall(self) -> float | None:
        return self.ratio(self.true_pos, self.true_pos + self.false_neg)

    @property
    def precision_before(self) -> float | None:
        """As delivered: every voted item but the misses had matched."""
        return self.ratio(self.relevant, self.relevant + self.not_relevant)

    @property
    def recall_before(self) -> float | None:
        return self.ratio(self.relevant, self.relevant + self.missed)


def scores(flags: Sequence[Flag], ruleset: RuleSet) -> Scores:
    """Precision and recall of `ruleset` on the voted items (relevant and missed are positives)."""
    tp = fp = fn = 0
    counts = {"relevant": 0, "not_relevant": 0, "missed": 0}
    for flag in flags:
        counts[flag.verdict] += 1
        hit = bool(ruleset.match(flag.document))
        positive = flag.verdict != "not_relevant"
        tp += hit and positive
        fp += hit and not positive
        fn += positive and not hit
    return Scores(counts["relevant"], counts["not_relevant"], counts["missed"], tp, fp, fn)
