"""`newsbot rules check | test | explain | suggest | backtest | eval`: edit rule files with confidence.

Without PATHs the commands use the config's ``[rules] paths`` (when a config file is found) or ./rules.
Exit codes: 0 fine; 1 a rule example failed; 2 an invalid rule file (RuleError, file:line:col).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

from bot.cli.common import optional_config
from bot.cli.rules_view import BAD, BOLD, DIM, OK, highlighted, paint, print_trace, result_json
from bot.models import Document
from bot.rules import RuleSet, load_rules, load_some_rules
from bot.rules.loader import ALIAS_REF
from bot.rules.model import FIELDS
from bot.rules.reason import reason


def _rules_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--rules",
        type=Path,
        action="append",
        metavar="PATH",
        dest="paths",
        help="rule file or folder (repeatable; default: the config's rules.paths, else ./rules)",
    )


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "rules",
        help="check, test, explain and replay rule files",
        description="Work on rule files: validate them, run their examples, see why an article "
        "matches, find key phrases, and replay stored items. See docs/rules.md.",
    )
    actions = p.add_subparsers(dest="rules_action", metavar="ACTION")
    p.set_defaults(func=lambda _args: _usage(p))

    check = actions.add_parser(
        "check",
        help="validate rule files (exit 2 with file:line:col)",
        description="Validate rule files: unknown keys, empty groups, bad wildcards, duplicate "
        "rule names and unknown aliases are errors reported as file:line:col (exit 2). Without "
        "PATH, the config's rules.paths (or ./rules).",
    )
    check.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    check.set_defaults(func=run_check)

    test = actions.add_parser(
        "test",
        help="run every rule's examples (exit 1 on a failure)",
        description="Run every rule's `examples` (match / no_match). A failure shows the example "
        "and which terms did or did not match; exit 1 when any example fails.",
    )
    test.add_argument("paths", nargs="*", type=Path, metavar="PATH")
    test.add_argument("--verbose", "-v", action="store_true", help="also show passing examples")
    test.set_defaults(func=run_test)

    explain = actions.add_parser(
        "explain",
        help="show which rules match a text and why",
        description="A one-line verdict (the rules that match, or what stopped the nearest one), "
        "then for each rule: matched or not, the score, and which terms matched where, with the "
        "spans highlighted (on a terminal). --json for machines.",
    )
    source = explain.add_mutually_exclusive_group(required=True)
    source.add_argument("--url", help="fetch an article page and match its main text")
    source.add_argument("--file", type=Path, help="a text or HTML file (first line = title)")
    source.add_argument("--text", help="a text to match (as an item's summary)")
    explain.add_argument("--title", default="", help="with --text: the item's title")
    explain.add_argument("--lang", help="the item's language (en, vi, ja, id)")
    explain.add_argument("--json", action="store_true", help="machine-readable output")
    explain.add_argument("--all", action="store_true", help="also list rules with no term found")
    _rules_option(explain)
    explain.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="highlight matched spans with ANSI colours (default: auto, on a terminal)",
    )
    explain.set_defaults(func=run_explain)

    suggest = actions.add_parser(
        "suggest",
        help="key phrases in example articles no rule covers",
        description="List candidate key phrases (multi-word names, recurring n-grams, Japanese "
        "n-grams) per language in example articles that no rule covers yet.",
    )
    suggest.add_argument("files", nargs="+", type=Path, metavar="FILE")
    suggest.add_argument("--top", type=int, default=20, help="phrases per language (default 20)")
    _rules_option(suggest)
    suggest.set_defaults(func=run_suggest)

    from bot.cli import rules_backtest, rules_eval
    from bot.cli.review_cmd import register_review

    rules_backtest.register(actions, _rules_option)
    register_review(actions)
    rules_eval.register(actions, _rules_option)


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help(sys.stderr)
    return 2


def rule_paths(args: argparse.Namespace) -> list[Path]:
    """Explicit PATHs, else the config's [rules] paths, else ./rules."""
    if getattr(args, "paths", None):
        return list(args.paths)
    config = optional_config(args)
    return list(config.rules.paths) if config else [Path("rules")]


def _ruleset(args: argparse.Namespace) -> RuleSet:
    return load_rules(rule_paths(args))


# ------------------------------------------------------------------------------ check / test


def run_check(args: argparse.Namespace) -> int:
    rs = load_some_rules(rule_paths(args))
    examples = sum(len(r.match_examples) + len(r.no_match_examples) for r in rs.rules)
    aliases = f", {len(rs.aliases)} aliases" if rs.aliases else ""
    print(
        f"ok: {len(rs)} rules{aliases}, {len(rs.terms)} distinct terms, {examples} examples "
        f"in {len(rs.files)} file(s)"
    )
    for path in rs.files:  # which file defines what
        print(f"  {path}")
        rules = [r.name for r in rs.rules if r.path == path]
        defined = [f"${a}" for a, (where, _) in rs.aliases.items() if where == path]
        for what, names in (("rule", rules), ("alias", defined)):
            if names:
                plural = "" if len(names) == 1 else ("es" if what == "alias" else "s")
                text = f"{len(names)} {what}{plural}: {', '.join(names)}"
                print(textwrap.fill(text, 100, initial_indent="    ", subsequent_indent="      ",
                                    break_on_hyphens=False))  # fmt: skip
    return 0


