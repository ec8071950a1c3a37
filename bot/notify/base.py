"""The notifier contract: one small class per channel with ``send(digest)``.

``send`` returning normally means the channel *accepted* the digest; anything else is raised as
`TransientDeliveryError` (retry later, ``.retry_after`` when the channel said) or
`PermanentDeliveryError` (retrying will not help). The caller owns retries across cycles, the
outbox and marking items delivered; a notifier only retries within one send where that is cheaper
than a repeat (Slack 429 with a short Retry-After).
"""

from __future__ import annotations

import sys
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import IO, ClassVar, Generic, TypeVar

import httpx

from bot.config import DestinationConfig, DestinationOptions
from bot.errors import ConfigError
from bot.i18n import load_translator
from bot.models import Digest

Sleep = Callable[[float], None]
OptionsT = TypeVar("OptionsT", bound=DestinationOptions)


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


class Channel(Notifier, Generic[OptionsT]):
    """A notifier with its destination's typed options (``SlackOptions``, ``EmailOptions``, ...)."""

    @property
    def options(self) -> OptionsT:
        # checked against options_type in __init__
        return self.destination.options  # type: ignore[return-value]
