"""Console: the plain-text digest written to a stream (stdout by default)."""

from __future__ import annotations

import sys
from typing import IO

from bot.config import ConsoleOptions, DestinationConfig
from bot.config.destinations import console_options
from bot.digest.render import PLAIN_MARK, render_text
from bot.models import Digest
from bot.notify.base import Channel, ChannelSpec, Dependencies

BOLD_YELLOW = ("\x1b[1;33m", "\x1b[0m")


class ConsoleNotifier(Channel[ConsoleOptions]):
    options_type = ConsoleOptions

    def __init__(self, destination: DestinationConfig, *, stream: IO[str] | None = None) -> None:
        super().__init__(destination)
        self.stream = stream if stream is not None else sys.stdout

    @classmethod
    def create(cls, destination: DestinationConfig, deps: Dependencies) -> ConsoleNotifier:
        return cls(destination, stream=deps.stream)

    def wants_color(self) -> bool:
        if self.options.color != "auto":
            return self.options.color == "always"
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def send(self, digest: Digest) -> None:
        # the digest model holds no control characters, so feed text cannot emit escape sequences
        mark = BOLD_YELLOW if self.wants_color() else PLAIN_MARK
        self.stream.write(render_text(digest, self.tr, mark=mark))
        self.stream.flush()


CHANNEL = ChannelSpec(name="console", parse_options=console_options, notifier=ConsoleNotifier)
