"""Slack: an incoming webhook, or a bot token + channel through ``chat.postMessage``.

One message per second per channel (the injected `sleep` paces the parts of a long digest).
HTTP 429 waits for ``Retry-After`` (30 s when absent) and retries a bounded number of times; 5xx and
timeouts retry twice with backoff, then raise Transient. Slack's own refusals (``invalid_payload``,
``channel_not_found``, ``invalid_token``, HTTP 200 with ``"ok": false``) are Permanent.

A digest split into n messages is sent part by part through the outbox (``split`` / ``send_part``):
if message k fails, a retry sends k..n only, the same bytes under the same key; each part names
its digest and "part k of n", and carries the key in its first block's ``block_id``.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable
from typing import Any

import httpx

from bot.config import DestinationConfig, SlackOptions
from bot.config.destinations import slack_options
from bot.digest.slack import slack_parts
from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.httpstatus import is_too_many_requests, is_transient_failure
from bot.log import kv
from bot.models import Digest
from bot.notify.base import Channel, ChannelSpec, Dependencies, Part, Sleep
from bot.notify.http import client_for, post, retry_after_seconds

log = logging.getLogger("newsbot.notify.slack")

MIN_INTERVAL = 1.0  # Slack: about one message per second per channel
DEFAULT_RETRY_AFTER = 30.0  # 429 without Retry-After
RATE_LIMIT_RETRIES = 3
SERVER_ERROR_RETRIES = 2
#: rate-limit waiting one part may do in place (in total); beyond it the wait is handed back to
#: the outbox, so a worker thread is not held for long
MAX_INLINE_WAIT = 120.0
# chat.postMessage errors worth retrying; every other "ok": false is permanent
_TRANSIENT_API_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout", "ratelimited"}
)
_ERROR_CODE = re.compile(r"^[a-z0-9_]{1,60}$")


class _RateLimited(Exception):
    def __init__(self, retry_after: float | None) -> None:
        self.retry_after = retry_after


class _ServerError(Exception):
    def __init__(self, what: str) -> None:
        self.what = what


def error_code(text: str) -> str:
    """Slack's short error code from a response body, or a neutral word (bodies are not echoed)."""
    text = text.strip()
    return text if _ERROR_CODE.match(text) else "unexpected response"


