"""What the files loaded together share: their terms (interned once) and their aliases."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import yaml

from bot.rules.model import Term

if TYPE_CHECKING:
    from bot.rules.loader import _File


@dataclass
class TermTable:
    """Interns terms across all files so shared terms are matched once."""

    terms: list[Term] = field(default_factory=list)
    index: dict[tuple[str, bool, bool, tuple[int, ...]], int] = field(default_factory=dict)

    def add(self, term: Term) -> int:
        key = (term.key, term.wildcard, term.fold, term.excepts)
        if key not in self.index:
            self.index[key] = len(self.terms)
            self.terms.append(term)
        return self.index[key]


@dataclass(frozen=True)
class AliasSite:
    """Where an alias is defined: its expansion reports errors in its own file."""

    node: yaml.Node
    owner: _File
    line: int


@dataclass
class AliasTable:
    """Every alias of the files loaded together, by name; one namespace, so a name defined twice
    is an error naming both places."""

    defined: dict[str, AliasSite] = field(default_factory=dict)
    expanding: list[str] = field(default_factory=list)
    #: appended to "unknown alias": why an alias may be missing (a file that failed, a lone file)
    missing_hint: str = ""
