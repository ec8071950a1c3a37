"""Appending an example to a rule in its YAML file, as a text edit: comments, order and layout of
everything else stay as the editor wrote them (`rules review --apply`).

The file is parsed with PyYAML's composer only to find where things are (nodes carry their
positions); the new line is written in flow style with JSON-quoted strings, which YAML reads back
as written. The edited file is loaded again before it is kept: an edit that would break it is
undone and reported.
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from bot.errors import FeedbackError, RuleError
from bot.rules import load_rules

Kind = str  # "match" | "no_match"


def example_yaml(*, title: str, summary: str = "", lang: str | None = None) -> str:
    """``{title: "...", summary: "...", lang: vi}`` on one line."""
    parts = [f"title: {json.dumps(title, ensure_ascii=False)}"]
    if summary:
        parts.append(f"summary: {json.dumps(summary, ensure_ascii=False)}")
    if lang:
        parts.append(f"lang: {json.dumps(lang)}")
    return "{" + ", ".join(parts) + "}"


def append_example(path: Path, rule: str, kind: Kind, example: str) -> None:
    """Append `example` (one flow-style YAML line) to `rule`'s ``examples.<kind>`` in `path`."""
    original = path.read_text(encoding="utf-8")
    lines = original.splitlines()
    index, new = _insertion(original, path, rule, kind, example)
    lines[index:index] = new
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    try:
        load_rules([path])
    except RuleError as exc:
        path.write_text(original, encoding="utf-8")
        raise FeedbackError(
            f"feedback: {path}: adding an example to {rule} broke it: {exc}"
        ) from None


def _insertion(text: str, path: Path, rule: str, kind: Kind, example: str) -> tuple[int, list[str]]:
    node = _rule_node(text, path, rule)
    pairs = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    examples = pairs.get("examples")
    if examples is None:
        indent = " " * node.start_mark.column
        at = _last_line(node) + 1
        return at, [f"{indent}examples:", f"{indent}  {kind}:", f"{indent}    - {example}"]
    if not isinstance(examples, yaml.MappingNode) or examples.flow_style:
        raise FeedbackError(f"feedback: {path}: {rule}: write `examples:` as a block mapping")
    own = {k.value: v for k, v in examples.value if isinstance(k, yaml.ScalarNode)}
    seq = own.get(kind)
    if seq is None:
        indent = " " * examples.start_mark.column
        return _last_line(examples) + 1, [f"{indent}{kind}:", f"{indent}  - {example}"]
    if not isinstance(seq, yaml.SequenceNode) or seq.flow_style:
        raise FeedbackError(f"feedback: {path}: {rule}: write `examples.{kind}` as a block list")
    if not seq.value:  # pragma: no cover - an empty block list is written `[]`, a flow list
        raise FeedbackError(f"feedback: {path}: {rule}: examples.{kind} is empty")
    indent = " " * seq.start_mark.column
    return _last_line(seq) + 1, [f"{indent}- {example}"]


def _rule_node(text: str, path: Path, rule: str) -> yaml.MappingNode:
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise FeedbackError(f"feedback: {path}: not valid YAML: {exc}") from None
    rules = None
    if isinstance(root, yaml.MappingNode):
        rules = next((v for k, v in root.value if getattr(k, "value", None) == "rules"), None)
    if not isinstance(rules, yaml.SequenceNode):
        raise FeedbackError(f"feedback: {path}: no `rules:` list")
    for node in rules.value:
        if isinstance(node, yaml.MappingNode) and any(
            getattr(k, "value", None) == "name" and getattr(v, "value", None) == rule
            for k, v in node.value
        ):
            if node.flow_style:
                raise FeedbackError(f"feedback: {path}: {rule}: write the rule as a block mapping")
            return node
    raise FeedbackError(f"feedback: {path}: no rule named {rule!r}")


def _last_line(node: yaml.Node) -> int:
    """The 0-based line of the last character that belongs to `node` (not trailing comments)."""
    if isinstance(node, yaml.MappingNode) and node.value and not node.flow_style:
        return _last_line(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and node.value and not node.flow_style:
        return _last_line(node.value[-1])
    end = node.end_mark
    return end.line - 1 if end.column == 0 else end.line
