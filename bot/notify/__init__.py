"""Delivery channels. ``create_notifier(dest_cfg, ...)`` picks the class for the destination's
``type`` from `NOTIFIERS`; every notifier has ``send(digest)``, which returns only when the channel
accepted the digest and otherwise raises Transient/PermanentDeliveryError (see bot.notify.base).
"""

from __future__ import annotations

import time
from typing import IO

import httpx

from bot.config import DestinationConfig
from bot.errors import ConfigError
from bot.notify.apprise import AppriseNotifier
from bot.notify.base import Notifier, Sleep
from bot.notify.console import ConsoleNotifier
from bot.notify.email import EmailNotifier
from bot.notify.file import FileNotifier
from bot.notify.slack import SlackNotifier
from bot.notify.webhook import WebhookNotifier

NOTIFIERS: dict[str, type[Notifier]] = {
    "slack": SlackNotifier,
    "email": EmailNotifier,
    "webhook": WebhookNotifier,
    "console": ConsoleNotifier,
    "file": FileNotifier,
    "apprise": AppriseNotifier,
}


def create_notifier(
    destination: DestinationConfig,
    *,
    http: httpx.Client | None = None,
    sleep: Sleep = time.sleep,
    stream: IO[str] | None = None,
) -> Notifier:
    """The notifier for `destination` (``http`` is used by HTTP channels, ``stream`` by console)."""
    cls = NOTIFIERS.get(destination.type)
    if cls is None:
        raise ConfigError(
            f"destination {destination.name!r}: unknown type {destination.type!r} "
            f"(one of {', '.join(NOTIFIERS)})"
        )
    return cls(destination, http=http, sleep=sleep, stream=stream)


__all__ = ["NOTIFIERS", "Notifier", "create_notifier"]
