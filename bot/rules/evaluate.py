"""Score a rule set against a labelled items file: precision and recall by language, every miss and
false positive with the one-line reason `rules explain` gives. What `newsbot rules eval` reports.

A labelled items file is JSON Lines, one item a line: ``id``, ``lang``, ``title``, ``summary``,
``label`` (1 = relevant, 0 = not), and optionally ``link``, ``why`` and anything else (ignored).
An item is predicted relevant when any rule in force matches it, as the pipeline delivers it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.errors import LabelledSetError
from bot.models import Document
from bot.rules.engine import RuleSet
from bot.rules.reason import reason

Outcome = Literal["tp", "fp", "fn", "tn"]
_REQUIRED = {"id": str, "lang": str, "title": str, "label": int}


@dataclass(frozen=True, slots=True)
class LabelledItem:
    id: str
    lang: str
    title: str
    summary: str
    label: bool
    link: str = ""
    why: str = ""
    line: int = 0

    @property
    def document(self) -> Document:
        return Document(title=self.title, summary=self.summary, lang=self.lang)


@dataclass(frozen=True, slots=True)
class Verdict:
    item: LabelledItem
    rules: tuple[str, ...]  # the rules that matched
    reason: str  # why, for a miss or a false positive ("" for a right outcome)

    @property
    def predicted(self) -> bool:
        return bool(self.rules)

    @property
    def outcome(self) -> Outcome:
        return outcome(label=self.item.label, predicted=self.predicted)


def outcome(*, label: bool, predicted: bool) -> Outcome:
    if predicted:
        return "tp" if label else "fp"
    return "fn" if label else "tn"


@dataclass(frozen=True, slots=True)
class Score:
    lang: str  # "all" for the whole file
    tp: int
    fp: int
    fn: int
    tn: int

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    def meets(self, *, precision: float, recall: float) -> bool:
        return self.precision >= precision and self.recall >= recall

    def as_json(self) -> dict[str, float | int | str]:
        return {
            "lang": self.lang,
            "precision": round(self.precision, 3),
            "recall": round(self.recall, 3),
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
        }


def read_labelled(path: Path) -> list[LabelledItem]:
    """Every item of a labelled JSONL file; a broken line raises LabelledSetError naming it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise LabelledSetError(f"cannot read: {exc}", path=path) from None
    items: list[LabelledItem] = []
    for n, line in enumerate(lines, start=1):
        if line.strip():
            items.append(_item(line, path=path, line=n))
    if not items:
        raise LabelledSetError("no labelled item in the file", path=path)
    return items


def _item(text: str, *, path: Path, line: int) -> LabelledItem:
    try:
        d = json.loads(text)
    except json.JSONDecodeError as exc:
        raise LabelledSetError(f"not JSON: {exc.msg}", path=path, line=line) from None
    if not isinstance(d, dict):
        raise LabelledSetError("expected a JSON object", path=path, line=line)
    for key, kind in _REQUIRED.items():
        if not isinstance(d.get(key), kind):
            raise LabelledSetError(f"{key}: missing or not a {kind.__name__}", path=path, line=line)
    if d["label"] not in (0, 1):
        raise LabelledSetError("label: must be 0 or 1", path=path, line=line)
    return LabelledItem(
        id=d["id"],
        lang=d["lang"],
        title=d["title"],
        summary=str(d.get("summary") or ""),
        label=d["label"] == 1,
        link=str(d.get("link") or ""),
        why=str(d.get("why") or ""),
        line=line,
    )


def evaluate(ruleset: RuleSet, items: Iterable[LabelledItem]) -> list[Verdict]:
    """Each item matched as the pipeline matches it; a wrong one with the reason for its outcome
    (explaining is the slow path, right ones are many and need none)."""
    out: list[Verdict] = []
    for item in items:
        matched = tuple(r.rule for r in ruleset.match(item.document))
        why = ""
        if bool(matched) != item.label:
            prep = ruleset.prepare(item.document)
            why = reason(ruleset, prep, [ruleset.result(name, prep) for name in ruleset.names])
        out.append(Verdict(item, matched, why))
    return out


def scores(verdicts: Sequence[Verdict]) -> list[Score]:
    """One score per language (sorted), then the whole file's as ``all``."""
    return tally((v.item.lang, v.outcome) for v in verdicts)


def tally(outcomes: Iterable[tuple[str, Outcome]]) -> list[Score]:
    """(language, outcome) pairs -> one score per language (sorted), then ``all``."""
    counts: dict[str, dict[Outcome, int]] = {}
    for lang, o in outcomes:
        for key in (lang, "all"):
            per = counts.setdefault(key, {"tp": 0, "fp": 0, "fn": 0, "tn": 0})
            per[o] += 1
    order = [*sorted(k for k in counts if k != "all"), "all"]
    return [Score(k, **counts[k]) for k in order if k in counts]
