"""Helpers every subcommand uses to turn its arguments into the library's named values."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import Config, find_config, load_config, read_env_file
from bot.errors import ConfigError
from bot.log import setup_logging

if TYPE_CHECKING:
    from bot.store import Store


def config_from_args(args: argparse.Namespace, *, sends: bool) -> Config:
    """Find, read and validate the config named by --config / $NEWSBOT_CONFIG / defaults.

    `sends`: the command delivers something, so every ``${VAR}`` must be set. Commands that only
    read (status, feeds, rules, digest preview) run without the secrets, e.g. from a root shell
    where they live only in the unit's EnvironmentFile.
    """
    environ = dict(os.environ)
    if getattr(args, "env_file", None):
        environ = {**read_env_file(Path(args.env_file)), **environ}
    config = load_config(
        find_config(getattr(args, "config", None), environ),
        environ=environ,
        secrets_required=sends,
    )
    setup_logging(getattr(args, "log_level", None) or config.log.level)
    return config


def optional_config(args: argparse.Namespace) -> Config | None:
    """The config if one is named or found (secrets optional), else None: for the commands that
    also work without one (`rules …`, `feeds …`)."""
    try:
        find_config(getattr(args, "config", None), os.environ)
    except ConfigError:
        return None
    return config_from_args(args, sends=False)


@contextmanager
def open_store(path: Path) -> Iterator[Store]:
    """The state database, for the length of a command. An SQLite error anywhere in the block (a
    damaged page met mid-command, a full disk, a read-only file) becomes one line naming the file
    and the way out (exit 1), never a traceback."""
    from bot.store import Store
    from bot.store.safety import translated

    with translated(path), Store(path) as store:
        yield store
