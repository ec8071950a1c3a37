"""Apprise: Microsoft Teams, Discord, Telegram, Matrix, Mattermost… through the Apprise library.

Optional extra (``pip install 'newsbot[apprise]'``), imported only when such a destination sends.
Apprise reports only success or failure per batch, so a failure is Transient (the outbox retries,
up to ``max_attempts``); a URL Apprise does not understand is Permanent.

Feed text is neutralised per target before Apprise sees it: every ``@`` and ``<@`` / ``<!`` / ``<#``
gets an invisible break, so ``@everyone``, ``<!channel>`` or ``<@U123>`` in a headline pings no one
(Apprise's Discord plugin turns any ``@name`` it finds into an allowed mention); a target that renders
Markdown gets the text with every Markdown character escaped, so a headline cannot bold, link or
hide itself.
"""

from __future__ import annotations

import importlib
import logging
import re
from types import ModuleType
from typing import Any

from bot.config import AppriseOptions
from bot.config.destinations import apprise_options
from bot.digest.render import render_text
from bot.digest.view import subject_line
from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.log import kv
from bot.models import Digest
from bot.notify.base import Channel, ChannelSpec

log = logging.getLogger("newsbot.notify.apprise")

_MENTION = re.compile(r"(@|<(?=[@!#]))")
# what turns plain text into formatting or a link in chat Markdown (a backslash makes it literal);
# web addresses are left as they are, so they stay clickable
_MARKDOWN = re.compile(r"([\\`*_\[\]<>~|])")
_WEB_ADDRESS = re.compile(r"(https?://\S+)")
# targets that pass the body on as data (JSON, XML, form fields) and render nothing themselves
_DATA_SCHEMES = frozenset({"json", "jsons", "xml", "xmls", "form", "forms"})
ZWSP = "\u200b"


def defuse_mentions(text: str) -> str:
    """No chat service reads a mention, a broadcast or a channel link in `text`."""
    return _MENTION.sub(lambda m: m.group(1) + ZWSP, text)


def escape_markdown(text: str) -> str:
    """`text` shown literally by a Markdown renderer; web addresses kept whole."""
    pieces = _WEB_ADDRESS.split(text)  # odd positions are addresses
    return "".join(p if i % 2 else _MARKDOWN.sub(r"\\\1", p) for i, p in enumerate(pieces))


def renders_markdown(plugin: Any) -> bool:
    """Whether an Apprise target may show its body as Markdown (Discord, Telegram, Slack…)."""
    if str(getattr(plugin, "protocol", "") or "").lower() in _DATA_SCHEMES:
        return False
    formats = plugin.notify_format
    if not isinstance(formats, (tuple, list, set, frozenset)):
        formats = (formats,)
    return any(str(getattr(f, "value", f)) == "markdown" for f in formats)


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
        text = defuse_mentions(render_text(digest, self.tr))
        title = defuse_mentions(subject_line(digest, self.tr))
        targets = []
        for n, url in enumerate(self.options.urls, 1):
            # the URL holds the service's credentials: name it by position only
            plugin = apprise.Apprise.instantiate(url)
            if not plugin:
                raise PermanentDeliveryError(
                    f"apprise: URL #{n} of {self.name} is not a valid Apprise URL",
                    destination=self.name,
                )
            targets.append(plugin)
        failed = 0
        for plugin in targets:
            client = apprise.Apprise()
            client.add(plugin)
            if renders_markdown(plugin):
                ok = client.notify(
                    title=escape_markdown(title),
                    body=escape_markdown(text),
                    body_format=apprise.NotifyFormat.MARKDOWN,
                )
            else:
                ok = client.notify(title=title, body=text, body_format=apprise.NotifyFormat.TEXT)
            failed += not ok
        if failed:
            raise TransientDeliveryError(
                f"apprise: {failed} of {len(targets)} services of {self.name} did not accept "
                "the digest",
                destination=self.name,
            )
        log.info(kv("apprise_delivered", destination=self.name, digest=digest.key,
                    services=len(targets)))  # fmt: skip


CHANNEL = ChannelSpec(name="apprise", parse_options=apprise_options, notifier=AppriseNotifier)
