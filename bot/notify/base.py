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
"""

from __future__ import annotations

import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO, ClassVar, Generic, TypeVar

import httpx

from bot.config import DestinationConfig, DestinationOptions
from bot.errors import ConfigError
from bot.i18n import load_translator
from bot.models import Digest

Sleep = Callable[[float], None]
OptionsT = TypeVar("OptionsT", bound=DestinationOptions)


@dataclass(frozen=True, slots=True)
class Part:
    """One message of a digest, exactly as the channel will get it, and the items it carries."""

    payload: bytes
    items: tuple[int, ...]


class Notifier(ABC):
    """Base of every channel: what the delivery loop holds and calls."""

    options_type: ClassVar[type]

    def __init__(
        self,
        destination: DestinationConfig,
        *,
        http: httpx.Client | None = None,
        sleep: Sleep = time.sleep,
        stream: IO[str] | None = None,
    ) -> None:
        if not isinstance(destination.options, self.options_type):
            raise ConfigError(
                f"destination {destination.name!r}: options are not {self.options_type.__name__}"
            )
        self.destination = destination
        # every channel writes in its destination's language (bot.i18n): made once, used per send
        self.tr = load_translator(destination.locale)
        self.http = http
        self.sleep = sleep
        self.stream = stream if stream is not None else sys.stdout

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
