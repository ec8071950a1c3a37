"""Parsing and matching in worker processes gives exactly what inline work gives."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.errors import ParseError
from bot.models import Document
from bot.parse import link_of, parse_feed
from bot.rules import load_rules
from bot.rules.items import match_items
from bot.workers import POOL_MIN_FEEDS, worker_pool_for

ROOT = Path(__file__).resolve().parent.parent
FEED = """<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>T</title>
<item><title>Vietnam and Japan agree on coast guard drills</title><link>/a</link><guid>1</guid></item>
<item><title>日越首脳が会談、半導体で協力</title><guid>2</guid></item>
<item><title>Gold prices rise</title><guid>3</guid></item>
</channel></rss>""".encode()


def test_small_cycles_work_inline() -> None:
    with worker_pool_for(POOL_MIN_FEEDS - 1) as workers:
        assert workers is None


async def test_worker_results_equal_inline_and_follow_a_rules_reload(tmp_path: Path) -> None:
    default = load_rules([ROOT / "rules"])
    inline = parse_feed(FEED, url="https://outlet.example/rss")
    with worker_pool_for(POOL_MIN_FEEDS, workers=2) as workers:
        assert workers is not None
        prepared = await workers.analyze(
            FEED, url="https://outlet.example/rss", headers={}, lang=None, ruleset=default
        )
        assert prepared.feed == inline
        assert prepared.matches == match_items(default, inline.items)
        assert [bool(m) for m in prepared.matches] == [True, True, False]
        # what the store needs comes back with it: canonical links, and each rule's terms once
        assert prepared.links == tuple(link_of(it) for it in inline.items)
        assert prepared.links[0] == "https://outlet.example/a"
        assert all(len(set(m.terms)) == len(m.terms) >= 1 for m in prepared.matches[0])

        # the daemon reloads its rules: the workers must use the new ones from the next job on
        narrow = tmp_path / "rules"
        narrow.mkdir()
        shutil.copy(ROOT / "tests" / "fixtures" / "simple-rules.yaml", narrow / "r.yaml")
        reloaded = load_rules([narrow])
        again = await workers.analyze(
            FEED, url="https://outlet.example/rss", headers={}, lang=None, ruleset=reloaded
        )
        # the simple rules know no 日越: the second item now matches nothing
        assert [[r.rule for r in m] for m in again.matches] == [["vn-jp"], [], []]

        with pytest.raises(ParseError, match="HTML page"):
            await workers.analyze(
                b"<html><body>hi</body></html>", url="https://o.example/", headers={},
                lang=None, ruleset=default,
            )  # fmt: skip


def test_a_pickled_ruleset_keeps_its_indexes_valid() -> None:
    """Compiled conditions (closures) do not pickle: the receiving process must compile every
    rule again, and match what the original matches."""
    import pickle

    default = load_rules([ROOT / "rules"])
    copy = pickle.loads(pickle.dumps(default))
    assert len(copy._tests) == len(copy.rules) == len(default.rules)
    parsed = parse_feed(FEED, url="https://outlet.example/rss").items
    docs = [Document(it.title, it.summary, it.content, it.lang) for it in parsed]
    assert [copy.match(d) for d in docs] == [default.match(d) for d in docs]
    assert any(copy.match(d) for d in docs)


def test_what_a_worker_sends_back_arrives_equal() -> None:
    """Analysed pickles as plain tuples (cheaper for the event loop to unpickle): nothing may be lost."""
    import pickle

    from bot.analysis import analysed

    feed = FEED.replace(
        b"<guid>1</guid>",
        b"<guid>1</guid><pubDate>Mon, 23 Nov 2026 08:00:00 GMT</pubDate><author>a@b.example (Reporter)</author>",
    )
    parsed = parse_feed(feed, url="https://outlet.example/rss")
    prepared = analysed(parsed, load_rules([ROOT / "rules"]))
    assert prepared.feed.items[0].published is not None and prepared.matches
    assert prepared.matches[0]
    assert pickle.loads(pickle.dumps(prepared, protocol=pickle.HIGHEST_PROTOCOL)) == prepared
    inline = analysed(parsed)  # matched on demand: nothing to send but the feed and its links
    assert pickle.loads(pickle.dumps(inline, protocol=pickle.HIGHEST_PROTOCOL)) == inline


async def test_a_pool_not_prestarted_starts_on_its_first_job() -> None:
    """A cycle of 304s must not pay for worker processes; the first body to parse starts them."""
    default = load_rules([ROOT / "rules"])
    with worker_pool_for(POOL_MIN_FEEDS, workers=2, ruleset=default, prestart=False) as workers:
        assert workers is not None and not workers.started
        prepared = await workers.analyze(
            FEED, url="https://outlet.example/rss", headers={}, lang=None, ruleset=default
        )
        assert workers.started
        inline = parse_feed(FEED, url="https://outlet.example/rss")
        assert prepared.feed == inline
        assert prepared.matches == match_items(default, inline.items)


FORK_SCRIPT = """
import asyncio, json, signal, sys, threading
from pathlib import Path
from bot.parse import parse_feed
from bot.rules import load_rules
from bot.rules.items import match_items
from bot.workers import POOL_MIN_FEEDS, worker_pool_for

async def main(ruleset, feed):
    # as in `newsbot once`: the pool starts inside the event loop, before any fetch
    with worker_pool_for(POOL_MIN_FEEDS, workers=2, ruleset=ruleset, fork=True) as pool:
        got = await pool.analyze(feed, url="https://o.example/rss", headers={},
                                         lang=None, ruleset=ruleset)
        files = sorted(p.name for p in pool._folder.iterdir())
        sigint = pool._executor.submit(signal.getsignal, signal.SIGINT).result()
    inline = parse_feed(feed, url="https://o.example/rss")
    return {
        "forked": pool.forked,
        "rules_files": files,
        "equal": got.feed == inline and got.matches == match_items(ruleset, inline.items),
        "sigint_default": sigint is signal.default_int_handler,
    }

if __name__ == "__main__":  # the fork server imports this module
    if sys.argv[3] == "threaded":  # another thread alive: forking would be unsafe
        threading.Thread(target=threading.Event().wait, daemon=True).start()
    rules, feed = load_rules([Path(sys.argv[1])]), Path(sys.argv[2]).read_bytes()
    print(json.dumps(asyncio.run(main(rules, feed))))
"""


@pytest.mark.parametrize("threads", ["single", "threaded"])
def test_a_single_threaded_process_forks_its_workers_with_the_rules_in_memory(
    tmp_path: Path, threads: str
) -> None:
    """`once` forks its workers (no start-up CPU, no ruleset file); with another thread alive the
    fork server is used instead. Either way the results equal inline work. A fresh interpreter:
    the test process has threads of its own."""
    feed = tmp_path / "feed.xml"
    feed.write_bytes(FEED)
    script = tmp_path / "fork.py"
    script.write_text(FORK_SCRIPT)
    out = subprocess.run(
        [sys.executable, str(script), str(ROOT / "rules"), str(feed), threads],
        capture_output=True, text=True, timeout=120, check=True, cwd=ROOT,
    )  # fmt: skip
    report = json.loads(out.stdout)
    assert report["equal"] is True
    if threads == "single":
        assert report["forked"] is True
        assert report["rules_files"] == []  # the children inherited the ruleset
        # asyncio's signal handling is not inherited: Ctrl-C stops a worker as it would any process
        assert report["sigint_default"] is True
    else:
        assert report["forked"] is False
        assert report["rules_files"] == ["rules-1.pickle"]
