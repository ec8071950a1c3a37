"""Parse *and match* feeds in worker processes, so a large cycle uses every core.

feedparser and the rules engine are pure Python: on the event loop they cap a cycle at one core,
and with the default rules matching costs about as much CPU as parsing. A worker therefore parses a
feed and matches all its items; the event loop keeps fetching and storing.

The ruleset is 1.3 MB pickled, too much to send with every job. It is published once per version to
a file in a private temporary folder, and a worker loads it when a job names a version it does not
hold yet. Handing the pool a different RuleSet object (the daemon reloaded its rules) publishes the
new version; jobs already queued keep the version they were given.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import pickle
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ParseError
from bot.models import Document, Item, ParsedFeed, RuleResult
from bot.parse import parse_feed
from bot.rules import RuleSet

#: below this many feeds, starting worker processes (~0.3 s) costs more than working inline
POOL_MIN_FEEDS = 50

Matches = tuple[tuple[RuleResult, ...], ...]  # per item of a ParsedFeed, in order


def document(item: Item) -> Document:
    return Document(title=item.title, summary=item.summary, content=item.content, lang=item.lang)


def match_items(ruleset: RuleSet, items: tuple[Item, ...]) -> Matches:
    return tuple(tuple(ruleset.match(document(it))) for it in items)


class WorkerPool:
    """A process pool plus the published ruleset versions its workers load from."""

    def __init__(self, executor: ProcessPoolExecutor, folder: Path) -> None:
        self._executor = executor
        self._folder = folder
        self._published: tuple[RuleSet, Path] | None = None
        self._version = 0

    def _rules_file(self, ruleset: RuleSet) -> Path:
        if self._published is None or self._published[0] is not ruleset:
            self._version += 1
            path = self._folder / f"rules-{self._version}.pickle"
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(pickle.dumps(ruleset, protocol=pickle.HIGHEST_PROTOCOL))
            tmp.replace(path)  # a worker never sees half a file
            self._published = (ruleset, path)
        return self._published[1]

    async def parse_and_match(
        self,
        body: bytes,
        *,
        url: str,
        headers: Mapping[str, str],
        lang: str | None,
        ruleset: RuleSet,
    ) -> tuple[ParsedFeed, Matches]:
        job = functools.partial(
            _job,
            body,
            url=url,
            headers=dict(headers),
            lang=lang,
            rules=str(self._rules_file(ruleset)),
        )
        result = await asyncio.get_running_loop().run_in_executor(self._executor, job)
        if isinstance(result, _Failed):
            raise ParseError(result.message, url=result.url, status=result.status)
        return result


@contextmanager
def worker_pool_for(feeds: int, *, workers: int | None = None) -> Iterator[WorkerPool | None]:
    """A WorkerPool when the cycle is big enough to repay starting one, else None (work inline)."""
    cores = workers or os.cpu_count() or 1
    if feeds < POOL_MIN_FEEDS or cores < 2:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="newsbot-rules-"))
    # forkserver: workers start from a fresh interpreter, not a fork of the threaded bot process
    executor = ProcessPoolExecutor(
        max_workers=cores, mp_context=multiprocessing.get_context("forkserver")
    )
    try:
        with executor:
            yield WorkerPool(executor, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# ---------------------------------------------------------------------------- in the worker


@dataclass(frozen=True, slots=True)
class _Failed:
    """A ParseError on its way back (exceptions with keyword-only arguments do not pickle)."""

    message: str
    url: str
    status: int | None


class _Loaded:
    """The one ruleset version this worker process holds (state of the worker, not of newsbot)."""

    path: str | None = None
    ruleset: RuleSet | None = None

    @classmethod
    def get(cls, path: str) -> RuleSet:
        if cls.path != path or cls.ruleset is None:
            cls.ruleset = pickle.loads(Path(path).read_bytes())
            cls.path = path
        return cls.ruleset


def _job(
    body: bytes, *, url: str, headers: dict[str, str], lang: str | None, rules: str
) -> tuple[ParsedFeed, Matches] | _Failed:
    try:
        parsed = parse_feed(body, url=url, headers=headers, lang=lang)
    except ParseError as exc:
        return _Failed(str(exc), exc.url, exc.status)
    return parsed, match_items(_Loaded.get(rules), parsed.items)
