"""Render the sample email digest (docs/digests.md) to HTML and screenshot it in headless Chromium.

    .venv/bin/python bench/email_preview.py [OUT.png] [--width 720] [--height 1500] [--locale vi]

Writes OUT.html beside OUT.png (default docs/digest-email.png, or docs/digest-email-LOCALE.png with
--locale: the digest in that language; Japanese needs a CJK font, apt-get install fonts-noto-cjk). Needs Debian's `chromium`
(`apt-get install chromium`). The texts are invented; nothing leaves the machine
(--disable-background-networking, a file:// page with no remote resources).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.config import ConsoleOptions, DestinationConfig
from bot.digest import build_digest
from bot.digest.render import render_html
from bot.i18n import LOCALES, load_translator
from bot.models import Digest, FeedHealth, PendingItem, RuleMatch
from bot.rules import load_rules, rule_titles

END = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
#: where each language's desk sits: its digests are in its zone (the footer names it as the desk does)
DESK_ZONES = {
    "en": "Asia/Ho_Chi_Minh",
    "vi": "Asia/Ho_Chi_Minh",
    "ja": "Asia/Tokyo",
    "id": "Asia/Jakarta",
}
#: the default rules' titles in every language, read from the shipped rule files
TITLES = rule_titles(load_rules([Path(__file__).resolve().parents[1] / "rules"]))


def sample_item(
    n: int, title: str, outlet: str, rule: str, summary: str, hours: float, lang: str = "en"
) -> PendingItem:
    slug = outlet.lower().replace(" ", "")
    return PendingItem(
        item_id=n, title=title, link=f"https://{slug}.example/news/{n}", canonical_link=None,
        feed_url=f"https://{slug}.example/rss", outlet=outlet, lang=lang,
        published=END - timedelta(hours=hours), fetched_at=END - timedelta(hours=hours),
        summary=summary, content="",
        matches=(RuleMatch(rule=rule, score=4.0 - n / 100, terms=("ODA", "JICA", "lao động",
                                                                  "Nhật Bản", "半導体", "日本", "ベトナム")),),
    )  # fmt: skip


def sample(locale: str = "en") -> Digest:
    loan = "Japan to fund second Ho Chi Minh City metro line with new yen loan"
    items = [
        sample_item(101, loan, "Harbour Courier", "vn-jp-aid",
                    "The Japanese government will extend an ODA loan of 90 billion yen through "
                    "JICA for the metro line, officials said on Sunday.", 3),
        sample_item(102, f"{loan} - Delta Wire", "Delta Wire", "vn-jp-aid", "Metro loan.", 4),
        sample_item(105, f"{loan} (update 2)", "Harbour Courier", "vn-jp-aid", "Update.", 2),
        sample_item(104, "日越首脳が電話会談 半導体供給網で協力", "Tokyo Asia Wire",
                    "vn-jp-economy", "日本とベトナムの首脳は電話で会談し、半導体のサプライチェーン"
                    "強化で協力することを確認した。", 12, "ja"),
        sample_item(103, "Việt Nam và Nhật Bản mở rộng hợp tác đào tạo điều dưỡng",
                    "Song Hong Daily", "vn-jp-people", "Người lao động Việt Nam sang Nhật Bản sẽ "
                    "được học tiếng Nhật miễn phí trước khi xuất cảnh.", 9, "vi"),
    ]  # fmt: skip
    health = FeedHealth(url="https://riverpost.example/rss", name="River Post",
                        last_success=END - timedelta(days=2), consecutive_failures=6,
                        last_error="fetch: 503 Service Unavailable for https://riverpost.example/rss")  # fmt: skip
    dest = DestinationConfig(name="desk-mail", type="console", options=ConsoleOptions(),
                             timezone=DESK_ZONES[locale], locale=locale)  # fmt: skip
    return build_digest(destination=dest, items=items, key="desk-mail:2026-11-23T01:00:00+00:00",
                        period_start=END - timedelta(days=1), period_end=END, health=(health,),
                        titles=TITLES)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", nargs="?", type=Path)
    ap.add_argument("--width", type=int, default=720)
    ap.add_argument("--height", type=int, default=1500)
    ap.add_argument("--locale", choices=LOCALES, default="en")
    args = ap.parse_args()
    if args.out is None:
        suffix = "" if args.locale == "en" else f"-{args.locale}"
        args.out = Path(f"docs/digest-email{suffix}.png")
    html = args.out.with_suffix(".html")
    digest = sample(args.locale)
    html.write_text(render_html(digest, load_translator(args.locale)), encoding="utf-8")
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit(
            f"email_preview: wrote {html}; no chromium to screenshot it (apt-get install chromium)"
        )
    subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--no-first-run", "--hide-scrollbars", f"--window-size={args.width},{args.height}",
         f"--screenshot={args.out.resolve()}", html.resolve().as_uri()],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    print(f"wrote {html} and {args.out}")


if __name__ == "__main__":
    main()