def run_test(args: argparse.Namespace) -> int:
    from bot.rules.checks import run_examples

    outcomes = run_examples(_ruleset(args))
    color = sys.stdout.isatty()
    failed = [o for o in outcomes if not o.passed]
    for o in outcomes:
        if o.passed and not args.verbose:
            continue
        verdict = "ok  " if o.passed else "FAIL"
        want = "match" if o.expected else "no match"
        print(
            f"{paint(verdict, OK if o.passed else BAD, color)} {o.rule.name} "
            f"({o.rule.path}:{o.example.line}): expected {want}, score {o.result.score:g}"
        )
        print(f"     {o.example.text}")
        if not o.passed:
            print_trace(o.trace, sys.stdout, color=color, indent=5)
    per_file = Counter(str(o.rule.path) for o in outcomes)
    where = ", ".join(f"{n} in {path}" for path, n in per_file.items())
    print(f"{len(outcomes)} examples ({where}), {len(failed)} failed" if where else
          f"{len(outcomes)} examples, {len(failed)} failed")  # fmt: skip
    return 1 if failed else 0


# ------------------------------------------------------------------------------ explain


def run_explain(args: argparse.Namespace) -> int:
    rs = _ruleset(args)
    doc = _document(args)
    prep = rs.prepare(doc)
    results = [rs.result(name, prep) for name in rs.names]
    why = reason(rs, prep, results)
    if args.json:
        payload = {
            "fields": {f: ft.text.display for f, ft in prep.fields.items()},
            "reason": why,
            "rules": [result_json(r) for r in results],
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
        return 0
    color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
    print(f"{paint('verdict:', BOLD, color)} {why}")
    # where to edit: the aliases the verdict names, each at the file and line that defines it
    named = dict.fromkeys(ALIAS_REF.findall(why))
    places = [f"${a} {rs.aliases[a][0]}:{rs.aliases[a][1]}" for a in named if a in rs.aliases]
    if places:
        print(f"{paint('defined:', DIM, color)} {'; '.join(places)}")
    for result in results:
        if not (result.hits or result.matched or args.all):
            continue
        mark = paint("MATCH   ", OK, color) if result.matched else paint("no match", DIM, color)
        tags = f"  tags: {', '.join(result.tags)}" if result.tags else ""
        urgent = "  URGENT" if result.urgent and result.matched else ""
        print(f"{mark} {paint(result.rule, BOLD, color)}  score {result.score:g}{tags}{urgent}")
        for name in FIELDS:
            spans = [(h.start, h.end) for h in result.hits if h.field == name]
            if spans and name in prep.fields:
                text = highlighted(prep.fields[name].text.display, spans, color)
                print(f"    {name}: {text}")
        print_trace(rs.trace(result.rule, prep), sys.stdout, color=color, indent=4)
    if not any(r.hits or r.matched for r in results) and not args.all:
        print("no rule found any of its terms in this text")
    return 0


def _document(args: argparse.Namespace) -> Document:
    if args.text is not None:
        return Document(title=args.title, summary=args.text, lang=args.lang)
    if args.file is not None:
        try:
            raw = args.file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            print(f"newsbot: rules: cannot read {args.file}: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        return _page_document(raw, lang=args.lang)
    return _page_document(asyncio.run(_fetch(args.url)), lang=args.lang)


def _page_document(raw: str, *, lang: str | None) -> Document:
    if "<html" in raw[:2000].lower() or "<body" in raw.lower():
        from bs4 import BeautifulSoup

        from bot.fetch.fulltext import extract_main_text

        soup = BeautifulSoup(raw, "lxml")
        title = soup.title.get_text(" ", strip=True) if soup.title else ""
        return Document(title=title, content=extract_main_text(raw), lang=lang)
    title, _, rest = raw.strip().partition("\n")
    return Document(title=title, content=rest, lang=lang)


async def _fetch(url: str) -> str:
    from bot import USER_AGENT
    from bot.config import FetchConfig
    from bot.fetch.fetcher import Fetcher

    async with Fetcher(settings=FetchConfig(), user_agent=USER_AGENT) as fetcher:
        # the editor typed this URL: it is trusted like a configured feed
        return await fetcher.fetch_article(url, allow_private_hosts=True)


# ------------------------------------------------------------------------------ suggest

_NO_SEGMENTER = {
    "vi": "no Vietnamese word segmenter installed: only names are suggested",
    "ja": "no Japanese word segmenter installed: only whole katakana and kanji runs",
}


def run_suggest(args: argparse.Namespace) -> int:
    from bot.rules.suggest import suggest
    from bot.rules.words import Segmenters

    rs = _ruleset(args)
    texts = []
    for path in args.files:
        try:
            texts.append(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            print(f"newsbot: rules: cannot read {path}: {exc}", file=sys.stderr)
            return 2
    segmenters = Segmenters.load()
    found = suggest(texts, rs, top=args.top, segmenters=segmenters)
    if not any(found.values()):
        print("no recurring phrase that the rules do not already cover")
    for lang, items in sorted(found.items()):
        print(f"[{lang}]")
        if lang in ("vi", "ja") and lang not in segmenters.real:
            print(f"  ({_NO_SEGMENTER[lang]}; pip install 'newsbot[words]' for every word)")
        for s in items:
            print(f"  {s.phrase!r:40}  x{s.count} in {s.files} file(s)")
    return 0
