"""The feedback URLs a digest carries: made here, once, for every channel.

`with_feedback` gives each entry of a digest its "Relevant" / "Not relevant" links and the digest
its "Missed an article?" link; renderers only lay them out (bot.digest.view passes them on).
"""

from __future__ import annotations

from dataclasses import replace

from bot.config import FeedbackConfig
from bot.feedback.tokens import Ballot, Verdict, sign
from bot.models import Digest, DigestEntry, DigestGroup, FeedbackLinks


def feedback_url(
    config: FeedbackConfig, *, item_id: int, destination: str, verdict: Verdict
) -> str:
    """``{base_url}/feedback/{token}`` (``/missed/{token}`` for the per-digest miss link)."""
    token = sign(Ballot(item_id, destination, verdict), secret=config.secret)
    kind = "missed" if verdict == "missed" else "feedback"
    return f"{config.base_url}/{kind}/{token}"


def entry_links(config: FeedbackConfig, *, item_id: int, destination: str) -> FeedbackLinks:
    def url(verdict: Verdict) -> str:
        return feedback_url(config, item_id=item_id, destination=destination, verdict=verdict)

    return FeedbackLinks(relevant=url("relevant"), not_relevant=url("not_relevant"))


def with_feedback(digest: Digest, config: FeedbackConfig) -> Digest:
    """`digest` with feedback links on every entry and the digest's "missed an article?" link."""

    def entry(e: DigestEntry) -> DigestEntry:
        return replace(
            e, feedback=entry_links(config, item_id=e.item_id, destination=digest.destination)
        )

    groups = tuple(
        DigestGroup(name=g.name, entries=tuple(entry(e) for e in g.entries), title=g.title)
        for g in digest.groups
    )
    missed = feedback_url(config, item_id=0, destination=digest.destination, verdict="missed")
    return replace(digest, groups=groups, missed_url=missed)
