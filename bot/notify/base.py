"""The notifier contract: one small class per channel with ``send(digest)``.

``send`` returning normally means the channel *accepted* the digest; anything else is raised as
`TransientDeliveryError` (retry later, ``.retry_after`` when the channel said) or
`PermanentDeliveryError` (retrying will not help). The caller owns retries across cycles, the
outbox and marking items delivered; a notifier only retries within one send where that is cheaper
than a repeat (Slack 429 with a short Retry-After).

A channel that may need several messages for one digest (Slack, email) also implements ``split``
(the messages, rendered, each with the items it carries) and ``send_part``; the delivery loop
stores the parts in the outbox and sends them one by one, so a retry sends only what the channel
has not accepted yet.

A channel takes only what it uses: every `Notifier` takes its destination; Slack and the webhook
also take the HTTP client, Slack the `sleep` that paces it, the console its stream, email its TLS
context. `Dependencies` carries everything the daemon can hand over, and each class's `create`
picks its own from it, so the registry (bot.notify.CHANNELS) builds any channel the same way.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, ClassVar, Generic, TypeVar

import httpx

from bot.config import ChannelType, DestinationConfig, DestinationOptions
from bot.config.reader import Section
from bot.errors import ConfigError
from bot.i18n import load_translator
from bot.models import Digest

Sleep = Callable[[float], None]
OptionsT = TypeVar("OptionsT", bound=DestinationOptions)


@dataclass(frozen=True, slots=True)
class Dependencies:
    """What the caller can give channels; each takes only the fields it uses (see `create`)."""

    http: httpx.Client | None = None  # None: an HTTP channel opens a short-lived client per send
    sleep: Sleep = time.sleep
    stream: IO[str] | None = None  # None: the console writes to stdout


@dataclass(frozen=True, slots=True)
class Part:
    """One message of a digest, exactly as the channel will get it, and the items it carries."""

    payload: bytes
    items: tuple[int, ...]


class Notifier(ABC):
    """Base of every channel: what the delivery loop holds and calls."""

    options_type: ClassVar[type]

    def __init__(self, destination: DestinationConfig) -> None:
        if not isinstance(destination.options, self.options_type):
            raise ConfigError(
                f"destination {destination.name!r}: options are not {self.options_type.__name__}"
            )
        self.destination = destination
        # every channel writes in its destination's language (bot.i18n): made once, used per send
        self.tr = load_translator(destination.locale)

    @classmethod
    def create(cls, destination: DestinationConfig, deps: Dependencies) -> Notifier:
        """This channel for `destination`, given what it uses from `deps` (by default nothing)."""
        return cls(destination)

    @property
    def name(self) -> str:
        return self.destination.name

    @abstractmethod
    def send(self, digest: Digest) -> None:
        """Deliver `digest`; return only when the channel accepted it."""

    def split(self, digest: Digest) -> list[Part] | None:
        """The messages of `digest`, for a channel that sends it in parts; None: one `send`."""
        return None

    def send_part(self, key: str, part: Part, *, number: int, total: int) -> None:
        """Deliver one part from `split` (digest `key`); return only when it was accepted."""
        raise NotImplementedError(f"{type(self).__name__} sends whole digests")


class Channel(Notifier, Generic[OptionsT]):
    """A notifier with its destination's typed options (``SlackOptions``, ``EmailOptions``, ...)."""

    @property
    def options(self) -> OptionsT:
        # checked against options_type in __init__
        return self.destination.options  # type: ignore[return-value]


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """What a channel module exports (its ``CHANNEL``): type name, option parser, channel class.

    The parser lives in bot.config (config is read before any channel is imported); the module
    re-exports it here so one value names everything a channel is.
    """

    name: ChannelType  # the `type = "..."` of its destinations
    parse_options: Callable[[Section], DestinationOptions]
    notifier: type[Notifier]

    @property
    def options(self) -> type:
        """The options dataclass a destination of this type carries."""
        return self.notifier.options_type
