"""Rule files and folders -> rules and terms: every file loaded, every broken file reported."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bot.errors import RuleError, RuleErrors
from bot.rules.loader import _File
from bot.rules.model import Rule, Term
from bot.rules.tables import AliasTable, TermTable


def rule_files(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*") if q.suffix in (".yaml", ".yml")))
        elif p.exists():
            out.append(p)
        else:
            raise RuleError("no such file or folder", path=p)
    # a file named twice (a folder and a file in it) is loaded once, not read as its own duplicate
    unique: dict[Path, Path] = {}
    for q in out:
        unique.setdefault(q.resolve(), q)
    return list(unique.values())


@dataclass(frozen=True)
class Loaded:
    rules: list[Rule]
    terms: list[Term]
    files: tuple[Path, ...]
    #: alias name -> (file, line) where it is defined: `rules check` says which file defines what
    aliases: dict[str, tuple[Path, int]]


def load_files(paths: Iterable[Path]) -> Loaded:
    """Every file is loaded even after one fails, so a user fixing a folder sees every broken file
    at once (each file still stops at its first error). Every file is read before any is built:
    aliases are shared by the files loaded together, whichever file defines them."""
    given = list(paths)
    files = rule_files(given)
    table, aliases = TermTable(), AliasTable()
    errors: list[RuleError] = []
    readers: list[_File] = []
    for path in files:
        reader = _File(path, table, aliases)
        try:
            reader.read(_text(path))
        except RuleError as exc:
            errors.append(exc)
            continue
        readers.append(reader)
    unreadable = bool(errors)
    aliases.missing_hint = _missing_hint(given, files)
    rules: list[Rule] = []
    seen: dict[str, Rule] = {}
    for reader in readers:
        try:
            loaded = _rules_of(reader, seen)
        except RuleError as exc:
            if not (unreadable and exc.detail.startswith("unknown alias")):
                errors.append(
                    exc
                )  # else a knock-on of a file that could not be read: fix that first
            continue
        for rule in loaded:
            seen[rule.name] = rule
        rules.extend(loaded)
    # a broken alias is reported by its own file, and again by each file that uses it: once is enough
    errors = list({str(e): e for e in errors}.values())
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise RuleErrors(errors)
    where = {name: (site.owner.path, site.line) for name, site in aliases.defined.items()}
    return Loaded(rules, table.terms, tuple(files), where)


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"cannot read: {exc}", path=path) from None


def _missing_hint(given: list[Path], files: list[Path]) -> str:
    """Why an alias may be unknown: a lone file picked out of a folder whose other files define
    the aliases it uses."""
    loaded = set(files)
    for path in given:
        if path.is_file() and any(q not in loaded for q in rule_files([path.parent])):
            return (
                f" (if another file in {path.parent} defines it, load the folder, not only "
                f"{path.name}: aliases are shared by the files loaded together)"
            )
    return ""


def _rules_of(reader: _File, seen: dict[str, Rule]) -> list[Rule]:
    rules = reader.load()
    mine: dict[str, Rule] = {}
    for rule in rules:
        first = seen.get(rule.name) or mine.get(rule.name)
        if first is not None:
            where = (
                f"line {first.line}" if first.path == reader.path else f"{first.path}:{first.line}"
            )
            raise RuleError(
                f"rule name {rule.name!r} is used twice (also at {where}): rule names are shared "
                "by every rule file loaded together; rename one",
                path=reader.path,
                line=rule.line,
                col=rule.col,
            )
        mine[rule.name] = rule
    return rules
