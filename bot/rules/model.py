"""The compiled form of a rule file: terms, condition trees, rules and their examples."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from bot.i18n import LocalText

FIELDS: tuple[str, ...] = ("title", "summary", "content")
#: the group operators; what each means and compiles into: bot/rules/ops.py
Op = Literal["all", "any", "none"]
OPS: tuple[Op, ...] = get_args(Op)
#: a hit in the headline says more about what the item is about than one deep in the body
FIELD_WEIGHT: dict[str, float] = {"title": 2.0, "summary": 1.0, "content": 1.0}


@dataclass(frozen=True, slots=True)
class Term:
    """One distinct pattern. Shared by every rule that uses it (interned by the loader)."""

    text: str  # as written in the rule file, e.g. "mitra*"
    key: str  # the normalised (or folded) pattern without the trailing "*"
    wildcard: bool  # "mitra*": any continuation of the word
    fold: bool  # matched against the diacritics-free text ("Việt Nam" also finds "Viet Nam")
    check_start: bool  # the term starts with a Latin letter/digit: needs a word boundary before
    check_end: bool  # ... ends with one: needs a boundary after (unless wildcard)
    cjk: bool  # contains CJK: proximity counts characters, not words
    #: terms whose hits cancel this one's where they overlap ("China" but not "South China Sea")
    excepts: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class TermRef:
    """A use of a term inside a rule, with the field targeting and weight in force there."""

    term: int  # index into RuleSet terms
    fields: tuple[str, ...]
    weight: float
    label: str  # for explanations: the term or the alias it came from ("$VIETNAM: Hanoi")
    highlight: bool = True  # shown as a reason in digests (`highlight: false`: a context word)


@dataclass(frozen=True, slots=True)
class Group:
    op: Op
    children: tuple[Node, ...]
    label: str = ""  # "$VIETNAM" when the group is an expanded alias


@dataclass(frozen=True, slots=True)
class Near:
    """Every element (a set of alternatives) occurs in one field within `within` words of the others
    (`chars` characters when a CJK term is involved, since Japanese has no spaces)."""

    elements: tuple[tuple[TermRef, ...], ...]
    within: int
    chars: int
    fields: tuple[str, ...]


Node = TermRef | Group | Near


@dataclass(frozen=True, slots=True)
class Example:
    title: str = ""
    summary: str = ""
    content: str = ""
    lang: str | None = None
    line: int | None = None

    @property
    def text(self) -> str:
        return " / ".join(p for p in (self.title, self.summary, self.content) if p)


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    description: str
    condition: Group  # the rule's top-level keys, and-ed
    tags: tuple[str, ...]
    lang: tuple[str, ...]
    urgent: bool
    min_score: float
    match_examples: tuple[Example, ...]
    no_match_examples: tuple[Example, ...]
    path: Path
    line: int  # of the rule's name, for messages
    col: int
    positive: tuple[TermRef, ...]  # term uses outside `none:` — they score and highlight
    # the heading of the rule's section in digests, per language; the name when empty
    title: LocalText = field(default_factory=LocalText)

    def wants_lang(self, lang: str | None) -> bool:
        if not self.lang or not lang:
            return True
        return lang.split("-")[0].split("_")[0].lower() in self.lang
