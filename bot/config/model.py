"""The configuration model: frozen dataclasses, built once by `bot.config.load_config`.

Below the CLI, code receives these named values, never the TOML dict.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, get_args

from bot.age import DEFAULT_MAX_AGE, DEFAULT_URGENT_MAX_AGE
from bot.errors import ConfigError

DEFAULT_LOCATIONS = (Path("newsbot.toml"), Path("/etc/newsbot/newsbot.toml"))
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(value: str | int | float) -> float:
    """``"30s"`` / ``"15m"`` / ``"1h"`` / ``"2d"`` / a bare number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        return float(value)
    m = _DURATION.match(value)
    if not m:
        raise ValueError(f"not a duration: {value!r} (a number and a unit: 30s, 15m, 1h, 3d)")
    return float(m.group(1)) * _UNITS[m.group(2)]


@dataclass(frozen=True, slots=True)
class StateConfig:
    path: Path
    # items older than this are forgotten once delivered everywhere; must exceed how long feeds
    # keep an item, or an old item still in a feed would look new again
    retention: float = 180 * 86400.0


@dataclass(frozen=True, slots=True)
class RulesConfig:
    paths: tuple[Path, ...]
    watch: bool = True


@dataclass(frozen=True, slots=True)
class FetchConfig:
    connect_timeout: float = 10.0
    read_timeout: float = 20.0
    deadline: float = 60.0  # total per feed, however slowly bytes trickle in
    max_feed_bytes: int = 15 * 1024 * 1024  # decoded size
    concurrency: int = 100  # feeds in flight at once, globally
    per_host: int = 4  # feeds in flight at once per host
    min_host_interval: float = 0.0  # seconds between two requests to one host
    clients: int = 4  # httpx clients the connections are spread over
    max_redirects: int = 5
    user_agent: str | None = None
    # an item first seen older than this is stored but never delivered (None: "off"); per feed too
    max_age: float | None = DEFAULT_MAX_AGE
    urgent_max_age: float | None = DEFAULT_URGENT_MAX_AGE  # urgent rules send only younger items


@dataclass(frozen=True, slots=True)
class FeedConfig:
    url: str
    name: str
    lang: str | None = None
    interval: float = 900.0
    fetch_full_text: bool = False
    allow_private_hosts: bool = False
    enabled: bool = True
    max_age: float | None = DEFAULT_MAX_AGE  # the feed's own, else [fetch] max_age
    named: bool = True  # `name` was written; else the feed's own title names it once polled


@dataclass(frozen=True, slots=True)
class SlackOptions:
    webhook_url: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    channel: str | None = None
    api_url: str = "https://slack.com/api"


@dataclass(frozen=True, slots=True)
class EmailOptions:
    smtp_host: str
    from_addr: str
    to: tuple[str, ...]
    smtp_port: int = 25
    security: str = "none"  # none | starttls | ssl
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    templates_dir: Path | None = None
    subject_prefix: str = ""
    # a digest bigger than this (or than the server's advertised SIZE) goes out as numbered parts
    max_message_bytes: int = 10_000_000


@dataclass(frozen=True, slots=True)
class WebhookOptions:
    url: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class ConsoleOptions:
    color: str = "auto"  # auto | always | never


@dataclass(frozen=True, slots=True)
class FileOptions:
    dir: Path
    format: str = "html"  # html | text | json


@dataclass(frozen=True, slots=True)
class AppriseOptions:
    urls: tuple[str, ...] = field(repr=False)


@dataclass(frozen=True, slots=True)
class FeedbackConfig:
    """``[feedback]``: readers' relevant / not relevant links and the service that takes them."""

    base_url: str  # public URL the reverse proxy maps to `listen`, no trailing slash
    secret: str = field(repr=False)  # signs the links' tokens; never in a URL, never logged
    host: str = "127.0.0.1"
    port: int = 8087
    rate_limit: int = 30  # requests per client (address) per minute


#: every destination ``type``: the one list of channels. Config parses each one's options
#: (bot.config.destinations.parse_options); bot.notify maps each one to its channel class.
ChannelType = Literal["slack", "email", "webhook", "console", "file", "apprise"]
CHANNEL_TYPES: tuple[ChannelType, ...] = get_args(ChannelType)

DestinationOptions = (
    SlackOptions | EmailOptions | WebhookOptions | ConsoleOptions | FileOptions | AppriseOptions
)


@dataclass(frozen=True, slots=True)
class DestinationConfig:
    name: str
    type: ChannelType
    options: DestinationOptions
    rules: tuple[str, ...] = ()  # empty: every rule
    tags: tuple[str, ...] = ()  # empty: every tag
    min_score: float = 0.0
    send_empty: bool = False
    schedule: str | None = None  # cron "0 8 * * *"
    every: float | None = None  # seconds
    timezone: str = "UTC"
    quiet_hours: str | None = None  # "22:00-07:00"
    urgent: bool = True  # send urgent rules at once
    urgent_score: float | None = None  # ... and any item scoring at least this
    title: str = ""  # "": "Vietnam–Japan" in the reader's language
    locale: str = "en"  # the language of everything newsbot writes around the articles (bot.i18n)
    max_attempts: int = 10
    feedback: FeedbackConfig | None = None  # the config's [feedback]: digest entries carry links

    def wants(self, rule: str, tags: tuple[str, ...], score: float) -> bool:
        """Routing: does this destination take an item matched by `rule`?"""
        if score < self.min_score:
            return False
        if self.rules and rule not in self.rules:
            return False
        return not self.tags or bool(set(self.tags) & set(tags))

    def is_urgent(self, *, rule_urgent: bool, score: float) -> bool:
        """Does an item this destination wants go out at once instead of waiting for the digest?"""
        over = self.urgent_score is not None and score >= self.urgent_score
        return self.urgent and (rule_urgent or over)


@dataclass(frozen=True, slots=True)
class ServiceConfig:
    heartbeat: float = 5.0
    jitter: float = 0.1  # fraction of a feed's interval
    max_backoff: float = 6 * 3600.0
    notice_destination: str | None = None
    notice_feed_failures: int = 5
    notice_destination_failing_for: float = 3600.0


@dataclass(frozen=True, slots=True)
class LogConfig:
    level: str = "info"


@dataclass(frozen=True, slots=True)
class Config:
    source: Path
    state: StateConfig
    rules: RulesConfig
    fetch: FetchConfig
    feeds: tuple[FeedConfig, ...]
    destinations: tuple[DestinationConfig, ...]
    service: ServiceConfig = ServiceConfig()
    log: LogConfig = LogConfig()
    feedback: FeedbackConfig | None = None

    def destination(self, name: str) -> DestinationConfig:
        for d in self.destinations:
            if d.name == name:
                return d
        known = ", ".join(d.name for d in self.destinations) or "none"
        raise ConfigError(f"no destination named {name!r} (configured: {known})", path=self.source)
