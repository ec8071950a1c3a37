"""Slack channel against a loopback receiver: Block Kit validity, splitting, pacing, 429/5xx/ok:false."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from slack_sdk.models.blocks import Block

from bot.config import SlackOptions
from bot.digest.slack import MAX_BLOCKS, MAX_MESSAGE_CHARS, block_chars, slack_messages
from bot.errors import PermanentDeliveryError, TransientDeliveryError
from bot.i18n import load_translator
from bot.notify import create_notifier
from tests.digest_helpers import (
    INJECTION_TITLE,
    Receiver,
    Reply,
    destination,
    digest_of,
    item,
    many_items,
)

EN = load_translator("en")

WEBHOOK_PATH = "/services/T0/B0/secret-part"


def validate(payload: dict[str, Any]) -> None:
    """What Slack would check: every block parses and validates; limits per message hold."""
    blocks = payload["blocks"]
    assert 0 < len(blocks) <= MAX_BLOCKS
    assert sum(block_chars(b) for b in blocks) <= MAX_MESSAGE_CHARS
    assert payload["text"]
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()


class Sleeps(list[float]):
    """A fake sleep that records waits and moves a fake monotonic clock (`now`)."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 1000.0

    def __call__(self, seconds: float) -> None:
        self.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def paced(notifier: Any, sleeps: Sleeps) -> Any:
    notifier.monotonic = sleeps.monotonic
    return notifier


def send(receiver: Receiver, digest: Any, *, token: bool = False) -> Sleeps:
    sleeps = Sleeps()
    opts = (
        SlackOptions(token="xoxb-test-token", channel="C123", api_url=receiver.url + "/api")
        if token
        else SlackOptions(webhook_url=receiver.url + WEBHOOK_PATH)
    )
    with httpx.Client(timeout=5) as http:
        notifier = create_notifier(destination(opts, kind="slack"), http=http, sleep=sleeps)
        paced(notifier, sleeps).send(digest)
    return sleeps


def test_webhook_delivers_one_valid_message() -> None:
    with Receiver().running() as r:
        sleeps = send(r, digest_of([item(1, "Tokyo and Hanoi sign rail deal")]))
    assert len(r.requests) == 1 and sleeps == []
    req = r.requests[0]
    assert req.path == WEBHOOK_PATH
    payload = req.json()
    validate(payload)
    assert "Tokyo and Hanoi sign rail deal" in json.dumps(payload, ensure_ascii=False)
    assert payload["text"] == "Vietnam–Japan: 1 new article — 23 Nov 2026"


def test_429_twice_then_200_is_delivered_once_after_waiting() -> None:
    replies = [
        Reply(429, "rate_limited", {"Retry-After": "7"}),
        Reply(429, "rate_limited", {"Retry-After": "3"}),
    ]
    with Receiver(replies).running() as r:
        sleeps = send(r, digest_of([item(1, "Tokyo")]))
    assert sleeps == [7.0, 3.0]
    assert len(r.requests) == 3
    assert r.requests[0].body == r.requests[2].body  # the same message, delivered once


def test_429_without_retry_after_waits_30s_and_gives_up_after_bounded_retries() -> None:
    with Receiver(default=Reply(429, "rate_limited")).running() as r:
        sleeps = Sleeps()
        notifier = create_notifier(
            destination(SlackOptions(webhook_url=r.url + WEBHOOK_PATH), kind="slack"), sleep=sleeps
        )
        with pytest.raises(TransientDeliveryError) as info:
            notifier.send(digest_of([item(1, "Tokyo")]))
    assert sleeps == [30.0, 30.0, 30.0]
    assert len(r.requests) == 4
    assert info.value.retry_after == 30.0
    assert "secret-part" not in str(info.value)


def test_long_retry_after_is_handed_back_not_slept() -> None:
    late = Receiver([Reply(429, "", {"Retry-After": "900"})])
    with late.running() as r, pytest.raises(TransientDeliveryError) as info:
        send(r, digest_of([item(1, "Tokyo")]))
    assert info.value.retry_after == 900.0 and len(r.requests) == 1


def test_server_errors_retry_with_backoff_then_transient() -> None:
    with Receiver(default=Reply(503, "unavailable")).running() as r:
        sleeps = Sleeps()
        n = create_notifier(
            destination(SlackOptions(webhook_url=r.url + WEBHOOK_PATH), kind="slack"), sleep=sleeps
        )
        with pytest.raises(TransientDeliveryError, match="HTTP 503"):
            n.send(digest_of([item(1, "Tokyo")]))
    assert sleeps == [2.0, 4.0] and len(r.requests) == 3


def test_unreachable_endpoint_is_transient_without_leaking_the_url() -> None:
    with Receiver().running() as r:
        url = r.url + WEBHOOK_PATH
    n = create_notifier(destination(SlackOptions(webhook_url=url), kind="slack"), sleep=Sleeps())
    with pytest.raises(TransientDeliveryError) as info:
        n.send(digest_of([item(1, "Tokyo")]))
    assert "secret-part" not in str(info.value) and "127.0.0.1" not in str(info.value)


