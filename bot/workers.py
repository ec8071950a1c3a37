"""Parse *and match* feeds in worker processes, so a large cycle uses every core: the pool
implementation of `bot.analysis.Analyzer` (`WorkerPool.analyze`).

feedparser and the rules engine are pure Python: on the event loop they cap a cycle at one core,
and with the default rules matching costs about as much CPU as parsing. A worker therefore parses a
feed and matches all its items; the event loop keeps fetching and storing.

The ruleset is about 1 MB pickled, too much to send with every job. It is published once per
version to a file in a private temporary folder, and a worker loads it when a job names a version it
does not hold yet. Handing the pool a different RuleSet object (the daemon reloaded its rules)
publishes the new version; jobs already queued keep the version they were given.

How workers start. `newsbot once` is single-threaded when its pool starts, and there the workers are
forked from it: they inherit the imported modules and the loaded ruleset, and cost no start-up CPU.
Anywhere else (the daemon, or a process with other threads, where a lock held by another thread at
fork time would stay held in the child) they come from a fork server: a fresh interpreter that
imports this module once, forks each worker, and each worker loads the ruleset from its file.
"""

from __future__ import annotations

import asyncio
import functools
import multiprocessing
import os
import pickle
import shutil
import signal
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.analysis import Analysed, analysed
from bot.errors import ParseError
from bot.log import get_logger, kv
from bot.parse import parse_feed
from bot.rules import RuleSet

log = get_logger("workers")

#: below this many feeds, starting worker processes (~0.3 s) costs more than working inline
POOL_MIN_FEEDS = 50


class WorkerPool:
    """A process pool plus the published ruleset versions its workers load from."""

    def __init__(
        self,
        make_executor: Callable[[], ProcessPoolExecutor],
        folder: Path,
        *,
        workers: int,
        ruleset: RuleSet | None = None,
        forked: bool = False,
    ) -> None:
        # made by start(): an executor, even unused, costs a cycle of 304s CPU
        # (its queues and locks, and the resource tracker process they start)
        self._make_executor = make_executor
        self._executor: ProcessPoolExecutor | None = None
        self._folder = folder
        self._workers = workers
        self._first = ruleset  # published by start(), before any worker exists to load it
        self._published: tuple[RuleSet, Path] | None = None
        self._version = 0
        self._forked = forked
        if forked and ruleset is not None:
            # forked workers inherit version 1 in memory (see _forked): no file to write or read
            self._version = 1
            self._published = (ruleset, _rules_path(folder, 1))
        self._starting: threading.Thread | None = None  # the spawning thread, fork server only
        self._started: asyncio.Future[None] | None = None

    def start(self) -> ProcessPoolExecutor:
        """Start every worker now. Forked: on this thread, in milliseconds (a thread of our own
        would make the fork unsafe). Else from a thread: spawning waits on the fork server's
        start-up (~0.3 s), which the event loop spends fetching instead."""
        if self._executor is not None:
            return self._executor
        executor = self._executor = self._make_executor()
        if self._forked:
            executor.submit(_warm, None)  # a fork executor starts all its workers at once
            return executor

        def spawn() -> None:
            if self._first is not None:
                self.publish(self._first)
            # the executor spawns a process per job while none is idle: these start them all
            for _ in range(self._workers):
                executor.submit(_warm, None)

        self._starting = threading.Thread(target=spawn, name="newsbot-workers-start", daemon=True)
        self._starting.start()
        return executor

    @property
    def started(self) -> bool:
        """The executor exists and its workers are starting or up (a cycle of 304s has none)."""
        return self._executor is not None

    @property
    def forked(self) -> bool:
        """The workers are forks of this process (else children of a fork server)."""
        return self._forked

    def join(self) -> None:
        if self._starting is not None:
            self._starting.join()

    def shutdown(self) -> None:
        """Wait for the start-up, then for the workers to finish their jobs and exit."""
        self.join()  # before the executor shuts down under it
        if self._executor is not None:
            self._executor.shutdown(wait=True)

    async def _ready(self) -> ProcessPoolExecutor:
        """Started (now, if nobody asked before), without blocking the event loop on a spawn."""
        executor = self.start()
        if self._starting is None:
            return executor  # forked: up since start()
        if self._started is None:
            self._started = asyncio.get_running_loop().run_in_executor(None, self.join)
        await asyncio.shield(self._started)
        return executor

    def publish(self, ruleset: RuleSet) -> Path:
        if self._published is None or self._published[0] is not ruleset:
            self._version += 1
            path = _write_rules(_rules_path(self._folder, self._version), ruleset)
            self._published = (ruleset, path)
        return self._published[1]

    async def analyze(
        self,
        body: bytes,
        *,
        url: str,
        headers: Mapping[str, str],
        lang: str | None,
        ruleset: RuleSet,
    ) -> Analysed:
        """`bot.analysis.Analyzer`: parse and match every item in a worker."""
        executor = await self._ready()
        job = functools.partial(
            _job,
            body,
            url=url,
            headers=dict(headers),
            lang=lang,
            rules=str(self.publish(ruleset)),
        )
        result = await asyncio.get_running_loop().run_in_executor(executor, job)
        if isinstance(result, _Failed):
            raise ParseError(result.message, url=result.url, status=result.status)
        return result


