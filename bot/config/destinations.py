"""[[destinations]] tables: the keys every destination shares, and one options parser per type.

Config sits below bot.notify, so each channel's options dataclass (bot.config.model) and option
parser (here) live in config, and config never imports a channel. `ChannelType` is the one list of
channel types; `parse_options` dispatches on it with `assert_never`, so mypy reports a type without
a parser. Each channel module in bot.notify re-exports its type name, options and parser beside its
channel class, and bot.notify's `CHANNELS` registry is built from those modules (see bot.notify).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypeGuard, assert_never
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.config.model import (
    CHANNEL_TYPES,
    AppriseOptions,
    ChannelType,
    ConsoleOptions,
    DestinationConfig,
    DestinationOptions,
    EmailOptions,
    FileOptions,
    SlackOptions,
    WebhookOptions,
)
from bot.config.reader import Section, positive_int
from bot.cron import EXAMPLE, CronError, parse_cron
from bot.i18n import DEFAULT_LOCALE, LOCALES


def destination(s: Section) -> DestinationConfig:
    name: str = s.require("name", str)
    kind: str = s.require("type", str)
    if not is_channel_type(kind):
        raise s.error(
            "type", f"unknown destination type {kind!r} (one of {', '.join(CHANNEL_TYPES)})"
        )
    options = parse_options(kind, s)
    schedule = s.get("schedule", str)
    every = s.duration("every", None)
    if schedule and every:
        raise s.error("every", "set either schedule or every, not both")
    tz = s.get("timezone", str, "UTC")
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise s.error("timezone", f"unknown timezone {tz!r} (e.g. Asia/Ho_Chi_Minh)") from None
    quiet = s.get("quiet_hours", str)
    if quiet and not re.fullmatch(r"\d{1,2}:\d{2}-\d{1,2}:\d{2}", quiet):
        raise s.error("quiet_hours", f"expected HH:MM-HH:MM, got {quiet!r}")
    if schedule:
        try:
            parse_cron(schedule)
        except CronError as exc:
            raise s.error("schedule", f"{exc} in {schedule!r}; e.g. schedule = {EXAMPLE}") from None
    cfg = DestinationConfig(
        name=name,
        type=kind,
        options=options,
        rules=s.strings("rules"),
        tags=s.strings("tags"),
        min_score=float(s.get("min_score", (int, float), 0.0)),
        send_empty=s.get("send_empty", bool, False),
        schedule=schedule,
        every=every,
        timezone=tz,
        quiet_hours=quiet,
        urgent=s.get("urgent", bool, True),
        urgent_score=_optional_number(s, "urgent_score"),
        title=s.get("title", str, ""),
        locale=_locale(s),
        max_attempts=positive_int(s, "max_attempts", 10),
    )
    s.finish()
    return cfg


def _locale(s: Section) -> str:
    value: str = s.get("locale", str, DEFAULT_LOCALE)
    if value not in LOCALES:
        raise s.error(
            "locale", f"unknown locale {value!r}: supported locales are {', '.join(LOCALES)}"
        )
    return value


def slack_options(s: Section) -> SlackOptions:
    opts = SlackOptions(
        webhook_url=s.get("webhook_url", str),
        token=s.get("token", str),
        channel=s.get("channel", str),
        api_url=s.get("api_url", str, "https://slack.com/api"),
    )
    if not opts.webhook_url and not (opts.token and opts.channel):
        raise s.error("webhook_url", "a slack destination needs webhook_url, or token and channel")
    return opts


def email_options(s: Section) -> EmailOptions:
    to = s.strings("to")
    if not to:
        raise s.error("to", "an email destination needs at least one address in 'to'")
    opts = EmailOptions(
        smtp_host=s.require("smtp_host", str),
        from_addr=s.require("from", str),
        to=to,
        smtp_port=s.get("smtp_port", int, 25),
        security=s.choice("security", ("none", "starttls", "ssl"), "none"),
        username=s.get("username", str),
        password=s.get("password", str),
        timeout=s.duration("timeout", 30.0) or 30.0,
        templates_dir=s.path_value("templates_dir"),
        subject_prefix=s.get("subject_prefix", str, ""),
        max_message_bytes=positive_int(s, "max_message_bytes", 10_000_000),
    )
    if opts.password and opts.security == "none":
        raise s.error("password", "refusing SMTP AUTH without TLS: set security = starttls or ssl")
    return opts


def webhook_options(s: Section) -> WebhookOptions:
    headers = s.get("headers", dict, {})
    return WebhookOptions(
        url=s.require("url", str),
        secret=s.get("secret", str),
        headers=tuple((str(k), s._expand("headers", str(v))) for k, v in headers.items()),
    )


def console_options(s: Section) -> ConsoleOptions:
    return ConsoleOptions(color=s.choice("color", ("auto", "always", "never"), "auto"))


def file_options(s: Section) -> FileOptions:
    return FileOptions(
        dir=s.path_value("dir", "digests") or Path("digests"),
        format=s.choice("format", ("html", "text", "json"), "html"),
    )


def apprise_options(s: Section) -> AppriseOptions:
    urls = s.strings("urls")
    if not urls:
        raise s.error("urls", "an apprise destination needs at least one URL in 'urls'")
    return AppriseOptions(urls=urls)


def is_channel_type(kind: str) -> TypeGuard[ChannelType]:
    return kind in CHANNEL_TYPES


def parse_options(kind: ChannelType, s: Section) -> DestinationOptions:
    """The options of a destination of type `kind`, read from its table."""
    match kind:
        case "slack":
            return slack_options(s)
        case "email":
            return email_options(s)
        case "webhook":
            return webhook_options(s)
        case "console":
            return console_options(s)
        case "file":
            return file_options(s)
        case "apprise":
            return apprise_options(s)
        case _:
            assert_never(kind)


def _optional_number(s: Section, key: str) -> float | None:
    value = s.get(key, (int, float))
    return None if value is None else float(value)
