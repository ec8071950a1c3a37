"""Render a `Digest` as Slack Block Kit messages, split to fit Slack's limits.

Limits (api.slack.com/reference/block-kit): 50 blocks per message, 3,000 characters per section
text, 150 per header; in practice ~12,000 characters per message. A long digest becomes several
messages, in order, each naming its digest and "part k of n" for readers, and carrying the digest key
invisibly in its first block's ``block_id``; nothing is dropped, and each part knows the items it
carries (so a digest that fails half-way is resumed, not repeated). Feed text is escaped (``&``,
``<``, ``>``) so a title cannot post ``<!channel>``, a mention or a disguised link.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.digest.text import clip
from bot.digest.view import DigestView, EntryView, digest_view, part_label, part_suffix
from bot.i18n import Translator
from bot.models import Digest

MAX_BLOCKS = 50
MAX_SECTION_CHARS = 3000
MAX_HEADER_CHARS = 150
MAX_MESSAGE_CHARS = 12000
_RESERVED_BLOCKS = 2  # "part k of n" label + a repeated group heading
_RESERVED_CHARS = 400
# legacy broadcast words some clients still highlight even without <!...> syntax
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)

Block = dict[str, Any]


def escape(text: str) -> str:
    """Slack mrkdwn escaping of untrusted text: the three characters Slack treats as control."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u2060\\1", text)


def link_target(url: str) -> str:
    """A URL safe inside ``<url|label>``: no ``|`` or ``>`` can end it early."""
    return escape(url.replace("|", "%7C").replace(" ", "%20"))


def mrkdwn(text: str) -> Block:
    return {"type": "mrkdwn", "text": text}


def section(text: str) -> Block:
    return {"type": "section", "text": mrkdwn(clip(text, MAX_SECTION_CHARS))}


def context(text: str) -> Block:
    return {"type": "context", "elements": [mrkdwn(clip(text, MAX_SECTION_CHARS))]}


def entry_text(e: EntryView, tr: Translator) -> str:
    title = escape(e.title)
    head = f"*<{link_target(e.link)}|{title}>*" if e.link else f"*{title}*"
    lines = [head, f"_{escape(e.meta)}_"]
    if e.snippet:
        lines.append(snippet_mrkdwn(e.snippet))
    if e.feedback:
        relevant = linked(tr._("Relevant"), e.feedback.relevant)
        not_relevant = linked(tr._("Not relevant"), e.feedback.not_relevant)
        lines.append(f"{relevant} · {not_relevant}")
    return "\n".join(lines)


def linked(label: str, link: str | None) -> str:
    return f"<{link_target(link)}|{escape(label)}>" if link else escape(label)


def coverage_lines(e: EntryView, tr: Translator) -> list[tuple[str, tuple[int, ...]]]:
    """Every folded article as a link: (mrkdwn line, the item ids it shows)."""
    lines: list[tuple[str, tuple[int, ...]]] = []
    if e.also_covered_by:
        outlets = tr.join(linked(c.outlet, c.link) for c in e.also_covered_by)
        # the wording escaped, then the (already escaped) links put in
        also = escape(tr.gettext("Also covered by %(outlets)s")) % {"outlets": outlets}
        lines.append((also, tuple(c.item_id for c in e.also_covered_by)))
    if e.more_from_outlet:
        n = len(e.more_from_outlet)
        more = tr.n_("+%(num)s more from %(outlet)s:", "+%(num)s more from %(outlet)s:", n,
                     outlet=e.outlet)  # fmt: skip
        lines.append((escape(more), ()))
        lines.extend((f"• {linked(c.title, c.link)}", (c.item_id,)) for c in e.more_from_outlet)
    return lines


def coverage_sections(e: EntryView, tr: Translator) -> list[tuple[Block, tuple[int, ...]]]:
    """The coverage lines in context blocks of at most MAX_SECTION_CHARS each."""
    out: list[tuple[Block, tuple[int, ...]]] = []
    chunk: list[str] = []
    ids: list[int] = []
    for line, line_ids in coverage_lines(e, tr):
        if chunk and sum(len(c) + 1 for c in chunk) + len(line) > MAX_SECTION_CHARS - 100:
            out.append((context("\n".join(chunk)), tuple(ids)))
            chunk, ids = [], []
        chunk.append(clip(line, MAX_SECTION_CHARS - 100))
        ids.extend(line_ids)
    if chunk:
        out.append((context("\n".join(chunk)), tuple(ids)))
    return out


def is_word_boundary(ch: str) -> bool:
    return not ch or ch.isspace() or unicodedata.category(ch)[0] in "PS"


def snippet_mrkdwn(runs: Sequence[tuple[str, bool]]) -> str:
    """Highlighted runs as *bold*. Slack only sees bold at word boundaries, so where a term
    touches other letters (always, in Japanese) a zero-width space is put beside the marker."""
    out: list[str] = []
    for i, (text, hit) in enumerate(runs):
        if not hit or not text.strip():
            out.append(escape(text))
            continue
        before = runs[i - 1][0][-1:] if i else ""
        after = runs[i + 1][0][:1] if i + 1 < len(runs) else ""
        left = "" if is_word_boundary(before) else "\u200b"
        right = "" if is_word_boundary(after) else "\u200b"
        out.append(f"{left}*{escape(text)}*{right}")
    return "".join(out)


def group_heading(tr: Translator, name: str, count: int, *, continued: bool = False) -> Block:
    more = escape(tr._(" (continued)")) if continued else f" · {tr.number(count)}"
    return section(f":newspaper: *{escape(name)}*{more}")


