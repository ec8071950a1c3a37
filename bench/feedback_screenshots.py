"""Regenerate the feedback pages' screenshots in docs/ (phone 390 px and desktop 1280 px wide).

    .venv/bin/python bench/feedback_screenshots.py [OUT_DIR]    # default: docs/

Everything runs on 127.0.0.1: a local feed and Slack receiver (tests/feedback_helpers.py), one
`newsbot once`, the feedback service in this process, Debian's chromium through Playwright. The
"missed" page fetches a local article, so only here the SSRF guard lets 127.0.0.1 through.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

import pytest
from playwright.async_api import async_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bot  # noqa: E402
from bot.feedback.links import feedback_url  # noqa: E402
from bot.feedback.web import FeedbackService, bound_port, start_service  # noqa: E402
from bot.fetch import Fetcher  # noqa: E402
from bot.rules import load_rules  # noqa: E402
from bot.store import Store  # noqa: E402
from tests.browser import CHROMIUM, FLAGS  # noqa: E402
from tests.feedback_helpers import stored_state  # noqa: E402
from tests.servers import FeedServer, running  # noqa: E402

ARTICLE = """<!doctype html><html lang="en"><head><title>Vietnam and Japan open a joint
semiconductor training lab in Hanoi</title></head><body><article><h1>Vietnam and Japan open a joint
semiconductor training lab in Hanoi</h1><p>Engineers from Vietnam and Japan will train together at
the new lab, which opens next spring with support from both governments.</p></article></body></html>"""

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


async def shoot(out: Path, s: object, state: Path, rules: Path) -> None:
    from tests.feedback_helpers import Stored

    assert isinstance(s, Stored)
    config = s.config().feedback
    assert config is not None
    ruleset = load_rules([rules])
    site = FeedServer()
    article = site.serve("/lab.html", ARTICLE, ctype="text/html; charset=utf-8")
    with running(site), Store(state) as store:
        async with Fetcher(settings=s.config().fetch, user_agent=bot.USER_AGENT,
                           address_policy=lambda ip: True) as fetcher:  # fmt: skip
            svc = FeedbackService(
                config=config, store=store, rules=lambda: ruleset, fetcher=fetcher
            )
            runner = await start_service(svc)
            base = f"http://127.0.0.1:{bound_port(runner)}"

            def url(title: str, verdict: str) -> str:
                item = s.item_id(title)
                link = feedback_url(config, item_id=item, destination="desk-slack", verdict=verdict)  # type: ignore[arg-type]
                return link.replace(config.base_url, base)

            karaoke = url("Vietnam and Japan fans crowd a karaoke contest in Osaka", "not_relevant")
            labour = url("Nhật Bản và Việt Nam ký thỏa thuận lao động", "relevant")
            missed = feedback_url(config, item_id=0, destination="desk-slack", verdict="missed")
            missed = missed.replace(config.base_url, base)
            async with async_playwright() as p:
                browser = await p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
                for name, size in (("phone", PHONE), ("desktop", DESKTOP)):
                    page = await browser.new_page(viewport=size)  # type: ignore[arg-type]
                    await page.goto(karaoke)
                    await page.fill("#note", "A karaoke night, not diplomacy.")
                    await page.screenshot(path=out / f"feedback-vote-{name}.png", full_page=True)
                    await page.goto(missed)
                    await page.fill("#url", article)
                    if name == "phone":
                        await page.screenshot(path=out / "feedback-missed-form-phone.png")
                    await page.click("#check")
                    await page.wait_for_selector(".ok")
                    await page.screenshot(path=out / f"feedback-missed-{name}.png", full_page=True)
                page = await browser.new_page(viewport=PHONE)  # type: ignore[arg-type]
                await page.goto(labour)
                await page.click("#confirm")
                await page.wait_for_selector(".ok")
                await page.screenshot(path=out / "feedback-thanks-vi-phone.png", full_page=True)
                await browser.close()
            await runner.cleanup()


def main() -> int:
    out = Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else ROOT / "docs"
    if CHROMIUM is None:
        print("chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    mp = pytest.MonkeyPatch()
    try:
        with tempfile.TemporaryDirectory() as tmp, stored_state(Path(tmp), mp) as s:
            with Store(s.state) as store:  # as a Vietnamese feed (`lang = "vi"`) would store it
                store.db.execute("UPDATE items SET lang = 'vi' WHERE title LIKE 'Nhật%'")
            asyncio.run(shoot(out, s, s.state, s.rules))
    finally:
        mp.undo()
    for png in sorted(out.glob("feedback-*.png")):
        print(png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
