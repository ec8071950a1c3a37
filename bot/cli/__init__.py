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
from collections.abc import Iterator, Sequence

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
    "feedback_cmd",
    "state_cmd",
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
    _global_options(parser, default=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(f"bot.cli.{name}").register(sub)
    # `newsbot once --config x.toml` as well as `newsbot --config x.toml once`: every command
    # accepts the global options too; SUPPRESS keeps a value given before the command
    for command in _subparsers(parser):
        _global_options(command, default=argparse.SUPPRESS)
    return parser


def _global_options(parser: argparse.ArgumentParser, *, default: object) -> None:
    parser.add_argument(
        "--config",
        "-c",
        metavar="PATH",
        default=default,
        help="config file (default: $NEWSBOT_CONFIG, ./newsbot.toml, /etc/newsbot/newsbot.toml)",
    )
    parser.add_argument(
        "--env-file",
        metavar="PATH",
        default=default,
        help="KEY=value file with secrets, read before ${VAR} expansion (environment wins)",
    )
    parser.add_argument(
        "--log-level",
        choices=("debug", "info", "warning", "error"),
        default=default,
        help="override [log] level",
    )


def _subparsers(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                yield command
                yield from _subparsers(command)


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
