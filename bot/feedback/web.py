"""The feedback web service: aiohttp, inside whatever asyncio event loop runs it (the daemon's).

    GET  /feedback/{token}   the article, the rules and terms that matched, a confirm button
    POST /feedback/{token}   records the vote (form field `note`), then 303 to ``?done=1``
    GET  /missed/{token}     a form for the address of an article the digest missed
    POST /missed/{token}     fetches it through the SSRF guard, shows `rules explain`, records it

Each is answered at the root and under the path of `base_url` (``/newsbot/feedback/{token}`` for
``https://news.example.org/newsbot``), so the links work whether the reverse proxy strips that
prefix or passes the path on unchanged; every link a page makes is relative to the page itself.

A GET never records: mail link scanners and chat unfurlers fetch every link they see. There are no
cookies or sessions, so there is nothing for a cross-site request to ride on; the authority to
record is the signed token in the form's own URL, which only the digest's readers have.
"""

from __future__ import annotations

import asyncio
import ipaddress
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from aiohttp import web

from bot.config import DestinationConfig, FeedbackConfig
from bot.digest.view import is_web_link
from bot.errors import FeedbackError, FetchError
from bot.feedback.links import feedback_url
from bot.feedback.missed import article_document, rule_verdicts
from bot.feedback.pages import NOTE_CHARS, URL_CHARS, Pages
from bot.feedback.terms import shown_terms
from bot.feedback.tokens import Ballot, Verdict, verify
from bot.fetch import Fetcher
from bot.i18n import N_, load_translator, pick_locale
from bot.log import get_logger, kv
from bot.models import Clock, utcnow
from bot.rules import RuleSet, rule_titles
from bot.store import FeedbackItem, Store

log = get_logger("feedback")

#: a form holds a note and a URL: anything bigger is not ours (aiohttp answers 413)
MAX_BODY = 16 * 1024
#: the pages load nothing and run nothing; the token in the URL must not leak through a Referer
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Robots-Tag": "noindex, nofollow",
}
#: what the error pages say (translated when shown)
BAD_TOKEN = N_("This link is not valid (it may have been cut or changed).")
NOT_FOUND = N_("This article is no longer stored.")
RATE_LIMITED = N_("Too many requests; please try again in a minute.")


class RateLimiter:
    """A token bucket per client: `per_minute` requests, refilled evenly."""

    def __init__(self, per_minute: int, *, monotonic: Callable[[], float]) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.monotonic = monotonic
        self.buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, at)

    def wait(self, client: str) -> float:
        """0 when `client` may go ahead (and takes a token), else seconds until it may."""
        now = self.monotonic()
        if len(self.buckets) > 10_000:  # forget clients whose bucket has refilled anyway
            full = self.capacity / self.rate
            self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < full}
        tokens, at = self.buckets.get(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - at) * self.rate)
        if tokens < 1.0:
            self.buckets[client] = (tokens, now)
            return (1.0 - tokens) / self.rate
        self.buckets[client] = (tokens - 1.0, now)
        return 0.0


@dataclass
class FeedbackService:
    """What the service needs, passed in: the daemon hands over its store, rules and fetcher."""

    config: FeedbackConfig
    store: Store
    rules: Callable[[], RuleSet]  # the rules in force now (the daemon reloads them)
    fetcher: Fetcher
    #: destination -> its `locale`: a page opened from a desk's digest is in the desk's language
    locales: Mapping[str, str] = field(default_factory=dict)
    clock: Clock = utcnow
    monotonic: Callable[[], float] = time.monotonic
    limiter: RateLimiter = field(init=False)
    #: locale -> its pages, made when a reader first asks for that language
    by_locale: dict[str, Pages] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.limiter = RateLimiter(self.config.rate_limit, monotonic=self.monotonic)

    def reconfigure(
        self, config: FeedbackConfig, *, fetcher: Fetcher, locales: Mapping[str, str] | None = None
    ) -> None:
        """A reload's new settings (and the fetcher that replaced a reloaded one)."""
        if config.rate_limit != self.config.rate_limit:
            self.limiter = RateLimiter(config.rate_limit, monotonic=self.monotonic)
        self.config, self.fetcher = config, fetcher
        if locales is not None:
            self.locales = locales

    @property
    def prefix(self) -> str:
        """The path of `base_url` ("/newsbot"), "" when it has none."""
        return urlsplit(self.config.base_url).path.rstrip("/")

    def pages(self, request: web.Request, *, destination: str | None = None,
              item_lang: str | None = None) -> Pages:  # fmt: skip
        """The pages in the destination's locale, else the item's language, else the browser's
        (Accept-Language), else English."""
        desk = self.locales.get(destination) if destination is not None else None
        locale = pick_locale([desk, item_lang], request.headers.get("Accept-Language"))
        if locale not in self.by_locale:
            self.by_locale[locale] = Pages(load_translator(locale))
        return self.by_locale[locale]


