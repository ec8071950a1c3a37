"""The CLI explains itself: --version, and --help on every command and subcommand."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from bot import __version__
from bot.cli import build_parser, main


def _all_parsers(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()):
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _all_parsers(sub, (*path, name))


COMMANDS = [path for path, _ in _all_parsers(build_parser())]


def test_every_command_is_listed() -> None:
    top = {p[0] for p in COMMANDS if p}
    assert {"once", "demo"} <= top


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "newsbot")
def test_every_command_has_help(path: tuple[str, ...], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([*path, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: newsbot")
    parser = dict(_all_parsers(build_parser()))[path]
    assert parser.description, f"`newsbot {' '.join(path)}` needs a description"
    for action in parser._actions:
        if action.option_strings and action.dest != "help":
            assert action.help, f"option {action.option_strings} of `{' '.join(path)}` has no help"


def test_version_and_module_entry_point() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "bot", "--version"], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == f"newsbot {__version__}"


def test_no_command_prints_help_and_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out
