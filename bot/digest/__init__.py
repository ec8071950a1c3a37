"""The digest: one channel-neutral model per destination and period, rendered per channel.

``build_digest`` makes the model (`bot.models.Digest`); ``bot.digest.render`` turns it into text,
HTML or JSON; ``bot.digest.slack`` into Block Kit messages.
"""

from __future__ import annotations

from bot.digest.build import build_digest
from bot.digest.view import subject_line

__all__ = ["build_digest", "subject_line"]