def desk_locales(destinations: Iterable[DestinationConfig]) -> dict[str, str]:
    """Destination -> its locale, as `FeedbackService.locales` takes them."""
    return {d.name: d.locale for d in destinations}


def client_of(request: web.Request) -> str:
    """The client's address; behind a reverse proxy on this host, the address it forwarded."""
    remote = request.remote or "?"
    forwarded = request.headers.get("X-Forwarded-For", "")
    try:
        local = ipaddress.ip_address(remote).is_loopback
    except ValueError:
        local = False
    if local and forwarded:
        return forwarded.split(",")[-1].strip()[:64]
    return remote


def _html(text: str, *, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8")


def make_app(service: FeedbackService) -> web.Application:
    @web.middleware
    async def limit(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        wait = service.limiter.wait(client_of(request))
        if wait:
            response = _html(service.pages(request).error(RATE_LIMITED), status=429)
            response.headers["Retry-After"] = str(max(1, round(wait)))
            return response
        return await handler(request)

    async def secure(_request: web.Request, response: web.StreamResponse) -> None:
        response.headers.update(HEADERS)

    app = web.Application(client_max_size=MAX_BODY, middlewares=[limit])
    app.on_response_prepare.append(secure)
    handlers = _Handlers(service)
    # {prefix}: "" or base_url's path ("newsbot/"), checked per request: a reload may change it
    at = "/{prefix:(?:[^/]+/)*}"
    app.router.add_get(at + "feedback/{token}", handlers.vote_form)
    app.router.add_post(at + "feedback/{token}", handlers.vote)
    app.router.add_get(at + "missed/{token}", handlers.missed_form)
    app.router.add_post(at + "missed/{token}", handlers.missed)
    app.router.add_get(at + "healthz", handlers.health)
    return app


class _Handlers:
    def __init__(self, service: FeedbackService) -> None:
        self.s = service

    def _ballot(self, request: web.Request, *, missed: bool) -> Ballot:
        """The token's ballot; 403 for a token we did not sign, 404 for the wrong kind of page
        or a path prefix that is not base_url's."""
        pages = self.s.pages(request)
        if request.match_info["prefix"] not in ("", self.s.prefix.lstrip("/") + "/"):
            raise web.HTTPNotFound(text=pages.error(NOT_FOUND), content_type="text/html")
        try:
            ballot = verify(request.match_info["token"], secret=self.s.config.secret)
        except FeedbackError:
            raise web.HTTPForbidden(text=pages.error(BAD_TOKEN), content_type="text/html") from None
        if (ballot.verdict == "missed") != missed:
            raise web.HTTPNotFound(text=pages.error(BAD_TOKEN), content_type="text/html")
        return ballot

    def _item(self, request: web.Request, ballot: Ballot) -> FeedbackItem:
        item = self.s.store.feedback_item(ballot.item_id)
        if item is None:
            pages = self.s.pages(request, destination=ballot.destination)
            raise web.HTTPNotFound(text=pages.error(NOT_FOUND), content_type="text/html")
        return item

    async def vote_form(self, request: web.Request) -> web.Response:
        ballot = self._ballot(request, missed=False)
        item = self._item(request, ballot)
        other: Verdict = "not_relevant" if ballot.verdict == "relevant" else "relevant"
        # relative: the sibling of this page's own path, however the proxy maps base_url
        other_url = feedback_url(
            self.s.config, item_id=ballot.item_id, destination=ballot.destination, verdict=other
        ).rsplit("/", 1)[1]
        pages = self.s.pages(request, destination=ballot.destination, item_lang=item.lang)
        ruleset = self.s.rules()
        page = pages.vote(
            _shown(item, shown_terms(ruleset, item)),
            verdict=ballot.verdict,
            done=request.query.get("done") == "1",
            other_url=other_url,
            titles=_titles(ruleset, pages.tr.locale),
        )
        return _html(page)

    async def vote(self, request: web.Request) -> web.Response:
        ballot = self._ballot(request, missed=False)
        item = self._item(request, ballot)
        form = await request.post()
        note = str(form.get("note", ""))[:NOTE_CHARS]
        self.s.store.record_feedback(
            item, destination=ballot.destination, verdict=ballot.verdict, note=note,
            now=self.s.clock(),
        )  # fmt: skip
        log.info(kv("feedback_recorded", verdict=ballot.verdict, destination=ballot.destination,
                    item=ballot.item_id))  # fmt: skip
        # relative: right behind a reverse proxy that maps base_url to a path prefix
        raise web.HTTPSeeOther(location=f"{request.match_info['token']}?done=1")

    async def missed_form(self, request: web.Request) -> web.Response:
        ballot = self._ballot(request, missed=True)
        return _html(self.s.pages(request, destination=ballot.destination).missed())

    async def missed(self, request: web.Request) -> web.Response:
        ballot = self._ballot(request, missed=True)
        pages = self.s.pages(request, destination=ballot.destination)
        form = await request.post()
        url = str(form.get("url", "")).strip()[:URL_CHARS]
        note = str(form.get("note", ""))[:NOTE_CHARS]
        if not is_web_link(url):
            error = pages.tr._("Enter an http:// or https:// address.")
            return _html(pages.missed(url=url, error=error), status=400)
        try:
            html = await self.s.fetcher.fetch_article(url)  # untrusted: the SSRF guard applies
        except FetchError as exc:
            error = pages.tr._("That page could not be fetched") + f": {exc}"
            return _html(pages.missed(url=url, error=error), status=422)
        doc = await asyncio.to_thread(article_document, html)
        ruleset = self.s.rules()
        verdicts = rule_verdicts(ruleset, doc)
        item = FeedbackItem(
            title=doc.title or url,
            link=url,
            content=doc.content,
            lang=doc.lang,
            outlet=urlsplit(url).hostname or "",
            rules=tuple(v.rule for v in verdicts if v.matched),
            terms=tuple(dict.fromkeys(t for v in verdicts for t in v.terms)),
        )
        self.s.store.record_feedback(
            item, destination=ballot.destination, verdict="missed", note=note, now=self.s.clock()
        )
        log.info(kv("feedback_recorded", verdict="missed", destination=ballot.destination))
        pages = self.s.pages(request, destination=ballot.destination, item_lang=doc.lang)
        page = pages.missed(title=item.title, link=url, results=verdicts,
                            titles=_titles(ruleset, pages.tr.locale))  # fmt: skip
        return _html(page)

    async def health(self, _request: web.Request) -> web.Response:
        return web.Response(text="ok\n")


def _shown(item: FeedbackItem, terms: tuple[str, ...]) -> FeedbackItem:
    """What the page shows: only http(s) links become links (no javascript: from a feed)."""
    link = item.link if is_web_link(item.link) else None
    return FeedbackItem(title=item.title, link=link, outlet=item.outlet, lang=item.lang,
                        item_id=item.item_id, rules=item.rules, terms=terms)  # fmt: skip


def _titles(ruleset: RuleSet, lang: str) -> dict[str, str]:
    """Rule -> its title in `lang` (the pages name rules as the digests' sections do)."""
    return {name: text for name, title in rule_titles(ruleset).items() if (text := title.get(lang))}


async def start_service(service: FeedbackService) -> web.AppRunner:
    """Serve on the configured address in the running loop; `await runner.cleanup()` stops it."""
    runner = web.AppRunner(make_app(service), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, service.config.host, service.config.port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        where = f"{service.config.host}:{service.config.port}"
        raise FeedbackError(f"feedback: cannot listen on {where}: {exc.strerror}") from None
    log.info(kv("feedback_serving", listen=_address(runner), base_url=service.config.base_url))
    return runner


def _address(runner: web.AppRunner) -> str:
    host, port = runner.addresses[0][:2]
    return f"{host}:{port}"


def bound_port(runner: web.AppRunner) -> int:
    """The port actually bound (the config may say 0: any free port, as tests do)."""
    return int(runner.addresses[0][1])
