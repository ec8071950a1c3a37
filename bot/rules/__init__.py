"""The rules engine: YAML rule files -> a compiled `RuleSet` that matches documents.

    rs = load_rules([Path("rules")])   # files or folders; raises RuleError (file:line:col)
    rs.match(doc)                      # matched RuleResults only
    rs.evaluate(doc)                   # one RuleResult per rule
    rs.highlight(text, ["rule-a"])     # spans of the rules' terms in a plain text

See docs/rules.md for the language. Where its parts live: loader.py reads YAML into the trees of
model.py; ops.py has one class per operator (what it means, compiles into, is anchored by) and
the walks that ask them; compile.py and near.py build the fast tests, scan.py finds terms
(`accepts`: the one word-edge test), engine.py is the `RuleSet`; reference.py is the plain
definition the tests hold the fast path to; items.py is what the pipeline stores of a match.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bot.errors import RuleError
from bot.i18n import LocalText
from bot.rules.engine import Prepared, RuleSet, Trace
from bot.rules.files import load_files
from bot.rules.model import Example, Rule
from bot.rules.text import plain_text


def rule_titles(ruleset: RuleSet) -> dict[str, LocalText]:
    """Digest section headings: each rule's `title:` (per language), for the rules that have one."""
    return {r.name: r.title for r in ruleset.rules if r.title}


def load_rules(paths: Iterable[Path | str]) -> RuleSet:
    """Load, validate and compile every rule file under `paths` (files or folders)."""
    loaded = load_files(Path(p) for p in paths)
    return RuleSet(loaded.rules, loaded.terms, loaded.files, aliases=loaded.aliases)


def load_some_rules(paths: Iterable[Path | str]) -> RuleSet:
    """`load_rules`, where no rule at all is an error: an empty or mis-pointed rules folder would
    have every item polled stored as seen and unmatched, never to be delivered."""
    searched = [Path(p) for p in paths]
    ruleset = load_rules(searched)
    if not len(ruleset):
        where = ", ".join(str(p) for p in searched) or "no path"
        files = f"{len(ruleset.files)} rule file(s)" if ruleset.files else "no .yaml file"
        if ruleset.aliases:  # e.g. rules/aliases: files of aliases, the rules beside them
            files += " defining only aliases; load the folder that also holds the rules"
        raise RuleError(f"no rules loaded: searched {where} ({files} there); check [rules] paths")
    return ruleset


__all__ = [
    "Example",
    "Prepared",
    "Rule",
    "RuleSet",
    "Trace",
    "load_rules",
    "load_some_rules",
    "plain_text",
    "rule_titles",
]
