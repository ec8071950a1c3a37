"""Console: the plain-text digest written to a stream (stdout by default)."""

from __future__ import annotations

from bot.config import ConsoleOptions
from bot.digest.render import PLAIN_MARK, render_text
from bot.models import Digest
from bot.notify.base import Channel

BOLD_YELLOW = ("\x1b[1;33m", "\x1b[0m")


class ConsoleNotifier(Channel[ConsoleOptions]):
    options_type = ConsoleOptions

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
