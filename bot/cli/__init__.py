"""The command line: the only place that prints to the user and chooses exit codes.

Each subcommand lives in its own module exposing ``register(subparsers)``; the module sets
``func`` on its parser, a callable ``(args) -> int``. Library errors are translated here:
ConfigError / RuleError / LabelledSetError -> exit 2 with their located message; any other NewsbotError -> exit 1.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from bot import __version__
from bot.errors import ConfigError, LabelledSetError, NewsbotError, RuleError

#: subcommand modules under bot.cli, in the order --help lists them
COMMAND_MODULES: tuple[str, ...] = (
    "once",
    "demo",
    "digest_cmd",
    "rules_cmd",
    "feeds_cmd",
    "service_cmd",
)

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newsbot",
        description=(
            "Monitor news feeds for Vietnam–Japan coverage, match items against keyword rule files, "
            "and send digests to Slack, email and other chat."
        ),
        epilog="Start with `newsbot --config newsbot.toml once`. See README.md.",
    )
    parser.add_argument("--version", action="version", version=f"newsbot {__version__}")
    parser.add_argument(
        "--config",
        "-c",
        metavar="PATH",
        help="config file (default: $NEWSBOT_CONFIG, ./newsbot.toml, /etc/newsbot/newsbot.toml)",
    )
    parser.add_argument(
        "--env-file",
        metavar="PATH",
        help="KEY=value file with secrets, read before ${VAR} expansion (environment wins)",
    )
    parser.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        help="override [log] level",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"bot.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_USAGE
    try:
        code: int = args.func(args)
        return code
    except (ConfigError, RuleError, LabelledSetError) as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except NewsbotError as exc:
        print(f"newsbot: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `newsbot ... | head`: the reader left; say nothing more (stdout is gone)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