@dataclass(frozen=True, slots=True)
class _Unit:
    """Blocks that must stay together in one message (a group heading stays with its first entry)."""

    blocks: tuple[Block, ...]
    group: str | None
    items: tuple[int, ...] = ()  # the articles these blocks make reachable
    opens_group: bool = False  # starts with its group's heading

    @property
    def chars(self) -> int:
        return sum(block_chars(b) for b in self.blocks)


def block_chars(block: Block) -> int:
    if "text" in block:
        return len(block["text"]["text"])
    return sum(len(el.get("text", "")) for el in block.get("elements", ()))


def footer_blocks(view: DigestView, tr: Translator) -> list[Block]:
    lines: list[str] = []
    # Slack bolds only at a word boundary: a zero-width space where the label has no gap (Japanese)
    gap = tr.label_gap or "\u200b"
    health = escape(tr._("Source health:"))
    if view.health:
        lines.append(f"*{health}*{gap}{escape(view.health_counts)}")
        lines.extend(
            f"{':red_circle:' if h.failing else ':white_circle:'} {escape(h.line)}"
            for h in view.health
        )
    else:
        fine = escape(tr._("every feed fetched normally."))
        lines.append(f"*{health}*{gap}{fine}")
    lines.append(escape(view.times))
    if view.missed_url:
        lines.append(linked(tr._("Missed an article?"), view.missed_url))
    # chunk the footer into context blocks that each stay under the per-text limit
    blocks: list[Block] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and sum(len(c) + 1 for c in chunk) + len(line) > MAX_SECTION_CHARS - 100:
            blocks.append(context("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    blocks.append(context("\n".join(chunk)))
    return blocks


def _units(view: DigestView, tr: Translator) -> list[_Unit]:
    header = {
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": clip(view.headline, MAX_HEADER_CHARS),
            "emoji": True,
        },
    }
    units = [_Unit((header, context(escape(view.summary))), None)]
    if view.is_empty:
        units.append(_Unit((section(escape(tr._("No new articles in this period."))),), None))
    for g in view.groups:
        for i, e in enumerate(g.entries):
            blocks: tuple[Block, ...] = (section(entry_text(e, tr)),)
            if i == 0:
                blocks = (group_heading(tr, g.heading, len(g.entries)), *blocks)
            more = coverage_sections(e, tr)
            shown_later = {n for _, ids in more[1:] for n in ids}
            if more:
                blocks = (*blocks, more[0][0])
            own = tuple(n for n in e.item_ids if n not in shown_later)
            units.append(_Unit(blocks, g.heading, own, opens_group=i == 0))
            # a long "+N more" list continues in blocks of its own, which may start a new message
            units.extend(_Unit((block,), g.heading, ids) for block, ids in more[1:])
    units.extend(_Unit((b,), None) for b in footer_blocks(view, tr))
    return units


def _pack(units: Sequence[_Unit]) -> list[list[_Unit]]:
    messages: list[list[_Unit]] = [[]]
    blocks = chars = 0
    for unit in units:
        n, c = len(unit.blocks), unit.chars
        fits = (
            blocks + n <= MAX_BLOCKS - _RESERVED_BLOCKS
            and chars + c <= MAX_MESSAGE_CHARS - _RESERVED_CHARS
        )
        if messages[-1] and not fits:
            messages.append([])
            blocks = chars = 0
        messages[-1].append(unit)
        blocks, chars = blocks + n, chars + c
    return messages


@dataclass(frozen=True, slots=True)
class SlackPart:
    """One message of a digest and the items it makes reachable."""

    payload: dict[str, Any]
    items: tuple[int, ...]


def digest_block_id(key: str, part: int, total: int) -> str:
    """An invisible marker for the first block of each part: the key's hash, part k of n."""
    return f"newsbot-{hashlib.sha256(key.encode()).hexdigest()[:24]}-{part}-of-{total}"


def slack_parts(digest: Digest, tr: Translator) -> list[SlackPart]:
    """The Block Kit messages for `digest`, in order, each with the item ids it carries."""
    view = digest_view(digest, tr)
    packed = _pack(_units(view, tr))
    total = len(packed)
    fallback = escape(view.dated)
    out: list[SlackPart] = []
    previous_group: str | None = None
    for k, units in enumerate(packed, 1):
        blocks: list[Block] = []
        if k > 1:
            label = part_label(tr, k, total)
            blocks.append(context(escape(f"{view.dated} · {label}")))
            first = units[0]
            if first.group is not None and first.group == previous_group and not first.opens_group:
                blocks.append(group_heading(tr, first.group, 0, continued=True))
        for unit in units:
            blocks.extend(unit.blocks)
            previous_group = unit.group if unit.group is not None else previous_group
        if k == 1 and total > 1:  # the summary under the header says which part this is
            blocks[1] = context(escape(f"{view.summary} · {part_label(tr, 1, total)}"))
        blocks[0] = {**blocks[0], "block_id": digest_block_id(digest.key, k, total)}
        text = fallback + escape(part_suffix(tr, k, total))
        payload = {"text": text, "blocks": blocks, "unfurl_links": False, "unfurl_media": False}
        out.append(SlackPart(payload, tuple(n for u in units for n in u.items)))
    return out


def slack_messages(digest: Digest, tr: Translator) -> list[dict[str, Any]]:
    """The Block Kit payloads for `digest`, in order: ``{"text", "blocks", ...}`` each."""
    return [part.payload for part in slack_parts(digest, tr)]
