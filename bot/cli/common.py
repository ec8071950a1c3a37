"""Helpers every subcommand uses to turn its arguments into the library's named values."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from bot.config import Config, find_config, load_config, read_env_file
from bot.log import setup_logging


def config_from_args(args: argparse.Namespace, *, secrets_required: bool = True) -> Config:
    """Find, read and validate the config named by --config / $NEWSBOT_CONFIG / defaults."""
    environ = dict(os.environ)
    if getattr(args, "env_file", None):
        environ = {**read_env_file(Path(args.env_file)), **environ}
    config = load_config(
        find_config(args.config, environ), environ=environ, secrets_required=secrets_required
    )
    setup_logging(getattr(args, "log_level", None) or config.log.level)
    return config