@pytest.mark.parametrize(
    "reply",
    [
        Reply(400, "invalid_payload"),
        Reply(404, "channel_not_found"),
        Reply(403, "invalid_token"),
        Reply(
            200, '{"ok": false, "error": "invalid_blocks"}', {"Content-Type": "application/json"}
        ),
    ],
)
def test_refusals_are_permanent(reply: Reply) -> None:
    with Receiver([reply]).running() as r, pytest.raises(PermanentDeliveryError) as info:
        send(r, digest_of([item(1, "Tokyo")]))
    assert len(r.requests) == 1
    code = json.loads(reply.body)["error"] if reply.body.startswith("{") else reply.body
    assert code in str(info.value)


def test_two_hundred_items_split_into_valid_ordered_paced_messages() -> None:
    d = digest_of(many_items(200))
    with Receiver().running() as r:
        sleeps = send(r, d)
    payloads = [req.json() for req in r.requests]
    assert len(payloads) >= 4
    assert sleeps == [1.0] * (len(payloads) - 1)  # one message per second per channel
    for p in payloads:
        validate(p)
    text = "\n".join(b["text"]["text"] for p in payloads for b in p["blocks"] if "text" in b)
    positions = [text.find(f"|Story {i}: ") for i in (e.item_id for e in d.entries)]
    assert all(pos >= 0 for pos in positions), "every item is present"
    assert positions == sorted(positions), "in digest order"
    n = len(payloads)
    assert [p["text"].endswith(f"(part {k} of {n})") for k, p in enumerate(payloads, 1)] == [
        True
    ] * n
    assert "Source health:" in json.dumps(payloads[-1])  # the footer closes the last part


def test_feed_text_cannot_mention_or_disguise_links() -> None:
    d = digest_of(
        [
            item(
                1, INJECTION_TITLE, summary="Ping @channel and <@U123> about <https://evil|Tokyo>"
            ),
            item(2, "Link with pipe", link="https://ok.example/a|<!here>"),
        ]
    )
    messages = slack_messages(d, EN)
    for m in messages:
        validate(m)
    body = json.dumps(messages, ensure_ascii=False)
    assert "<!channel>" not in body and "<@U123>" not in body and "<https://evil" not in body
    assert "&lt;!channel&gt; Deal &amp; &lt;script&gt;" in body
    assert "<https://ok.example/a%7C&lt;!here&gt;|Link with pipe>" in body
    assert "@channel" not in body  # broken with a word joiner


def test_bot_token_mode_posts_chat_postmessage_with_channel() -> None:
    ok = Reply(200, '{"ok": true, "ts": "1.2"}', {"Content-Type": "application/json"})
    with Receiver([ok]).running() as r:
        send(r, digest_of([item(1, "Tokyo")]), token=True)
    req = r.requests[0]
    assert req.path == "/api/chat.postMessage"
    assert req.headers["authorization"] == "Bearer xoxb-test-token"
    body = req.json()
    assert body["channel"] == "C123"
    validate(body)


def test_bot_token_errors_map_to_permanent_and_transient() -> None:
    not_found = Reply(200, '{"ok": false, "error": "channel_not_found"}')
    refusing = Receiver([not_found])
    with refusing.running() as r, pytest.raises(PermanentDeliveryError, match="not_found") as info:
        send(r, digest_of([item(1, "Tokyo")]), token=True)
    assert "xoxb" not in str(info.value)
    limited = Reply(200, '{"ok": false, "error": "ratelimited"}', {"Retry-After": "2"})
    with Receiver([limited], default=Reply(200, '{"ok": true}')).running() as r:
        sleeps = send(r, digest_of([item(1, "Tokyo")]), token=True)
    assert sleeps == [2.0] and len(r.requests) == 2


def test_highlights_are_bold_with_zero_width_spaces_only_inside_words() -> None:
    from bot.digest.slack import snippet_mrkdwn

    runs = [("an ", False), ("ODA", True), (" loan, ", False), ("日本", True), ("と", False)]
    assert snippet_mrkdwn(runs) == "an *ODA* loan, *日本*\u200bと"
    assert snippet_mrkdwn([("<b>", True)]) == "*&lt;b&gt;*"


def test_pacing_holds_across_digests_sent_by_one_notifier() -> None:
    sleeps = Sleeps()
    with Receiver().running() as r:
        n = create_notifier(
            destination(SlackOptions(webhook_url=r.url + WEBHOOK_PATH), kind="slack"), sleep=sleeps
        )
        paced(n, sleeps)
        n.send(digest_of([item(1, "Tokyo")]))
        sleeps.now += 0.25  # the next digest comes a quarter of a second later
        n.send(digest_of([item(2, "Hanoi")]))
        sleeps.now += 5.0  # and one much later: no wait
        n.send(digest_of([item(3, "Osaka")]))
    assert sleeps == [0.75] and len(r.requests) == 3


def test_in_place_waiting_is_bounded_per_send() -> None:
    limited = Reply(429, "", {"Retry-After": "50"})
    sleeps = Sleeps()
    with Receiver(default=limited).running() as r:
        n = create_notifier(
            destination(SlackOptions(webhook_url=r.url + WEBHOOK_PATH), kind="slack"), sleep=sleeps
        )
        with pytest.raises(TransientDeliveryError) as info:
            n.send(digest_of([item(1, "Tokyo")]))
    assert sleeps == [50.0, 50.0]  # a third wait would pass two minutes: handed to the outbox
    assert info.value.retry_after == 50.0 and len(r.requests) == 3
