"""Where `RuleSet.match` spends its time, and proof that a faster engine gives the same answers.

    python bench/match_profile.py                     # time match over the poll_bench items
    python bench/match_profile.py --profile           # ... and print the top of a cProfile
    python bench/match_profile.py --save snap.pickle  # record every corpus's inputs and results
    python bench/match_profile.py --check snap.pickle # re-run them: exit 1 on any difference

The corpora: the poll_bench items (synthetic feeds, four languages) and the rules_bench items with
the default rules; the rules_bench rule sets (10/100/1,000 generated rules) on their own items; the
dev set (../shared/eval: items and feeds) and the held-out fixture; and a "dense" corpus made of the
rules' own terms (case, diacritics and HTML varied, terms repeated past the per-term hit cap), so
proximity, `except:` and wildcard paths run far more often than in news text. A snapshot stores the
rule texts and documents, not only the results, so `--check` compares like with like even after the
feed parser or the generators change. Results compared: `match`, `evaluate` and `highlight`.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pickle
import pstats
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from bot.models import Document  # noqa: E402
from bot.rules import RuleSet, load_rules  # noqa: E402

DEFAULT_RULES = ROOT / "rules"
EVAL = ROOT.parent / "shared" / "eval"
HELDOUT = ROOT / "tests" / "fixtures" / "heldout-items.jsonl"
RuleTexts = str | dict[str, str]  # one rule file's text, or a folder's: relative path -> text
Corpus = tuple[RuleTexts, list[Document]]  # (rules, documents)


def poll_docs(feeds: int) -> list[Document]:
    from feeds import make_feed

    from bot.parse import parse_feed

    docs = []
    for i in range(feeds):
        url = f"http://127.0.0.1:1/feed/{i}.xml"
        for it in parse_feed(make_feed(i, items=30, base="http://127.0.0.1:1"), url=url).items:
            docs.append(Document(it.title, it.summary, it.content, it.lang))
    return docs


def jsonl_docs(path: Path) -> list[Document]:
    lines = path.read_text(encoding="utf-8").splitlines()
    items = [json.loads(line) for line in lines if line.strip()]
    return [Document(d["title"], d.get("summary", ""), lang=d.get("lang")) for d in items]


def eval_feed_docs(folder: Path) -> list[Document]:
    from bot.parse import parse_feed

    docs = []
    for path in sorted(folder.glob("*.xml")):
        for it in parse_feed(path.read_bytes(), url=path.as_uri()).items:
            docs.append(Document(it.title, it.summary, it.content, it.lang))
    return docs


def dense_docs(rs: RuleSet, count: int, rng: random.Random) -> list[Document]:
    """Documents made of the rules' own terms: many hits per field, lists of countries, repeats."""
    words = sorted({t.text.rstrip("*") for t in rs.terms})
    filler = ["và", "the", "dan", "of", "の", "と", "năm", "new", "2024", "-", ",", "said"]

    def vary(w: str) -> str:
        r = rng.random()
        if r < 0.15:
            return w.upper()
        if r < 0.25:
            return w + rng.choice(["s", "ing", "x", "国", ""])
        if r < 0.3:
            return f"<b>{w}</b>"
        return w

    def text(k: int) -> str:
        parts = [vary(rng.choice(words)) if rng.random() < 0.6 else rng.choice(filler)]
        for _ in range(k):
            parts.append(rng.choice([" ", " ", " ", "", ", "]))
            parts.append(vary(rng.choice(words)) if rng.random() < 0.6 else rng.choice(filler))
        return "".join(parts)

    docs = []
    for i in range(count):
        repeat = f" {rng.choice(words)}" * 25 if i % 10 == 0 else ""
        docs.append(
            Document(
                title=text(rng.randrange(3, 12)),
                summary=f"<p>{text(rng.randrange(0, 30))}</p>&amp; {text(4)}",
                content=text(rng.randrange(0, 80)) + repeat,
                lang=rng.choice(["en", "vi", "ja", "id", None, "vi-VN"]),
            )
        )
    return docs


