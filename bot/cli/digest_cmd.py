"""`newsbot digest preview|send --destination NAME`: look at the next digest, or send it now."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from bot.cli.common import config_from_args, open_store
from bot.i18n import LOCALES, load_translator

if TYPE_CHECKING:
    from bot.config import Config
    from bot.i18n import Translator
    from bot.models import Digest
    from bot.store import Store

FORMATS = ("text", "html", "slack-json", "json")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "digest",
        help="preview the next digest of a destination, or send it now",
        description=(
            "Work with a destination's next digest: `preview` renders it without sending or "
            "marking anything; `send` sends it now (a failed send is retried by the service as "
            "usual)."
        ),
    )
    actions = p.add_subparsers(dest="digest_action", metavar="ACTION", required=True)
    preview = actions.add_parser(
        "preview",
        help="render the next digest to stdout; sends nothing, marks nothing",
        description=(
            "Render the digest the destination would receive next (a due retry, else its pending "
            "items) to stdout. Nothing is sent and the state file is not changed."
        ),
    )
    _destination_option(preview)
    preview.add_argument(
        "--format",
        "-f",
        choices=FORMATS,
        default="text",
        help="text (default), html (the email body), slack-json (Block Kit payloads), json",
    )
    preview.add_argument(
        "--locale",
        choices=LOCALES,
        help="render in this language instead of the destination's `locale`",
    )
    preview.set_defaults(func=run_preview)
    send = actions.add_parser(
        "send",
        help="send the destination its pending digest now",
        description=(
            "Compose and send the destination's pending digest now, ignoring the retry backoff. "
            "Items are marked delivered only when the channel accepted it. Exit 1 if it failed."
        ),
    )
    _destination_option(send)
    send.set_defaults(func=run_send)


def _destination_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--destination", "-d", required=True, metavar="NAME", help="a [[destinations]] name"
    )


def next_digest(config: Config, store: Store, name: str, *, locale: str | None = None) -> Digest:
    """What `send` would deliver next, built without writing to the store (in `locale`, when
    given, instead of the destination's)."""
    from bot.deliver import preview
    from bot.models import utcnow
    from bot.rules import load_rules, rule_titles

    destination = config.destination(name)
    if locale is not None:
        destination = replace(destination, locale=locale)
    ruleset = load_rules(list(config.rules.paths))
    return preview(destination, store=store, now=utcnow(), highlight=ruleset.highlight,
                   titles=rule_titles(ruleset))  # fmt: skip


def render(digest: Digest, fmt: str, config: Config, tr: Translator) -> str:
    from bot.config import EmailOptions
    from bot.digest.render import render_html, render_json, render_text
    from bot.digest.slack import slack_messages

    if fmt == "slack-json":
        return json.dumps(slack_messages(digest, tr), ensure_ascii=False, indent=2) + "\n"
    if fmt == "json":
        return render_json(digest, tr)
    options = config.destination(digest.destination).options
    templates = options.templates_dir if isinstance(options, EmailOptions) else None
    if fmt == "html":
        return render_html(digest, tr, templates_dir=templates)
    return render_text(digest, tr, templates_dir=templates)


def run_preview(args: argparse.Namespace) -> int:
    config = config_from_args(args, sends=False)
    # unknown name: exit 2 before touching the state file
    locale = args.locale or config.destination(args.destination).locale
    with open_store(config.state.path) as store:
        digest = next_digest(config, store, args.destination, locale=locale)
    if digest.is_empty:
        print(f"newsbot: nothing pending for {args.destination}", file=sys.stderr)
    sys.stdout.write(render(digest, args.format, config, load_translator(locale)))
    return 0


def run_send(args: argparse.Namespace) -> int:
    from bot.deliver import DeliveryStatus, deliver_owed
    from bot.http import delivery_client
    from bot.models import utcnow
    from bot.notify import create_notifier
    from bot.rules import load_rules, rule_titles

    config = config_from_args(args, sends=True)
    destination = config.destination(args.destination)
    ruleset = load_rules(list(config.rules.paths))
    with (
        open_store(config.state.path) as store,
        delivery_client() as http,
    ):
        notifier = create_notifier(destination, http=http, stream=sys.stdout)
        outcomes = asyncio.run(
            deliver_owed(
                destination,
                store=store,
                notifier=notifier,
                clock=utcnow,
                highlight=ruleset.highlight,
                titles=rule_titles(ruleset),
                ignore_backoff=True,
            )
        )
    for outcome in outcomes:
        if outcome.status == DeliveryStatus.SENT:
            again = " (a retry)" if outcome.retried else ""
            print(f"newsbot: sent {outcome.items} item(s) to {destination.name}{again} "
                  f"({outcome.key})", file=sys.stderr)  # fmt: skip
        elif outcome.status == DeliveryStatus.NOTHING:
            print(f"newsbot: nothing pending for {destination.name}", file=sys.stderr)
        else:
            print(f"newsbot: {destination.name}: {outcome.status}: {outcome.error or ''}",
                  file=sys.stderr)  # fmt: skip
            return 1
    return 0
