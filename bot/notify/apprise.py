"""Apprise: Microsoft Teams, Discord, Telegram, Matrix, Mattermost… through the Apprise library.

Optional extra (``pip install 'newsbot[apprise]'``), imported only when such a destination sends.
Apprise reports only success or failure per batch, so a failure is Transient (the outbox retries,
up to ``max_attempts``); a URL Apprise does not understand is Permanent.
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType

from bot.config import AppriseOptions
from bot.digest.render import render_text
from bot.digest.view import subject_line
from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.models import Digest
from bot.notify.base import Channel

log = logging.getLogger("newsbot.notify.apprise")


def load_apprise(destination: str) -> ModuleType:
    try:
        return importlib.import_module("apprise")
    except ImportError:
        raise PermanentDeliveryError(
            f"apprise: destination {destination} needs the Apprise library: "
            "pip install 'newsbot[apprise]'",
            destination=destination,
        ) from None


class AppriseNotifier(Channel[AppriseOptions]):
    options_type = AppriseOptions

    def send(self, digest: Digest) -> None:
        apprise = load_apprise(self.name)
        client = apprise.Apprise()
        for n, url in enumerate(self.options.urls, 1):
            # the URL holds the service's credentials: name it by position only
            if not client.add(url):
                raise PermanentDeliveryError(
                    f"apprise: URL #{n} of {self.name} is not a valid Apprise URL",
                    destination=self.name,
                )
        ok = client.notify(
            title=subject_line(digest, self.tr),
            body=render_text(digest, self.tr),
            body_format=apprise.NotifyFormat.TEXT,
        )
        if not ok:
            raise TransientDeliveryError(
                f"apprise: at least one service of {self.name} did not accept the digest",
                destination=self.name,
            )
        log.info("apprise: delivered %s to %s", digest.key, self.name)
