"""The feedback service's HTML: small, plain pages readable on a phone, in the reader's language.

The templates (``bot/feedback/templates``) say their words through the same translator and
catalogs as the digests (bot.i18n; ``make messages`` extracts them). Everything is escaped (Jinja2
autoescape); no script, no external resource, so the pages' CSP can forbid both."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from bot.i18n import Translator
from bot.store import FeedbackItem

TEMPLATES = Path(__file__).parent / "templates"

#: form field caps, also enforced server-side (bot.feedback.web)
NOTE_CHARS, URL_CHARS = 1000, 2000


@dataclass(frozen=True, slots=True)
class RuleVerdict:
    """One rule's verdict on a missed article, as the page lists it."""

    rule: str
    matched: bool
    score: float
    terms: tuple[str, ...]
    closest: bool = False


class Pages:
    """The pages in one reader's language (`tr`); the service keeps one per locale it has served."""

    def __init__(self, tr: Translator) -> None:
        self.tr = tr
        self.env = Environment(
            loader=FileSystemLoader(str(TEMPLATES)),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            extensions=["jinja2.ext.i18n"],
        )
        # newstyle, as the digests' templates: `_("… %(name)s", name=x)` escapes what it fills in
        self.env.install_gettext_callables(  # type: ignore[attr-defined]
            tr.gettext, tr.ngettext, newstyle=True, pgettext=tr.pgettext
        )

    def _render(self, template: str, heading: str, **values: object) -> str:
        return self.env.get_template(template).render(
            lang=self.tr.locale,
            heading=heading,
            note_chars=NOTE_CHARS,
            url_chars=URL_CHARS,
            **values,
        )

    def vote(
        self,
        item: FeedbackItem,
        *,
        verdict: str,
        done: bool,
        other_url: str | None,
        titles: Mapping[str, str] | None = None,
    ) -> str:
        """`titles`: rule -> the title it is shown by (a rule without one is shown by its name)."""
        relevant = verdict == "relevant"
        heading = self.tr._("Mark as relevant") if relevant else self.tr._("Mark as not relevant")
        return self._render(
            "vote.html",
            heading,
            item=item,
            verdict=verdict,
            done=done,
            other_url=other_url,
            titles=titles or {},
        )

    def missed(
        self,
        *,
        url: str = "",
        error: str | None = None,
        title: str = "",
        link: str | None = None,
        results: Sequence[RuleVerdict] | None = None,
        titles: Mapping[str, str] | None = None,
    ) -> str:
        return self._render(
            "missed.html",
            self.tr._("Missed an article?"),
            url=url,
            error=error,
            title=title,
            link=link,
            results=results,
            titles=titles or {},
        )

    def error(self, message: str) -> str:
        """An error page saying `message` (an English msgid, marked with `N_` where it is defined)."""
        return self._render("error.html", self.tr._("Error"), message=self.tr._(message))
