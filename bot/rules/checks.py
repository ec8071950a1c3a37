"""Running every rule's own `examples:` — what `newsbot rules test` reports."""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import Document, RuleResult
from bot.rules.engine import RuleSet, Trace
from bot.rules.model import Example, Rule


@dataclass(frozen=True, slots=True)
class ExampleOutcome:
    rule: Rule
    example: Example
    expected: bool  # should match
    result: RuleResult
    trace: Trace  # why it did or did not match

    @property
    def passed(self) -> bool:
        return self.result.matched == self.expected


def example_document(example: Example) -> Document:
    return Document(
        title=example.title, summary=example.summary, content=example.content, lang=example.lang
    )


def run_examples(ruleset: RuleSet) -> list[ExampleOutcome]:
    """Every example of every rule, in file order, passed or not."""
    out: list[ExampleOutcome] = []
    for rule in ruleset.rules:
        cases = [(e, True) for e in rule.match_examples] + [
            (e, False) for e in rule.no_match_examples
        ]
        for example, expected in cases:
            prep = ruleset.prepare(example_document(example))
            out.append(
                ExampleOutcome(
                    rule,
                    example,
                    expected,
                    ruleset.result(rule.name, prep),
                    ruleset.trace(rule.name, prep),
                )
            )
    return out
