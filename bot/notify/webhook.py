"""Generic JSON webhook: POST the digest document (see docs/digests.md) to a URL.

With a ``secret``, the raw body is signed: ``X-Newsbot-Signature: sha256=<hex HMAC-SHA256>``.
2xx accepted; 408, 429 and 5xx Transient (``Retry-After`` honoured); any other status Permanent.
Redirects are not followed: a webhook that moved is a configuration change, not a retry.
"""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx

from bot import USER_AGENT
from bot.config import DestinationConfig, WebhookOptions
from bot.config.destinations import webhook_options
from bot.digest.render import digest_payload
from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.httpstatus import is_too_many_requests, is_transient_failure
from bot.models import Digest
from bot.notify.base import Channel, ChannelSpec, Dependencies
from bot.notify.http import client_for, post, retry_after_seconds

SIGNATURE_HEADER = "X-Newsbot-Signature"
KEY_HEADER = "X-Newsbot-Digest-Key"


def sign(secret: str, body: bytes) -> str:
    """The signature header value for `body`; receivers compare with `hmac.compare_digest`."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class WebhookNotifier(Channel[WebhookOptions]):
    options_type = WebhookOptions

    def __init__(self, destination: DestinationConfig, *, http: httpx.Client | None = None) -> None:
        super().__init__(destination)
        self.http = http  # None: a short-lived client per send

    @classmethod
    def create(cls, destination: DestinationConfig, deps: Dependencies) -> WebhookNotifier:
        return cls(destination, http=deps.http)

    def body(self, digest: Digest) -> bytes:
        return json.dumps(digest_payload(digest, self.tr), ensure_ascii=False).encode("utf-8")

    def headers(self, digest: Digest, body: bytes) -> dict[str, str]:
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            # the key survives a repeat unchanged, so receivers can drop an at-least-once duplicate
            KEY_HEADER: digest.key,
            **dict(self.options.headers),
        }
        if self.options.secret:
            headers[SIGNATURE_HEADER] = sign(self.options.secret, body)
        return headers

    def send(self, digest: Digest) -> None:
        body = self.body(digest)
        with client_for(self.http) as http:
            resp = post(
                http,
                self.options.url,
                component="webhook",
                destination=self.name,
                content=body,
                headers=self.headers(digest, body),
            )
        if resp.is_success:
            return
        what = f"webhook: {self.name} answered HTTP {resp.status_code}"
        if is_too_many_requests(resp.status_code) or is_transient_failure(resp.status_code):
            raise TransientDeliveryError(
                what, destination=self.name, retry_after=retry_after_seconds(resp.headers)
            )
        raise PermanentDeliveryError(what, destination=self.name)


CHANNEL = ChannelSpec(name="webhook", parse_options=webhook_options, notifier=WebhookNotifier)