def corpora(*, feeds: int) -> dict[str, Corpus]:
    from rules_bench import make_items, make_rules

    default = {
        str(f.relative_to(DEFAULT_RULES)): f.read_text(encoding="utf-8")
        for f in sorted(DEFAULT_RULES.rglob("*.yaml"))
    }
    bench_items = make_items(2000, random.Random(7))
    out: dict[str, Corpus] = {
        "poll": (default, poll_docs(feeds)),
        "rules_bench-items": (default, bench_items),
        "heldout": (default, jsonl_docs(HELDOUT)),
        "dense": (default, dense_docs(load_rules([DEFAULT_RULES]), 3000, random.Random(3))),
    }
    if EVAL.is_dir():
        out["dev"] = (default, jsonl_docs(EVAL / "dev-items.jsonl"))
        out["dev-feeds"] = (default, eval_feed_docs(EVAL / "feeds"))
    for n in (10, 100, 1000):
        out[f"rules_bench-{n}"] = (make_rules(n, random.Random(n)), bench_items[:500])
    return out


def ruleset(texts: RuleTexts, tmp: Path) -> RuleSet:
    files = texts if isinstance(texts, dict) else {"rules.yaml": texts}
    folder = Path(tempfile.mkdtemp(dir=tmp))
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text, encoding="utf-8")
    return load_rules([folder])


def results(rs: RuleSet, docs: list[Document]) -> list[Any]:
    out: list[Any] = []
    for doc in docs:
        matched = rs.match(doc)
        names = [r.rule for r in matched] or list(rs.names[:3])
        out.append((matched, rs.evaluate(doc), rs.highlight(doc.title, names)))
    return out


def snapshot(data: dict[str, Corpus]) -> dict[str, tuple[RuleTexts, list[Document], list[Any]]]:
    with tempfile.TemporaryDirectory() as tmp:
        return {k: (t, d, results(ruleset(t, Path(tmp)), d)) for k, (t, d) in data.items()}


def check(path: Path) -> int:
    saved = pickle.loads(path.read_bytes())
    bad = 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, (text, docs, expected) in saved.items():
            t0 = time.perf_counter()
            got = results(ruleset(text, Path(tmp)), docs)
            diff = [i for i, (a, b) in enumerate(zip(got, expected, strict=True)) if a != b]
            bad += len(diff)
            status = "same" if not diff else f"{len(diff)} DIFFERENT (first: doc {diff[0]})"
            print(f"{name:>20}: {len(docs):6d} docs, {time.perf_counter() - t0:6.2f} s  {status}")
    return 1 if bad else 0


def time_match(rs: RuleSet, docs: list[Document], *, profile: bool) -> None:
    for doc in docs[:200]:
        rs.match(doc)  # warm the character tables and caches, as a long-running worker has them
    prof = cProfile.Profile() if profile else None
    t0 = time.process_time()
    if prof:
        prof.enable()
    matched = sum(len(rs.match(doc)) for doc in docs)
    if prof:
        prof.disable()
    cpu = time.process_time() - t0
    print(
        f"ruleset.match: {len(docs)} items, {cpu:.2f} s CPU, {cpu / len(docs) * 1e6:.0f} us/item, "
        f"{matched} matches{' (profiled: slower)' if prof else ''}"
    )
    if prof:
        pstats.Stats(prof).sort_stats("tottime").print_stats(25)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--feeds", type=int, default=200, help="poll_bench feeds (30 items each)")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--save", type=Path)
    ap.add_argument("--check", type=Path)
    args = ap.parse_args()
    if args.check:
        return check(args.check)
    if args.save:
        args.save.write_bytes(pickle.dumps(snapshot(corpora(feeds=args.feeds))))
        print(f"saved {args.save}")
        return 0
    time_match(load_rules([DEFAULT_RULES]), poll_docs(args.feeds), profile=args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
