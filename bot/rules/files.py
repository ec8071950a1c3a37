"""Rule files and folders -> rules and terms: every file loaded, every broken file reported."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from bot.errors import RuleError, RuleErrors
from bot.rules.loader import TermTable, _File
from bot.rules.model import Rule, Term


def rule_files(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml")))
        elif p.exists():
            out.append(p)
        else:
            raise RuleError("no such file or folder", path=p)
    return out


def load_files(paths: Iterable[Path]) -> tuple[list[Rule], list[Term], tuple[Path, ...]]:
    """Every file is loaded even after one fails, so a user fixing a folder sees every broken file
    at once (each file still stops at its first error)."""
    table = TermTable()
    rules: list[Rule] = []
    seen: dict[str, Rule] = {}
    errors: list[RuleError] = []
    files = rule_files(paths)
    for path in files:
        try:
            loaded = _load_file(path, table, seen)
        except RuleError as exc:
            errors.append(exc)
            continue
        for rule in loaded:
            seen[rule.name] = rule
        rules.extend(loaded)
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise RuleErrors(errors)
    return rules, table.terms, tuple(files)


def _load_file(path: Path, table: TermTable, seen: dict[str, Rule]) -> list[Rule]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"cannot read: {exc}", path=path) from None
    rules = _File(path, table).load(text)
    mine: dict[str, Rule] = {}
    for rule in rules:
        first = seen.get(rule.name) or mine.get(rule.name)
        if first is not None:
            raise RuleError(
                f"duplicate rule name {rule.name!r} (first defined at {first.path}:{first.line})",
                path=path,
                line=rule.line,
                col=rule.col,
            )
        mine[rule.name] = rule
    return rules
