"""`newsbot rules eval FILE.jsonl …`: score the rules in force against labelled items files.

Per file: precision and recall by language and overall, then every miss and false positive with the
one-line reason `rules explain` gives. `--json` for machines. Exit 1 when `--min-precision` /
`--min-recall` are given and a language (or the whole file) falls short; 2 on a bad file.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from bot.rules import load_rules
from bot.rules.evaluate import Score, Verdict, evaluate, read_labelled, scores

_KIND = {"fn": "MISS", "fp": "FALSE POSITIVE"}


def register(actions: Any, rules_option: Any) -> None:
    p: argparse.ArgumentParser = actions.add_parser(
        "eval",
        help="score the rules against labelled items (precision / recall by language)",
        description="Score the rules in force against labelled items files (JSON Lines: id, lang, "
        "title, summary, label 0/1; link and why optional): precision and recall by language, "
        "and each miss and false positive with the reason `rules explain` gives.",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE.jsonl")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--min-precision", type=float, metavar="P", help="exit 1 if a language's precision < P"
    )
    p.add_argument(
        "--min-recall", type=float, metavar="R", help="exit 1 if a language's recall < R"
    )
    rules_option(p)
    p.set_defaults(func=run_eval)


def run_eval(args: argparse.Namespace) -> int:
    from bot.cli.rules_cmd import rule_paths

    files = [(path, read_labelled(path)) for path in args.files]  # every file read before scoring
    rs = load_rules(rule_paths(args))
    reports = []
    for path, items in files:
        verdicts = evaluate(rs, items)
        reports.append((path, verdicts, scores(verdicts)))
    floor_p = args.min_precision if args.min_precision is not None else 0.0
    floor_r = args.min_recall if args.min_recall is not None else 0.0
    short = [
        (path, s)
        for path, _, ss in reports
        for s in ss
        if not s.meets(precision=floor_p, recall=floor_r)
    ]
    if args.json:
        payload = {
            "rules": [str(p) for p in rs.files],
            "files": [_file_json(path, v, s) for path, v, s in reports],
            "targets": {"precision": floor_p, "recall": floor_r, "met": not short},
        }
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        for path, verdicts, ss in reports:
            _print_file(path, verdicts, ss)
        if args.min_precision is not None or args.min_recall is not None:
            verdict = "MET" if not short else "MISSED"
            print(
                f"targets: precision >= {floor_p:g}, recall >= {floor_r:g} per language: {verdict}"
            )
            for path, s in short:
                print(f"  {path} [{s.lang}]: precision {s.precision:.3f} recall {s.recall:.3f}")
    return 1 if short else 0


def _print_file(path: Path, verdicts: list[Verdict], ss: list[Score]) -> None:
    print(f"== {path}: {len(verdicts)} items")
    for s in ss:
        print(
            f"   {s.lang:>4}: precision {s.precision:.3f}  recall {s.recall:.3f}  "
            f"(tp={s.tp} fp={s.fp} fn={s.fn} tn={s.tn})"
        )
    for v in verdicts:
        if v.outcome in _KIND:
            print(f"   {_KIND[v.outcome]} {v.item.id} [{v.item.lang}] {v.item.title}")
            print(f"      {v.reason}")
    print()


def _file_json(path: Path, verdicts: list[Verdict], ss: list[Score]) -> dict[str, Any]:
    return {
        "file": str(path),
        "items": len(verdicts),
        "scores": [s.as_json() for s in ss],
        "errors": [
            {
                "id": v.item.id,
                "lang": v.item.lang,
                "kind": "miss" if v.outcome == "fn" else "false positive",
                "title": v.item.title,
                "link": v.item.link,
                "line": v.item.line,
                "rules": list(v.rules),
                "reason": v.reason,
            }
            for v in verdicts
            if v.outcome in _KIND
        ],
    }
