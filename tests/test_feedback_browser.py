"""Done-when of the readers' feedback loop, end to end over loopback, the way readers meet it:

`newsbot run` (with [feedback]) delivers a digest to the Slack receiver; its links are followed in
headless Chromium; the confirm button records the vote; a tampered link gets 403; `rules review
--json` lists the vote; `--apply` writes it into the rule file's examples and `rules test` passes.
"""

from __future__ import annotations

import json
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import chromium, needs_chromium
from tests.feedback_helpers import Stored, stored_state

KARAOKE = "Vietnam and Japan fans crowd a karaoke contest in Osaka"
COAST = "Japan and Vietnam sign coast guard patrol deal"
DEADLINE = 20.0


def wait_for(what: str, pred: Callable[[], Any]) -> Any:
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        value = pred()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def entry_links(payloads: list[dict[str, Any]], title: str) -> dict[str, str]:
    """The feedback links of the Slack section that shows `title`: label -> URL."""
    for p in payloads:
        for block in p["blocks"]:
            text = block.get("text", {}).get("text", "")
            if title in text:
                return {label: url for url, label in re.findall(r"<([^|>]+)\|([^>]+)>", text)}
    return {}


def healthy(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def newsbot(s: Stored, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "bot", "--config", str(s.cfg), *argv],
                          env=s.environ, capture_output=True, text=True, check=False)  # fmt: skip


@needs_chromium
def test_reader_votes_from_slack_and_the_editor_applies_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with stored_state(tmp_path, monkeypatch, run_once=False) as s:
        base = f"http://127.0.0.1:{s.port}"
        with (tmp_path / "daemon.log").open("wb") as log:
            daemon = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(s.cfg), "run"],
                                      env=s.environ, stdout=subprocess.DEVNULL, stderr=log)  # fmt: skip
        try:
            links = wait_for(
                "a digest with feedback links", lambda: entry_links(s.slack.payloads, KARAOKE)
            )
            wait_for("the feedback service", lambda: healthy(base))
            assert set(links) >= {"Relevant", "Not relevant"}
            assert links[KARAOKE] == "https://news.example/karaoke"  # the article, then the votes
            assert all(
                links[v].startswith(f"{base}/feedback/") for v in ("Relevant", "Not relevant")
            )
            assert f"{base}/missed/" in json.dumps(s.slack.payloads)
            with chromium() as browser:
                page = browser.new_page(viewport={"width": 390, "height": 844})
                response = page.goto(links["Not relevant"])
                assert response is not None and response.status == 200
                assert page.locator("h2").inner_text().strip() == KARAOKE
                assert "vn-jp" in page.content()
                assert s.feedback_rows() == []  # opening the page records nothing
                page.fill("#note", "a karaoke night, not diplomacy")
                page.click("#confirm")
                page.wait_for_selector(".ok")
                assert "Thank you" in page.locator(".ok").inner_text()
                assert s.feedback_rows() == [("not_relevant", "desk-slack", s.item_id(KARAOKE),
                                              "a karaoke night, not diplomacy")]  # fmt: skip

                relevant = entry_links(s.slack.payloads, COAST)["Relevant"]
                page.goto(relevant)
                page.click("#confirm")
                page.wait_for_selector(".ok")

                token = links["Not relevant"].rsplit("/", 1)[1]
                tampered = links["Not relevant"].replace(
                    token, token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
                )
                response = page.goto(tampered)
                assert response is not None and response.status == 403
                assert page.locator("#confirm").count() == 0
        finally:
            daemon.send_signal(signal.SIGTERM)
            assert daemon.wait(timeout=15) == 0, (tmp_path / "daemon.log").read_text()
        assert len(s.feedback_rows()) == 2

        out = newsbot(s, "rules", "review", "--json")
        assert out.returncode == 0, out.stderr
        (rule,) = json.loads(out.stdout)["rules"]
        voted = {i["title"]: i for i in rule["items"]}
        assert rule["rule"] == "vn-jp" and voted[KARAOKE]["verdict"] == "not_relevant"
        assert voted[KARAOKE]["notes"] == ["a karaoke night, not diplomacy"]
        assert voted[COAST]["verdict"] == "relevant"
        assert "karaoke" in {c["term"] for c in rule["candidates"]}

        # the editor takes the suggested none: term, then applies the votes
        rules = s.rules.read_text(encoding="utf-8")
        s.rules.write_text(
            rules.replace("none: [football]", "none: [football, karaoke]"), encoding="utf-8"
        )
        out = newsbot(s, "rules", "review", "--apply")
        assert out.returncode == 0, out.stderr
        assert f"wrote no_match example to vn-jp ({s.rules}): {KARAOKE}" in out.stdout
        assert f"wrote match example to vn-jp ({s.rules}): {COAST}" in out.stdout
        test = newsbot(s, "rules", "test")
        assert (
            test.returncode == 0 and "4 examples (" in test.stdout and "), 0 failed" in test.stdout
        ), test.stdout
        status = newsbot(s, "status")
        assert "feedback (last 7 days): 1 relevant, 1 not relevant, 0 missed" in status.stdout


def test_feedback_serve_alone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with stored_state(tmp_path, monkeypatch) as s:
        base = f"http://127.0.0.1:{s.port}"
        links = entry_links(s.slack.payloads, COAST)
        proc = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(s.cfg), "feedback", "serve"],
                                env=s.environ, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        try:
            wait_for("the feedback service", lambda: healthy(base))
            assert httpx.post(links["Relevant"]).status_code == 303
            assert httpx.get(links["Relevant"][:-3] + "xyz").status_code == 403
        finally:
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=10) == 0
        assert s.feedback_rows() == [("relevant", "desk-slack", s.item_id(COAST), "")]
        with sqlite3.connect(s.state) as db:
            assert (
                db.execute("SELECT link FROM feedback").fetchone()[0]
                == "https://news.example/coast-guard"
            )
