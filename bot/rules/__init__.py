"""The rules engine: YAML rule files -> a compiled `RuleSet` that matches documents.

    rs = load_rules([Path("rules")])   # files or folders; raises RuleError (file:line:col)
    rs.match(doc)                      # matched RuleResults only
    rs.evaluate(doc)                   # one RuleResult per rule
    rs.highlight(text, ["rule-a"])     # spans of the rules' terms in a plain text

See docs/rules.md for the language.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bot.rules.engine import Prepared, RuleSet, Trace
from bot.rules.files import load_files
from bot.rules.model import Example, Rule
from bot.rules.text import plain_text


def rule_titles(ruleset: RuleSet) -> dict[str, str]:
    """Digest section headings: each rule's `title:`, for the rules that have one."""
    return {r.name: r.title for r in ruleset.rules if r.title}


def load_rules(paths: Iterable[Path | str]) -> RuleSet:
    """Load, validate and compile every rule file under `paths` (files or folders)."""
    rules, terms, files = load_files(Path(p) for p in paths)
    return RuleSet(rules, terms, files)


__all__ = [
    "Example",
    "Prepared",
    "Rule",
    "RuleSet",
    "Trace",
    "load_rules",
    "plain_text",
    "rule_titles",
]
