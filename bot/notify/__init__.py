"""Delivery channels, and the one registry of them.

Each channel module (slack, email, webhook, console, file, apprise) exports ``CHANNEL``: a
`ChannelSpec` naming its type, its option parser and its notifier class (whose ``options_type`` is
its options dataclass). `CHANNELS` is built from those exports and nothing else.

Layering: config sits below notify and is read before any channel is imported, so the options
dataclasses (bot.config.model) and their parsers (bot.config.destinations) live in config, which
dispatches on the `ChannelType` literal with `assert_never`; the channel modules import them from
there, never the other way round. A new channel is a name in `ChannelType`, its options and parser
in config (mypy reports the missing ``case``), and its module here added to `CHANNELS`; a test
holds `CHANNELS` to `CHANNEL_TYPES`.

``create_notifier(destination, ...)`` builds the destination's channel, handing it only what it
uses; every notifier has ``send(digest)``, which returns only when the channel accepted the digest
and otherwise raises Transient/PermanentDeliveryError (see bot.notify.base).
"""

from __future__ import annotations

import time
from typing import IO

import httpx

from bot.config import ChannelType, DestinationConfig
from bot.errors import ConfigError
from bot.notify import apprise, console, email, file, slack, webhook
from bot.notify.base import ChannelSpec, Dependencies, Notifier, Sleep

CHANNELS: dict[ChannelType, ChannelSpec] = {
    m.CHANNEL.name: m.CHANNEL for m in (slack, email, webhook, console, file, apprise)
}


def create_notifier(
    destination: DestinationConfig,
    *,
    http: httpx.Client | None = None,
    sleep: Sleep = time.sleep,
    stream: IO[str] | None = None,
) -> Notifier:
    """The notifier for `destination` (``http`` is used by HTTP channels, ``stream`` by console)."""
    spec = CHANNELS.get(destination.type)
    if spec is None:
        raise ConfigError(
            f"destination {destination.name!r}: unknown type {destination.type!r} "
            f"(one of {', '.join(CHANNELS)})"
        )
    return spec.notifier.create(destination, Dependencies(http=http, sleep=sleep, stream=stream))


__all__ = ["CHANNELS", "ChannelSpec", "Notifier", "create_notifier"]
