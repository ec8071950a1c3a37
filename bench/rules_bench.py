"""Matching speed: items/s for 10, 100 and 1,000 rules over a fixed multilingual item set.

    python bench/rules_bench.py [--items 2000] [--seconds 2]

Rules and items are generated here from a fixed seed (English, Vietnamese, Japanese, Indonesian;
HTML summaries, a few hundred characters of body each). Target: the cost per item grows far less
than linearly with the number of rules (one Aho-Corasick pass per field, whatever the rule count).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.models import Document  # noqa: E402
from bot.rules import RuleSet, load_rules  # noqa: E402

WORDS = {
    "en": [
        "the",
        "minister",
        "said",
        "talks",
        "on",
        "trade",
        "energy",
        "ports",
        "loans",
        "workers",
        "students",
        "agreed",
        "new",
        "plan",
        "coast",
        "guard",
        "islands",
        "market",
        "rice",
        "prices",
        "storm",
        "football",
        "investors",
        "factory",
        "rail",
    ],
    "vi": [
        "bộ",
        "trưởng",
        "cho",
        "biết",
        "hai",
        "nước",
        "hợp",
        "tác",
        "thương",
        "mại",
        "năng",
        "lượng",
        "cảng",
        "biển",
        "lao",
        "động",
        "sinh",
        "viên",
        "nhất",
        "trí",
        "kế",
        "hoạch",
        "mới",
        "cảnh",
        "sát",
        "biển",
        "thị",
        "trường",
        "giá",
        "gạo",
        "bão",
        "bóng",
        "đá",
        "nhà",
        "đầu",
        "tư",
    ],
    "id": [
        "menteri",
        "mengatakan",
        "pembicaraan",
        "perdagangan",
        "energi",
        "pelabuhan",
        "pinjaman",
        "pekerja",
        "pelajar",
        "sepakat",
        "rencana",
        "baru",
        "penjaga",
        "pantai",
        "pasar",
        "harga",
        "beras",
        "badai",
        "sepak",
        "bola",
        "investor",
    ],
    "ja": list("政府会談協力貿易港湾融資労働者留学生合意計画海上保安市場価格台風投資工場鉄道"),
}
SYLLABLES = ["ka", "lo", "min", "tan", "ve", "su"]
VOCAB = 3000  # distinct made-up words rules and items draw from
NAMES = ["Vietnam", "Việt Nam", "Japan", "Nhật Bản", "Jepang", "ベトナム", "日本", "Hanoi", "Tokyo"]


def make_rules(n: int, rng: random.Random) -> str:
    vocab = [w for ws in WORDS.values() for w in ws if len(w) > 1]
    lines = ["aliases:", f"  SIDES: [{', '.join(repr(x) for x in NAMES)}]", "rules:"]
    for i in range(n):
        # the way a real rule set grows: a shared concept (an alias) and terms of the rule's own
        # (here made-up words from a large vocabulary, some of which the items use)
        own = [f"{rng.choice(SYLLABLES)}{rng.randrange(VOCAB)}" for _ in range(3)]
        terms = [*own, f"{own[0]}x*"]
        lines += [
            f"  - name: r{i}",
            "    all:",
            "      - $SIDES",
            f"      - any: [{', '.join(repr(t) for t in terms)}]",
            f"    none: [{rng.choice(vocab)!r}]",
        ]
    return "\n".join(lines) + "\n"


def make_items(count: int, rng: random.Random) -> list[Document]:
    docs = []
    for i in range(count):
        lang = ["en", "vi", "id", "ja"][i % 4]
        sep = "" if lang == "ja" else " "
        words = WORDS[lang]

        def text(k: int, words: list[str] = words, sep: str = sep) -> str:
            parts = [rng.choice(words) for _ in range(k)]
            parts += [f"{rng.choice(SYLLABLES)}{rng.randrange(VOCAB)}" for _ in range(k // 10)]
            if rng.random() < 0.5:
                parts.insert(rng.randrange(len(parts)), rng.choice(NAMES))
            return sep.join(parts)

        docs.append(
            Document(
                title=text(8),
                summary=f"<p>{text(30)}</p><p>{text(30)} &amp; {text(10)}</p>",
                content=text(60),
                lang=lang,
            )
        )
    return docs


def rate(rs: RuleSet, docs: list[Document], seconds: float) -> tuple[float, int]:
    done, matched = 0, 0
    start = time.perf_counter()
    while True:
        for doc in docs:
            matched += len(rs.match(doc))
        done += len(docs)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return done / elapsed, matched // max(1, done // len(docs))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=2.0, help="time per rule count")
    args = ap.parse_args()
    docs = make_items(args.items, random.Random(7))
    print(f"{len(docs)} items (en/vi/id/ja, HTML summaries), {args.seconds:g}s per rule count")
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in (10, 100, 1000):
            path = Path(tmp) / f"bench-{n}.yaml"
            path.write_text(make_rules(n, random.Random(n)), encoding="utf-8")
            t0 = time.perf_counter()
            rs = load_rules([path])
            load_ms = (time.perf_counter() - t0) * 1000
            per_s, matches = rate(rs, docs, args.seconds)
            results.append((n, per_s))
            print(
                f"{n:5d} rules: {per_s:9.0f} items/s  ({len(rs.terms)} terms, load {load_ms:.0f} ms, "
                f"{matches} matches per pass)"
            )
    (n0, r0), (n2, r2) = results[0], results[-1]
    growth = r0 / r2
    print(
        f"cost per item grows {growth:.1f}x for {n2 // n0}x the rules "
        f"(target: far less than linear, i.e. well under {n2 // n0}x)"
    )
    return 0 if growth < (n2 / n0) / 4 else 1


if __name__ == "__main__":
    raise SystemExit(main())
