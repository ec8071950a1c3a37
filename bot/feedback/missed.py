"""A reader's missed article: its page turned into a document, and what each rule says about it."""

from __future__ import annotations

from bs4 import BeautifulSoup

from bot.feedback.pages import RuleVerdict
from bot.feedback.terms import whole_terms
from bot.fetch.fulltext import extract_main_text
from bot.models import Document
from bot.rules import RuleSet

#: the page lists the rules that found something; a ruleset of hundreds would make a long page
MAX_RULES_SHOWN = 12


def article_document(html: str) -> Document:
    """Title from <title> (or the first <h1>), body from the main text, language from <html lang>."""
    soup = BeautifulSoup(html, "lxml")
    heading = soup.title or soup.find("h1")
    root = soup.find("html")
    lang = root.get("lang") if root is not None else None
    return Document(
        title=heading.get_text(" ", strip=True) if heading else "",
        content=extract_main_text(html),
        lang=lang.split("-")[0].lower() if isinstance(lang, str) and lang else None,
    )


def rule_verdicts(ruleset: RuleSet, doc: Document) -> list[RuleVerdict]:
    """Rules that match or found any of their terms, matches first, then by score; the first
    non-matching one is flagged as the closest when nothing matched."""
    prep = ruleset.prepare(doc)
    results = [ruleset.result(name, prep) for name in ruleset.names]
    found = sorted(
        (r for r in results if r.matched or r.hits), key=lambda r: (not r.matched, -r.score, r.rule)
    )[:MAX_RULES_SHOWN]
    nothing_matched = not any(r.matched for r in found)
    return [
        RuleVerdict(
            rule=r.rule,
            matched=r.matched,
            score=round(r.score, 2),
            terms=whole_terms(r.hits),
            closest=nothing_matched and i == 0,
        )
        for i, r in enumerate(found)
    ]
