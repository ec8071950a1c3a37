"""Typed values out of PyYAML nodes, every error placed at its node's file:line:col."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from pathlib import Path

import yaml

from bot.errors import RuleError


class NodeReader:
    """What a rule file's reader needs to read any value: a mapping with known keys, a scalar,
    a non-empty string, a number, a boolean, a list of strings."""

    path: Path

    def error(self, node: yaml.Node | None, message: str) -> RuleError:
        if node is None:
            return RuleError(message, path=self.path)
        mark = node.start_mark
        return RuleError(message, path=self.path, line=mark.line + 1, col=mark.column + 1)

    def mapping(self, node: yaml.Node, what: str, allowed: Sequence[str]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.error(node, f"{what} must be a mapping")
        out: dict[str, yaml.Node] = {}
        for key_node, value in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                raise self.error(key_node, f"{what}: keys must be plain words")
            if key in out:
                raise self.error(key_node, f"duplicate key {key!r} in {what}")
            if key not in allowed:
                hint = difflib.get_close_matches(key, allowed, n=1)
                tip = f" (did you mean {hint[0]!r}?)" if hint else ""
                raise self.error(
                    key_node,
                    f"unknown key {key!r} in {what}{tip}; expected one of: " + ", ".join(allowed),
                )
            out[key] = value
        return out

    def scalar(self, node: yaml.Node, what: str) -> str:
        if not isinstance(node, yaml.ScalarNode):
            raise self.error(node, f"{what} must be a single value")
        return str(node.value)

    def string(self, node: yaml.Node, what: str) -> str:
        value = self.scalar(node, what).strip()
        if not value:
            raise self.error(node, f"{what} must not be empty")
        return value

    def number(self, node: yaml.Node, what: str, *, integer: bool = False) -> float:
        raw = self.scalar(node, what)
        try:
            value = int(raw) if integer else float(raw)
        except ValueError:
            kind = "a whole number" if integer else "a number"
            raise self.error(node, f"{what} must be {kind}, got {raw!r}") from None
        if value < 0:
            raise self.error(node, f"{what} must not be negative")
        return value

    def boolean(self, node: yaml.Node, what: str) -> bool:
        raw = self.scalar(node, what).lower()
        if raw in ("true", "yes", "on"):
            return True
        if raw in ("false", "no", "off"):
            return False
        raise self.error(node, f"{what} must be true or false, got {raw!r}")

    def strings(self, node: yaml.Node, what: str) -> list[str]:
        if isinstance(node, yaml.ScalarNode):
            return [self.string(node, what)]
        if not isinstance(node, yaml.SequenceNode):
            raise self.error(node, f"{what} must be a list")
        return [self.string(n, what) for n in node.value]