class SlackNotifier(Channel[SlackOptions]):
    options_type = SlackOptions

    def __init__(
        self,
        destination: DestinationConfig,
        *,
        http: httpx.Client | None = None,
        sleep: Sleep = time.sleep,
    ) -> None:
        super().__init__(destination)
        self.http = http  # None: a short-lived client per part
        self.sleep = sleep

    @classmethod
    def create(cls, destination: DestinationConfig, deps: Dependencies) -> SlackNotifier:
        return cls(destination, http=deps.http, sleep=deps.sleep)

    @property
    def uses_api(self) -> bool:
        return not self.options.webhook_url

    #: monotonic seconds, replaceable in tests together with `sleep`
    monotonic: Callable[[], float] = staticmethod(time.monotonic)
    _last_post: float | None = None
    _waited = 0.0  # seconds of 429 waiting for the current part

    def split(self, digest: Digest) -> list[Part]:
        return [
            Part(json.dumps(p.payload, ensure_ascii=False).encode(), p.items)
            for p in slack_parts(digest, self.tr)
        ]

    def send(self, digest: Digest) -> None:
        parts = self.split(digest)
        for k, part in enumerate(parts, 1):
            self.send_part(digest.key, part, number=k, total=len(parts))

    def send_part(self, key: str, part: Part, *, number: int, total: int) -> None:
        self._waited = 0.0  # the claim's lease is renewed while parts go out: a budget per part
        message = json.loads(part.payload)
        with client_for(self.http) as http:
            self._pace()
            self._deliver(http, message, part=f"{number} of {total}")
        if number == total:
            log.info(kv("slack_delivered", destination=self.name, digest=key, messages=total))

    def _pace(self) -> None:
        """At most one message per MIN_INTERVAL from this notifier, across digests too (a retry
        and a new digest for the same channel can follow each other in one cycle)."""
        if self._last_post is not None:
            wait = MIN_INTERVAL - (self.monotonic() - self._last_post)
            if wait > 0:
                self.sleep(wait)
        self._last_post = self.monotonic()

    def _deliver(self, http: httpx.Client, message: dict[str, Any], *, part: str) -> None:
        rate_limited = server_errors = 0
        while True:
            try:
                self._post(http, message, part=part)
                return
            except _RateLimited as rl:
                wait = rl.retry_after if rl.retry_after is not None else DEFAULT_RETRY_AFTER
                if rate_limited >= RATE_LIMIT_RETRIES or self._waited + wait > MAX_INLINE_WAIT:
                    raise TransientDeliveryError(
                        f"slack: rate limited delivering part {part} to {self.name}; "
                        f"retry after {wait:.0f}s",
                        destination=self.name,
                        retry_after=wait,
                    ) from None
                rate_limited += 1
                self._waited += wait
                log.info(kv("slack_rate_limited", destination=self.name, wait=f"{wait:.0f}s"))
                self.sleep(wait)
            except (_ServerError, TransientDeliveryError) as exc:
                what = (
                    exc.what if isinstance(exc, _ServerError) else str(exc).removeprefix("slack: ")
                )
                if server_errors >= SERVER_ERROR_RETRIES:
                    raise TransientDeliveryError(
                        f"slack: part {part} to {self.name} failed: {what}",
                        destination=self.name,
                    ) from None
                server_errors += 1
                self.sleep(2.0**server_errors)

    def _post(self, http: httpx.Client, message: dict[str, Any], *, part: str) -> None:
        opts = self.options
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.uses_api:
            url = f"{opts.api_url.rstrip('/')}/chat.postMessage"
            headers["Authorization"] = f"Bearer {opts.token}"
            body = {"channel": opts.channel, **message}
        else:
            url, body = opts.webhook_url or "", message
        resp = post(
            http,
            url,
            component="slack",
            destination=self.name,
            content=json.dumps(body, ensure_ascii=False).encode(),
            headers=headers,
        )
        if is_too_many_requests(resp.status_code):
            raise _RateLimited(retry_after_seconds(resp.headers))
        if is_transient_failure(resp.status_code):
            raise _ServerError(f"HTTP {resp.status_code}")
        if self.uses_api:
            self._check_api(resp, part=part)
        else:
            self._check_webhook(resp, part=part)

    def _reject(self, why: str, *, part: str) -> PermanentDeliveryError:
        return PermanentDeliveryError(
            f"slack: {self.name} rejected part {part}: {why}", destination=self.name
        )

    def _check_webhook(self, resp: httpx.Response, *, part: str) -> None:
        if resp.is_success:
            data = _json_or_none(resp)
            if isinstance(data, dict) and data.get("ok") is False:
                raise self._reject(error_code(str(data.get("error", ""))), part=part)
            return
        raise self._reject(f"HTTP {resp.status_code} {error_code(resp.text)}", part=part)

    def _check_api(self, resp: httpx.Response, *, part: str) -> None:
        data = _json_or_none(resp)
        if not resp.is_success or not isinstance(data, dict):
            raise self._reject(f"HTTP {resp.status_code} {error_code(resp.text)}", part=part)
        if data.get("ok") is True:
            return
        code = error_code(str(data.get("error", "")))
        if code == "ratelimited":
            raise _RateLimited(retry_after_seconds(resp.headers))
        if code in _TRANSIENT_API_ERRORS:
            raise _ServerError(code)
        raise self._reject(code, part=part)


def _json_or_none(resp: httpx.Response) -> Any:
    try:
        return resp.json()
    except ValueError:
        return None


CHANNEL = ChannelSpec(name="slack", parse_options=slack_options, notifier=SlackNotifier)
