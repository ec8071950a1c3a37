"""Render a `Digest` as plain text, HTML (email) or JSON.

Text and HTML come from Jinja2 templates (``digest.txt`` / ``digest.html``); a user's ``templates_dir``
is searched first, so either can be overridden by dropping a file of the same name there. HTML
templates autoescape, so feed text can never become markup.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

import jinja2

from bot.digest.text import wrap_display
from bot.digest.view import UNTITLED, DigestView, digest_view, subject_line, web_link
from bot.i18n import Translator
from bot.models import Coverage, Digest

DEFAULT_TEMPLATES = Path(__file__).parent / "templates"
PLAIN_MARK = ("*", "*")
JSON_VERSION = 1


def _environment(templates_dir: Path | None, tr: Translator) -> jinja2.Environment:
    search = [str(templates_dir)] if templates_dir is not None else []
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([*search, str(DEFAULT_TEMPLATES)]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "htm"), default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        extensions=["jinja2.ext.i18n"],
    )
    # newstyle: `_("… %(name)s", name=x)` fills (and, in HTML, escapes) its placeholders itself
    env.install_gettext_callables(  # type: ignore[attr-defined]
        tr.gettext, tr.ngettext, newstyle=True, pgettext=tr.pgettext
    )
    env.globals["number"] = tr.number
    env.globals["gap"] = tr.label_gap  # between a label's colon and its value
    env.filters["wrap"] = wrap_filter
    return env


def wrap_filter(text: str, width: int = 72, indent: str = "") -> str:
    """``{{ s | wrap(72, "   ") }}``: wrap by display width (CJK-aware), indenting every line."""
    return "\n".join(indent + line for line in wrap_display(text, width))


def _render(
    name: str, view: DigestView, tr: Translator, templates_dir: Path | None, **extra: Any
) -> str:
    env = _environment(templates_dir.resolve() if templates_dir is not None else None, tr)
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound as exc:  # only reachable if the package data went missing
        raise FileNotFoundError(f"digest: template {name} not found") from exc
    return template.render(d=view, **extra)


def render_text(
    digest: Digest,
    tr: Translator,
    *,
    templates_dir: Path | None = None,
    mark: tuple[str, str] = PLAIN_MARK,
) -> str:
    """The plain-text digest (email text part, console, file). `mark` wraps highlighted terms."""
    return _render("digest.txt", digest_view(digest, tr), tr, templates_dir, mark=mark)


def render_html(digest: Digest, tr: Translator, *, templates_dir: Path | None = None) -> str:
    """A complete HTML document with inline CSS, for email clients and browsers."""
    view = digest_view(digest, tr)
    return _render("digest.html", view, tr, templates_dir, subject=subject_line(digest, tr))


def digest_payload(digest: Digest, tr: Translator) -> dict[str, Any]:
    """The JSON document of a digest (webhook body, ``file`` format json, documented in docs/digests.md).
    Machine fields stay as they are; the human-readable ones (subject, titles) are in `tr`'s language."""
    view = digest_view(digest, tr)
    entries = []
    for group in digest.groups:
        for e in group.entries:
            entries.append(
                {
                    "item_id": e.item_id,
                    "group": group.name,
                    "title": e.title or tr.gettext(UNTITLED),
                    "link": web_link(e.link),
                    "outlet": e.outlet,
                    "lang": e.lang,
                    "published": e.published.isoformat() if e.published else None,
                    "snippet": e.snippet,
                    "highlights": [list(span) for span in e.highlights],
                    "score": e.score,
                    "rules": list(e.rules),
                    "tags": list(e.tags),
                    "also_covered_by": coverage_payload(e.also_covered_by),
                    "more_from_outlet": coverage_payload(e.more_from_outlet),
                    "merged_item_ids": list(e.merged_item_ids),
                    "feedback": asdict(e.feedback) if e.feedback else None,
                }
            )
    return {
        "version": JSON_VERSION,
        "key": digest.key,
        "destination": digest.destination,
        "title": view.title,
        "locale": tr.locale,
        "subject": subject_line(digest, tr),
        "period_start": digest.period_start.isoformat() if digest.period_start else None,
        "period_end": digest.period_end.isoformat(),
        "timezone": digest.timezone,
        "count": digest.articles,  # articles delivered, folded duplicates included
        "stories": len(entries),
        "part": digest.part,
        "parts": digest.parts,
        "entries": entries,
        "missed_url": digest.missed_url,
        "groups": [
            {
                "name": g.name,
                "title": g.heading,
                "count": len(g.entries),  # stories filed in this section, as its heading shows
                "item_ids": [e.item_id for e in g.entries],
            }
            for g in digest.groups
        ],
        "rules_fired": [
            {"rule": r, "title": title, "count": n}
            for r, (title, n) in zip(digest.rules_fired, view.rules_fired, strict=True)
        ],
        "source_health": [
            {
                "name": h.name,
                "url": h.url,
                "failing": h.is_failing,
                "disabled": h.disabled,
                "consecutive_failures": h.consecutive_failures,
                "last_success": h.last_success.isoformat() if h.last_success else None,
                "last_error": h.last_error,
            }
            for h in digest.source_health
        ],
    }


def coverage_payload(coverage: tuple[Coverage, ...]) -> list[dict[str, Any]]:
    return [
        {"item_id": c.item_id, "outlet": c.outlet, "title": c.title, "link": web_link(c.link)}
        for c in coverage
    ]


def render_json(digest: Digest, tr: Translator, *, templates_dir: Path | None = None) -> str:
    """`digest_payload` as pretty JSON (UTF-8 text; `templates_dir` is accepted for symmetry)."""
    return json.dumps(digest_payload(digest, tr), ensure_ascii=False, indent=2) + "\n"
