"""`newsbot feeds discover URL` and `newsbot feeds check URL`: find and try feeds before configuring them.

Neither needs a config file; when one is found (or given) its [fetch] settings are used.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from bot.config import FetchConfig
    from bot.fetch.discover import FoundFeed
    from bot.models import FetchResult, ParsedFeed

NEWEST = 5


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "feeds",
        help="discover the feeds a site advertises, or check one feed",
        description="Find RSS/Atom feeds on a site, or fetch and parse one feed to see what newsbot sees.",
    )
    cmds = p.add_subparsers(dest="feeds_command", metavar="ACTION", required=True)
    d = cmds.add_parser(
        "discover",
        help="list the feeds a web site advertises, as [[feeds]] entries ready to paste",
        description=(
            "Fetch URL; if it is a feed, print it; else print the feeds the page advertises "
            '(<link rel="alternate">), else try common paths (/feed, /rss.xml, ...). '
            "Output is TOML ready to paste into the config."
        ),
    )
    d.add_argument("url", metavar="URL", help="a site's home page (or any page of it)")
    d.set_defaults(func=run_discover)
    c = cmds.add_parser(
        "check",
        help="fetch and parse one feed: title, item count, newest items, any problem",
        description=(
            "Fetch and parse one feed exactly as a poll cycle would, and show its title, how many "
            "items it has, the newest ones and any problem (redirects, malformed XML, HTML page "
            "instead of a feed). Exit 1 if the feed cannot be fetched or parsed."
        ),
    )
    c.add_argument("url", metavar="URL", help="the feed URL")
    c.add_argument("--lang", help="language to assume for the items (as `lang` in [[feeds]])")
    c.set_defaults(func=run_check)


def run_discover(args: argparse.Namespace) -> int:
    found = asyncio.run(_discover(args.url, _fetch_settings(args)))
    if not found:
        print(f"newsbot: no feed found at {args.url}", file=sys.stderr)
        return 1
    print_found(found, site=args.url, out=sys.stdout)
    return 0


def run_check(args: argparse.Namespace) -> int:
    result, parsed = asyncio.run(_check(args.url, _fetch_settings(args), lang=args.lang))
    print_check(result, parsed, out=sys.stdout)
    return 0


# ---------------------------------------------------------------------------- work


async def _discover(url: str, settings: FetchConfig) -> list[FoundFeed]:
    import bot
    from bot.fetch import Fetcher
    from bot.fetch.discover import discover_feeds

    async with Fetcher(settings=settings, user_agent=bot.USER_AGENT) as fetcher:
        return await discover_feeds(fetcher, url)


async def _check(
    url: str, settings: FetchConfig, *, lang: str | None
) -> tuple[FetchResult, ParsedFeed]:
    import bot
    from bot.fetch import Fetcher
    from bot.parse import parse_feed

    async with Fetcher(settings=settings, user_agent=bot.USER_AGENT) as fetcher:
        result = await fetcher.fetch(url)
    parsed = parse_feed(result.body or b"", url=result.final_url, headers=result.headers, lang=lang)
    return result, parsed


def _fetch_settings(args: argparse.Namespace) -> FetchConfig:
    """The config's [fetch] table if a config is named or present, else the defaults."""
    from bot.cli.common import optional_config
    from bot.config import FetchConfig

    config = optional_config(args)
    return config.fetch if config else FetchConfig()


# ---------------------------------------------------------------------------- output


def print_found(found: list[FoundFeed], *, site: str, out: TextIO) -> None:
    print(f"# {len(found)} feed(s) for {site}", file=out)
    for feed in found:
        print(file=out)
        print(f"# {feed.source}", file=out)
        print("[[feeds]]", file=out)
        print(f"url = {_toml_string(feed.url)}", file=out)
        if feed.title:
            print(f"name = {_toml_string(feed.title)}", file=out)


def print_check(result: FetchResult, parsed: ParsedFeed, *, out: TextIO) -> None:
    size = len(result.body or b"")
    print(f"feed:   {result.url}", file=out)
    if result.final_url != result.url:
        kind = "moved permanently" if result.permanent_redirect else "redirected"
        print(f"        {kind} to {result.final_url}", file=out)
        if result.permanent_redirect:
            print(
                f"        update the config: url = {_toml_string(result.permanent_redirect)}",
                file=out,
            )
    print(f"status: {result.status}, {size:,} bytes, {result.elapsed:.2f}s", file=out)
    from bot.parse.feed import outlet_name

    print(f"title:  {parsed.title or '(none)'}", file=out)
    shown = outlet_name(parsed.title)
    if shown:
        print(f"shown:  {shown} (in digests and status, unless the config sets a name)", file=out)
    print(f"items:  {len(parsed.items)}", file=out)
    dated = sorted(parsed.items, key=lambda i: (i.published is not None, i.published), reverse=True)
    for item in dated[:NEWEST]:
        when = item.published.strftime("%Y-%m-%d %H:%M") if item.published else "(no date)       "
        print(f"  {when}  {item.title or '(no title)'}", file=out)
        if item.link:
            print(f"                    {item.link}", file=out)
    if parsed.error:
        print(f"problem: {parsed.error}", file=out)


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
