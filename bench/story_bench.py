"""Same-story collapsing: how often different stories are merged, and same stories left apart.

    .venv/bin/python bench/story_bench.py [EVAL_DIR]     (default: ../shared/eval beside the checkout)

Two sets go through the real `build_digest`:

- **templated burst**: 200 articles from one outlet whose headlines share one template per topic
  (what wire services and state media publish: "Vietnam, Japan agree to … (update 3)"), each story
  published in 1-6 versions, plus 40 rewordings of some of those stories by two other outlets. The
  story behind every article is known, so both error rates are exact.
- **eval items**: the labelled dev set and the 200 real items, every one a different article; they
  are all given the same publication time (the worst case: the 72-hour window cannot keep anything
  apart), so every merge among them is a false merge. Merged pairs are printed for inspection.

Each set is measured with the current rules and with the name/number check switched off ("titles
only", the behaviour before), so the printout shows what the check buys.
"""

from __future__ import annotations

import json
import math
import random
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bot.digest.build as build
from bot.config import ConsoleOptions, DestinationConfig
from bot.models import Digest, PendingItem, RuleMatch

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
DEST = DestinationConfig(name="bench", type="console", options=ConsoleOptions())

# {n}: a number, {city}, {day}: a date; one pattern per topic, as a wire desk writes them
TEMPLATES = (
    "Vietnam, Japan agree to boost {sector} cooperation in {city}",
    "Japan to provide {n} billion yen ODA loan for {city} {project}",
    "Vietnam, Japan sign {n} agreements on {sector} at {city} forum",
    "Japanese firms pledge {n} million USD for {sector} in {city}",
    "Vietnam, Japan hold {n}th dialogue on {sector} on {month} {day}",
    "Việt Nam - Nhật Bản ký {n} thỏa thuận hợp tác {sector_vi} tại {city}",
    "Nhật Bản cấp {n} tỷ yên vốn ODA cho dự án {project_vi} ở {city}",
    "日越、{city}で{sector_ja}協力の覚書{n}件に署名",
)
CITIES = ("Hanoi", "Da Nang", "Hai Phong", "Can Tho", "Osaka", "Fukuoka", "Hue", "Quang Ninh")
SECTORS = ("semiconductor", "energy", "agriculture", "healthcare", "logistics", "tourism")
SECTORS_VI = ("bán dẫn", "năng lượng", "nông nghiệp", "y tế", "logistics", "du lịch")
SECTORS_JA = ("半導体", "エネルギー", "農業", "医療", "物流", "観光")
PROJECTS = ("metro line", "ring road", "water plant", "seaport", "hospital")
PROJECTS_VI = ("tuyến metro", "đường vành đai", "nhà máy nước", "cảng biển", "bệnh viện")
MONTHS = ("March", "June", "September", "November")
VERSIONS = ("", " (update 1)", " (update 2)", " (update 3)", " (UPDATED)", " (update 4)")


@dataclass(frozen=True, slots=True)
class Article:
    item: PendingItem
    story: str


def pending(item_id: int, title: str, outlet: str, when: datetime, lang: str = "en") -> PendingItem:
    slug = outlet.lower().replace(" ", "-")
    return PendingItem(
        item_id=item_id,
        title=title,
        link=f"https://{slug}.example/news/{item_id}",
        canonical_link=None,
        feed_url=f"https://{slug}.example/rss",
        outlet=outlet,
        lang=lang,
        published=when,
        fetched_at=NOW,
        summary="Officials of the two countries met on Monday.",
        content="",
        matches=(RuleMatch(rule="vn-jp", score=2.0, terms=("Japan", "Vietnam")),),
    )


def templated_burst(rng: random.Random, size: int = 200) -> list[Article]:
    """`size` articles from one outlet, one template per topic, stories in several versions,
    plus 40 rewordings of the same stories by other outlets."""
    out: list[Article] = []
    stories: list[tuple[str, str]] = []  # (story id, headline)
    while len(out) < size:
        t = rng.randrange(len(TEMPLATES))
        i = rng.randrange(len(SECTORS))
        fill = {
            "n": rng.randint(2, 40),
            "city": rng.choice(CITIES),
            "sector": SECTORS[i],
            "sector_vi": SECTORS_VI[i],
            "sector_ja": SECTORS_JA[i],
            "project": rng.choice(PROJECTS),
            "project_vi": rng.choice(PROJECTS_VI),
            "month": rng.choice(MONTHS),
            "day": rng.randint(1, 28),
        }
        headline = TEMPLATES[t].format(**fill)
        story = f"{t}:{headline}"
        if any(s == story for s, _ in stories):
            continue
        stories.append((story, headline))
        lang = "ja" if "日越" in headline else "vi" if "Nhật" in headline else "en"
        for v in range(min(rng.randint(1, 6), size - len(out))):
            when = NOW - timedelta(minutes=rng.randint(0, 24 * 60))
            title = headline + VERSIONS[v]
            out.append(Article(pending(len(out) + 1, title, "State Wire", when, lang), story))
    for k in range(40):  # the same stories from other outlets, as aggregators and rivals run them
        story, headline = rng.choice(stories)
        outlet = ("Delta Wire", "River Post")[k % 2]
        title = f"{headline} - {outlet}" if k % 2 == 0 else headline.replace(", ", " and ", 1)
        when = NOW - timedelta(minutes=rng.randint(0, 24 * 60))
        out.append(Article(pending(len(out) + 1, title, outlet, when), story))
    return out


