"""Cut one `Digest` into n smaller digests ("part k of n") for a channel with a size limit (email).

Entries stay in digest order and whole (an entry with its "also covered by" links is never cut);
a group that spans two parts appears in both, under the same heading. Parts are balanced by an
estimate of each entry's rendered size; the channel checks the real size and asks for more parts
when one is still too big.
"""

from __future__ import annotations

from dataclasses import replace

from bot.models import Digest, DigestEntry, DigestGroup

#: rough bytes of markup around one entry in the text + HTML rendering
ENTRY_OVERHEAD = 900
LINK_OVERHEAD = 250


def entry_weight(e: DigestEntry) -> int:
    text = len(e.title) + len(e.snippet) + len(e.link or "") + len(e.outlet)
    links = sum(len(c.title) + len(c.link or "") + len(c.outlet) + LINK_OVERHEAD for c in e.also)
    return ENTRY_OVERHEAD + 2 * text + links


def split_digest(digest: Digest, parts: int) -> list[Digest]:
    """`digest` as at most `parts` digests of about equal size, numbered part 1..n of n."""
    entries = [(g, e) for g in digest.groups for e in g.entries]
    parts = max(1, min(parts, len(entries)))
    if parts == 1:
        return [digest]
    total = sum(entry_weight(e) for _, e in entries)
    chunks: list[list[tuple[DigestGroup, DigestEntry]]] = [[]]
    done = 0
    for g, e in entries:
        # start the next part once this one holds its share (and parts remain to fill)
        if chunks[-1] and len(chunks) < parts and done >= total * len(chunks) / parts:
            chunks.append([])
        chunks[-1].append((g, e))
        done += entry_weight(e)
    return [_part(digest, chunk, k, len(chunks)) for k, chunk in enumerate(chunks, 1)]


def _part(
    digest: Digest, chunk: list[tuple[DigestGroup, DigestEntry]], number: int, total: int
) -> Digest:
    groups: list[DigestGroup] = []
    for g, e in chunk:
        if groups and groups[-1].name == g.name:
            groups[-1] = replace(groups[-1], entries=(*groups[-1].entries, e))
        else:
            groups.append(replace(g, entries=(e,)))
    fired = {r for _, e in chunk for r in e.rules}
    return replace(
        digest,
        groups=tuple(groups),
        rules_fired=tuple(r for r in digest.rules_fired if r in fired),
        part=number,
        parts=total,
    )
