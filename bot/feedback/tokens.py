"""Signed feedback tokens: (item, destination, verdict) in a URL path segment, forgery-proof.

A token is ``<payload>.<mac>``, both base64url without padding. The payload names the item, the
destination and the verdict in the clear (they are not secret: the reader already has the digest);
the MAC is the first 128 bits of HMAC-SHA256 over the payload under a key derived from the
configured secret. Without the secret nobody can make a token for another item, destination or
verdict, so tokens cannot be guessed or enumerated; the secret itself never appears in a URL.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from typing import Literal

from bot.errors import FeedbackError

Verdict = Literal["relevant", "not_relevant", "missed"]
VERDICTS: tuple[Verdict, ...] = ("relevant", "not_relevant", "missed")

#: one letter per verdict keeps links short in chat messages
_CODES: dict[Verdict, str] = {"relevant": "r", "not_relevant": "n", "missed": "m"}
_VERDICTS: dict[str, Verdict] = {c: v for v, c in _CODES.items()}
_MAC_BYTES = 16
#: a token longer than this is refused before any decoding (it cannot be one we made)
MAX_TOKEN_CHARS = 512
#: why the key is derived, not the secret used as is: a secret shared with another HMAC use
#: (the webhook signature, say) still cannot sign feedback
_KEY_LABEL = b"newsbot feedback token v1"


@dataclass(frozen=True, slots=True)
class Ballot:
    """What a token stands for. ``item_id`` is 0 for the per-digest "missed an article?" link."""

    item_id: int
    destination: str
    verdict: Verdict


def _key(secret: str) -> bytes:
    return hmac.new(secret.encode("utf-8"), _KEY_LABEL, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(secret: str, payload: str) -> str:
    digest = hmac.new(_key(secret), payload.encode("ascii"), hashlib.sha256).digest()
    return _b64(digest[:_MAC_BYTES])


def sign(ballot: Ballot, *, secret: str) -> str:
    """The URL-safe token for `ballot`."""
    raw = f"{_CODES[ballot.verdict]}{ballot.item_id}:{ballot.destination}".encode()
    payload = _b64(raw)
    return f"{payload}.{_mac(secret, payload)}"


def verify(token: str, *, secret: str) -> Ballot:
    """The ballot a token stands for. Raises `FeedbackError` for anything we did not sign."""
    if len(token) > MAX_TOKEN_CHARS or token.count(".") != 1:
        raise FeedbackError("feedback: malformed token")
    payload, mac = token.split(".")
    try:
        # compare MACs first, in constant time: nothing about an unsigned payload is parsed
        good = hmac.compare_digest(mac.encode("ascii"), _mac(secret, payload).encode("ascii"))
    except (UnicodeEncodeError, ValueError):
        good = False
    if not good:
        raise FeedbackError("feedback: bad token signature")
    try:
        raw = _unb64(payload).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise FeedbackError("feedback: malformed token") from None
    head, sep, destination = raw.partition(":")
    verdict = _VERDICTS.get(head[:1])
    if not sep or verdict is None or not head[1:].isdigit():
        raise FeedbackError("feedback: malformed token")
    return Ballot(int(head[1:]), destination, verdict)