def eval_articles(folder: Path) -> list[Article]:
    """Every labelled item as a distinct story, all published at the same moment."""
    out: list[Article] = []
    for path in (folder / "dev-items.jsonl", folder / "real" / "items.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                item = pending(len(out) + 1, row["title"], row["feed"], NOW, row.get("lang", "en"))
                out.append(Article(item, row["id"]))
    return out


@dataclass(frozen=True, slots=True)
class Score:
    articles: int
    entries: int
    stories: int
    folded: int  # articles folded into another article's entry
    false_merges: int  # ... whose story is not the entry's story
    missed: int  # entries beyond one per story: a story shown more than once
    pairs: tuple[tuple[str, str], ...]  # (entry title, falsely folded title)

    @property
    def false_merge_rate(self) -> float:
        return self.false_merges / self.articles if self.articles else 0.0

    @property
    def missed_rate(self) -> float:
        repeated = self.articles - self.stories
        return self.missed / repeated if repeated else 0.0


def score(articles: Sequence[Article], digest: Digest) -> Score:
    story_of = {a.item.item_id: a.story for a in articles}
    title_of = {a.item.item_id: a.item.title for a in articles}
    false = 0
    pairs: list[tuple[str, str]] = []
    for e in digest.entries:
        for c in e.also:
            if story_of[c.item_id] != story_of[e.item_id]:
                false += 1
                pairs.append((title_of[e.item_id], title_of[c.item_id]))
    stories = len(set(story_of.values()))
    shown = {story_of[e.item_id] for e in digest.entries}
    assert sorted(digest.item_ids) == sorted(story_of), "every article is in the digest"
    return Score(
        articles=len(articles),
        entries=len(digest.entries),
        stories=stories,
        folded=sum(len(e.also) for e in digest.entries),
        false_merges=false,
        missed=len(digest.entries) - len(shown),
        pairs=tuple(pairs),
    )


def similar_title_only(a: build._Candidate, b: build._Candidate) -> bool:
    """The test as it was: Jaccard of title tokens within the window, nothing else."""
    la, lb = len(a.tokens), len(b.tokens)
    if la < 3 or lb < 3 or abs(a.when - b.when) > build.SAME_STORY_WINDOW:
        return False
    return build.similarity(a, b) >= build.TITLE_SIMILARITY


def prefix_by_words(cand: build._Candidate, df: Counter[str]) -> list[str]:
    """The index as it was: the rarest title tokens, numbers not taken into account."""
    ranked = sorted(cand.tokens, key=lambda t: (df[t], t))
    return ranked[: len(ranked) - math.ceil(build.TITLE_SIMILARITY * len(ranked)) + 1]


@contextmanager
def titles_only() -> Iterator[None]:
    """The collapsing as it was: near-identical titles, no number/name or same-desk check."""
    saved = build.has_similar_title, build._prefix
    build.has_similar_title, build._prefix = similar_title_only, prefix_by_words
    try:
        yield
    finally:
        build.has_similar_title, build._prefix = saved


def run(articles: Sequence[Article]) -> Score:
    digest = build.build_digest(
        destination=DEST,
        items=[a.item for a in articles],
        key="bench:1",
        period_start=NOW - timedelta(days=1),
        period_end=NOW,
    )
    return score(articles, digest)


def report(name: str, articles: Sequence[Article], *, show_pairs: int = 5) -> None:
    with titles_only():
        before = run(articles)
    after = run(articles)
    for label, s in (("titles only", before), ("with marks ", after)):
        print(
            f"{name:16} {label}: {s.articles} articles, {s.stories} stories -> {s.entries} entries; "
            f"false merges {s.false_merges} ({100 * s.false_merge_rate:.1f} % of articles), "
            f"same story left apart {s.missed} ({100 * s.missed_rate:.1f} % of repeats)"
        )
    for lead, folded in after.pairs[:show_pairs]:
        print(f"    merged: {lead!r} <- {folded!r}")


def main(argv: list[str]) -> None:
    burst = templated_burst(random.Random(13))
    report("templated burst", burst)
    folder = Path(argv[0]) if argv else Path(__file__).resolve().parents[2] / "shared" / "eval"
    if (folder / "dev-items.jsonl").is_file():
        report("eval items", eval_articles(folder), show_pairs=20)
    else:
        print(f"eval items: {folder} not found (pass the eval folder)")


if __name__ == "__main__":
    main(sys.argv[1:])
