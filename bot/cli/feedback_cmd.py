"""`newsbot feedback serve`: the readers' feedback service alone (for timer installs, where no
daemon runs; `newsbot run` serves it itself when the config has ``[feedback]``)."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Callable
from typing import Any

from bot.cli.common import config_from_args
from bot.config import Config
from bot.errors import ConfigError, RuleError
from bot.log import get_logger, kv
from bot.rules import RuleSet, load_rules

log = get_logger("feedback")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "feedback",
        help="the readers' feedback service (relevant / not relevant / missed links)",
        description="Readers' feedback on digests. See README.md, 'Readers' feedback'.",
    )
    actions = p.add_subparsers(dest="feedback_action", metavar="ACTION")
    p.set_defaults(func=lambda _args: _usage(p))
    serve = actions.add_parser(
        "serve",
        help="serve the feedback pages until SIGTERM (`newsbot run` serves them itself)",
        description="Serve the pages the digests' feedback links open, on [feedback] listen, "
        "until SIGTERM or SIGINT. For timer installs: `newsbot run` serves them itself. Rule "
        "file edits are picked up on the next request.",
    )
    serve.set_defaults(func=run_serve)


def _usage(p: argparse.ArgumentParser) -> int:
    p.print_help()
    return 2


def run_serve(args: argparse.Namespace) -> int:
    config = config_from_args(args, sends=True)  # the service signs with its secret
    if config.feedback is None:
        raise ConfigError(
            "no [feedback] section: add listen, base_url and secret (see newsbot.example.toml)",
            path=config.source,
        )
    return asyncio.run(_serve(config))


async def _serve(config: Config) -> int:
    from bot import USER_AGENT
    from bot.feedback.web import FeedbackService, desk_locales, start_service
    from bot.fetch import Fetcher
    from bot.store import Store

    assert config.feedback is not None
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    with Store(config.state.path) as store:
        async with Fetcher(settings=config.fetch, user_agent=USER_AGENT) as fetcher:
            service = FeedbackService(
                config=config.feedback,
                store=store,
                rules=current_rules(config),
                fetcher=fetcher,
                locales=desk_locales(config.destinations),
            )
            runner = await start_service(service)
            await stop.wait()
            await runner.cleanup()
    return 0


def current_rules(config: Config) -> Callable[[], RuleSet]:
    """The rules as the files are now: reloaded when one changed; a broken edit keeps the last."""
    from bot.upkeep import rule_stamps

    state: dict[str, Any] = {"stamp": rule_stamps(config.rules.paths)}
    state["rules"] = load_rules(list(config.rules.paths))

    def get() -> RuleSet:
        stamp = rule_stamps(config.rules.paths)
        if stamp != state["stamp"]:
            state["stamp"] = stamp
            try:
                state["rules"] = load_rules(list(config.rules.paths))
            except RuleError as exc:
                log.error(kv("rules_rejected", error=str(exc)))
        ruleset: RuleSet = state["rules"]
        return ruleset

    return get
