"""Configuration: one TOML file, parsed once into frozen dataclasses.

Lookup order (see `find_config`): ``--config PATH``, ``$NEWSBOT_CONFIG``, ``./newsbot.toml``,
``/etc/newsbot/newsbot.toml``. Relative paths resolve against the config file's folder. ``${VAR}``
expands from the environment (plus an optional env file) so secrets stay out of the file.
Every problem is a `ConfigError` naming file, line and key; unknown keys are errors.

Modules: `model` (the frozen dataclasses), `reader` (typed, located reads over parsed TOML),
`load` (finding and loading the file), `destinations` (each destination type's options, dispatched on the `ChannelType` literal).
"""

from __future__ import annotations

from bot.config.load import find_config, load_config, read_env_file
from bot.config.model import (
    CHANNEL_TYPES,
    DEFAULT_LOCATIONS,
    AppriseOptions,
    ChannelType,
    Config,
    ConsoleOptions,
    DestinationConfig,
    DestinationOptions,
    EmailOptions,
    FeedbackConfig,
    FeedConfig,
    FetchConfig,
    FileOptions,
    LogConfig,
    RulesConfig,
    ServiceConfig,
    SlackOptions,
    StateConfig,
    WebhookOptions,
    parse_duration,
)
from bot.errors import ConfigError

__all__ = [
    "CHANNEL_TYPES",
    "DEFAULT_LOCATIONS",
    "AppriseOptions",
    "ChannelType",
    "Config",
    "ConfigError",
    "ConsoleOptions",
    "DestinationConfig",
    "DestinationOptions",
    "EmailOptions",
    "FeedConfig",
    "FeedbackConfig",
    "FetchConfig",
    "FileOptions",
    "LogConfig",
    "RulesConfig",
    "ServiceConfig",
    "SlackOptions",
    "StateConfig",
    "WebhookOptions",
    "find_config",
    "load_config",
    "parse_duration",
    "read_env_file",
]