@contextmanager
def worker_pool_for(
    feeds: int,
    *,
    workers: int | None = None,
    ruleset: RuleSet | None = None,
    prestart: bool = True,
    fork: bool = False,
) -> Iterator[WorkerPool | None]:
    """A WorkerPool when the cycle is big enough to repay starting one, else None (work inline).

    `prestart`: start the workers, and load `ruleset` in each, while the first fetches are still on
    the network (started on the first job instead, they cost the cycle ~0.5 s before the first
    result). Without it, the first body to parse starts them: a cycle of 304s starts none.
    `fork`: with `prestart`, fork the workers from this process if it is safe (`can_fork`).
    """
    cores = workers or os.cpu_count() or 1
    if feeds < POOL_MIN_FEEDS or cores < 2:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="newsbot-rules-"))
    forked = fork and prestart and can_fork()
    log.debug(kv("workers", processes=cores, start="fork" if forked else "forkserver"))
    make = functools.partial(_forking if forked else _fork_server, folder, cores, ruleset)
    pool = WorkerPool(make, folder, workers=cores, ruleset=ruleset, forked=forked)
    try:
        if prestart:
            pool.start()
        yield pool
    finally:
        pool.shutdown()
        shutil.rmtree(folder, ignore_errors=True)


def can_fork() -> bool:
    """fork() copies only the calling thread: a lock that another thread held at that moment stays
    held in the child forever. A process with one thread, on Linux, can fork safely. Threads are
    counted by the kernel, so those started by C code count too."""
    if sys.platform != "linux":
        return False
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


def _forking(folder: Path, cores: int, ruleset: RuleSet | None) -> ProcessPoolExecutor:
    # a fork executor hands initargs to its children in memory: the ruleset is not pickled
    return ProcessPoolExecutor(
        max_workers=cores,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_forked,
        initargs=(_first_rules(folder, ruleset), ruleset),
    )


def _fork_server(folder: Path, cores: int, ruleset: RuleSet | None) -> ProcessPoolExecutor:
    # a fresh interpreter, not a fork of the threaded bot process; the server imports this module
    # once, so each worker forks with it loaded (~0.2 s each)
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return ProcessPoolExecutor(
        max_workers=cores,
        mp_context=context,
        initializer=_warm,
        initargs=(_first_rules(folder, ruleset),),  # written by start()
    )


def _first_rules(folder: Path, ruleset: RuleSet | None) -> str | None:
    """Where version 1, the ruleset the pool was made with, is published (if it was given one)."""
    return str(_rules_path(folder, 1)) if ruleset is not None else None


def _rules_path(folder: Path, version: int) -> Path:
    return folder / f"rules-{version}.pickle"


def _write_rules(path: Path, ruleset: RuleSet) -> Path:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(pickle.dumps(ruleset, protocol=pickle.HIGHEST_PROTOCOL))
    tmp.replace(path)  # a worker never sees half a file
    return path


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


def _warm(rules: str | None) -> None:
    if rules is not None:
        _Loaded.get(rules)


def _forked(rules: str | None, ruleset: RuleSet | None) -> None:
    """A forked worker's first act: hold the inherited ruleset, and drop the parent's signal
    handling (asyncio's handlers would ignore Ctrl-C here and wake the parent's event loop)."""
    signal.set_wakeup_fd(-1)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if rules is not None and ruleset is not None:
        _Loaded.path, _Loaded.ruleset = rules, ruleset


def _job(
    body: bytes, *, url: str, headers: dict[str, str], lang: str | None, rules: str
) -> Analysed | _Failed:
    try:
        parsed = parse_feed(body, url=url, headers=headers, lang=lang)
    except ParseError as exc:
        return _Failed(str(exc), exc.url, exc.status)
    return analysed(parsed, _Loaded.get(rules))
