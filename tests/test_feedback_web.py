"""The feedback service in this test's event loop, over loopback HTTP (httpx as the client)."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from ipaddress import IPv4Address, IPv6Address, ip_address
from pathlib import Path

import httpx
import pytest

import bot
from bot.feedback.links import feedback_url
from bot.feedback.tokens import Ballot, sign
from bot.feedback.web import FeedbackService, bound_port, desk_locales, start_service
from bot.fetch import Fetcher
from bot.rules import load_rules
from bot.store import Store
from tests.feedback_helpers import SECRET, Stored, stored_state
from tests.servers import FeedServer, running
from tests.test_fetch_support import fast_settings

ARTICLE = """<!doctype html><html lang="en"><head><title>Vietnam and Japan open a joint
semiconductor lab</title></head><body><nav>Home | World</nav><article><h1>Vietnam and Japan open a
joint semiconductor lab</h1><p>Engineers from Vietnam and Japan will train together in Hanoi.</p>
<p>The lab opens next spring with support from both governments.</p></article></body></html>"""


@pytest.fixture
def stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Stored]:
    with stored_state(tmp_path, monkeypatch) as s:
        yield s


class Service:
    def __init__(self, stored: Stored, service: FeedbackService, base: str) -> None:
        self.stored, self.service, self.base = stored, service, base

    def url(self, item_id: int, verdict: str, destination: str = "desk-slack") -> str:
        cfg = self.service.config
        return feedback_url(cfg, item_id=item_id, destination=destination, verdict=verdict)  # type: ignore[arg-type]

    def local(self, url: str) -> str:
        return url.replace(self.service.config.base_url, self.base)


def public_loopback(ip: IPv4Address | IPv6Address) -> bool:
    # for these tests 127.0.0.1 plays the public web; every other address stays refused
    return ip == ip_address("127.0.0.1")


@pytest.fixture
async def service(stored: Stored) -> AsyncIterator[Service]:
    config = stored.config()
    assert config.feedback is not None
    ruleset = load_rules([stored.rules])
    with Store(stored.state) as store:
        async with Fetcher(
            settings=fast_settings(), user_agent=bot.USER_AGENT, address_policy=public_loopback
        ) as fetcher:
            svc = FeedbackService(
                config=config.feedback, store=store, rules=lambda: ruleset, fetcher=fetcher
            )
            runner = await start_service(svc)
            try:
                yield Service(stored, svc, f"http://127.0.0.1:{bound_port(runner)}")
            finally:
                await runner.cleanup()


async def test_get_shows_the_item_and_never_records(service: Service) -> None:
    item = service.stored.item_id("Vietnam and Japan fans crowd a karaoke contest in Osaka")
    url = service.local(service.url(item, "not_relevant"))
    async with httpx.AsyncClient() as client:
        for _ in range(3):  # a link scanner, an unfurler, the reader
            r = await client.get(url)
            assert r.status_code == 200
    assert "karaoke contest in Osaka" in r.text
    assert "Harbour Times" in r.text
    assert "vn-jp" in r.text and "Vietnam" in r.text  # matched rule and terms
    assert 'id="confirm"' in r.text and "Confirm: not relevant" in r.text
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert "default-src 'none'" in r.headers["Content-Security-Policy"]
    assert service.stored.feedback_rows() == []


async def test_post_records_once_and_redirects_to_a_thank_you(service: Service) -> None:
    item = service.stored.item_id("Japan and Vietnam sign coast guard patrol deal")
    url = service.local(service.url(item, "relevant"))
    async with httpx.AsyncClient() as client:
        r = await client.post(url, data={"note": "exactly <our> beat"})
        assert r.status_code == 303
        token = url.rsplit("/", 1)[1]
        assert r.headers["Location"] == f"{token}?done=1"
        done = await client.get(url + "?done=1")
    assert "Thank you" in done.text and 'id="confirm"' not in done.text
    assert service.stored.feedback_rows() == [
        ("relevant", "desk-slack", item, "exactly <our> beat")
    ]


async def test_page_in_the_desks_language_then_the_items(service: Service) -> None:
    item = service.stored.item_id("Nhật Bản và Việt Nam ký thỏa thuận lao động")
    with service.stored.cfg.open("a", encoding="utf-8") as fh:
        fh.write('[[destinations]]\nname = "tokyo-desk"\ntype = "slack"\n'
                 'webhook_url = "${SLACK_WEBHOOK_URL}"\nlocale = "ja"\n')  # fmt: skip
    config = service.stored.config()
    assert config.feedback is not None
    svc = service.service
    svc.reconfigure(config.feedback, fetcher=svc.fetcher, locales=desk_locales(config.destinations))
    desk = service.local(service.url(item, "not_relevant", destination="tokyo-desk"))
    gone = service.local(service.url(item, "relevant", destination="a-removed-desk"))
    async with httpx.AsyncClient() as client:
        # the item declares no language (common) and the browser asks for none
        tokyo = await client.get(desk)
        browser = await client.get(gone, headers={"Accept-Language": "ja-JP,ja;q=0.9"})
        with sqlite3.connect(service.stored.state) as db:  # as a feed with `lang = "vi"` stores it
            db.execute("UPDATE items SET lang = 'vi' WHERE id = ?", (item,))
        still = await client.get(desk, headers={"Accept-Language": "id"})
        item_lang = await client.get(gone, headers={"Accept-Language": "ja-JP,ja;q=0.9"})
    assert 'lang="ja"' in tokyo.text and "確定：関連なし" in tokyo.text  # the desk's
    assert 'lang="ja"' in still.text  # the desk's, before the item's and the browser's
    assert 'lang="ja"' in browser.text and "確定：関連あり" in browser.text  # the browser's
    assert 'lang="vi"' in item_lang.text and "Xác nhận: liên quan" in item_lang.text  # the item's


async def test_page_shows_rule_titles_and_whole_rule_terms(service: Service) -> None:
    rules = service.stored.rules
    rules.write_text(
        rules.read_text(encoding="utf-8").replace(
            "    description: Both countries named\n",
            "    description: Both countries named\n"
            "    title: {en: Vietnam and Japan, ja: 日本・ベトナム}\n"
            "    any: [日越, 越, 越首脳, Việt Nam]\n",
        ),
        encoding="utf-8",
    )
    ruleset = load_rules([rules])
    service.service.rules = lambda: ruleset
    item = service.stored.item_id("Nhật Bản và Việt Nam ký thỏa thuận lao động")
    with sqlite3.connect(service.stored.state) as db:
        # typed without diacritics, with the Japanese headline's compound in the text
        db.execute("UPDATE items SET title = ?, summary = ? WHERE id = ?",
                   ("Nhat Ban va Viet Nam ky thoa thuan", "日越首脳が電話会談", item))  # fmt: skip
    async with httpx.AsyncClient() as client:
        en = await client.get(service.local(service.url(item, "relevant")))
        ja = await client.get(
            service.local(service.url(item, "relevant", destination="gone")),
            headers={"Accept-Language": "ja"},
        )
    chips = re.findall(r"<li>([^<]*)</li>", en.text)
    assert "Vietnam and Japan" in chips and "vn-jp" not in chips  # the title, not the id
    assert "日本・ベトナム" in re.findall(r"<li>([^<]*)</li>", ja.text)
    assert "Việt Nam" in chips and "Nhật Bản" in chips  # as the rule writes them
    assert "Viet Nam" not in chips and "Nhat Ban" not in chips  # not as the text typed them
    assert "日越" in chips and "越首脳" not in chips and "越" not in chips  # no piece of 日越首脳


async def test_links_work_under_base_urls_path_with_or_without_the_prefix(service: Service) -> None:
    svc = service.service
    svc.reconfigure(replace(svc.config, base_url=f"{service.base}/nb"), fetcher=svc.fetcher)
    item = service.stored.item_id("Japan and Vietnam sign coast guard patrol deal")
    public = service.url(item, "relevant")
    assert public.startswith(f"{service.base}/nb/feedback/")
    token = public.rsplit("/", 1)[1]
    async with httpx.AsyncClient() as client:
        # a proxy that passes the path on (nginx `proxy_pass http://127.0.0.1:8087;`), and one
        # that strips the prefix (`proxy_pass http://127.0.0.1:8087/;`)
        for url in (public, f"{service.base}/feedback/{token}"):
            page = await client.get(url)
            assert page.status_code == 200, url
            found = re.search(r'<a href="([^"]+)">Not relevant after all\?', page.text)
            assert found is not None
            other = httpx.URL(url).join(found.group(1))  # relative to the page the reader is on
            assert str(other).rsplit("/", 1)[0] == url.rsplit("/", 1)[0]
            assert "Confirm: not relevant" in (await client.get(other)).text
            missed = service.url(0, "missed")
            assert (
                await client.get(missed.replace(f"{service.base}/nb", url.split("/feedback")[0]))
            ).status_code == 200
        posted = await client.post(public, data={"note": ""})
        assert posted.status_code == 303
        assert str(httpx.URL(public).join(posted.headers["Location"])) == f"{public}?done=1"
        assert "Thank you" in (await client.get(f"{public}?done=1")).text
        elsewhere = await client.get(f"{service.base}/other/feedback/{token}")
        assert elsewhere.status_code == 404
    assert service.stored.feedback_rows() == [("relevant", "desk-slack", item, "")]


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_tampered_token_is_403(service: Service, method: str) -> None:
    item = service.stored.item_id("Japan and Vietnam sign coast guard patrol deal")
    good = service.local(service.url(item, "relevant"))
    payload, _mac = good.rsplit("/", 1)[1].split(".")
    forged = sign(Ballot(item, "desk-slack", "not_relevant"), secret="guessed-secret-000000")
    bad = [
        good[:-1] + ("A" if good[-1] != "A" else "B"),  # one character of the MAC
        good.replace(payload, sign(Ballot(item + 1, "desk-slack", "relevant"), secret=SECRET)
                     .split(".")[0]),  # another item's payload under this MAC
        f"{service.base}/feedback/{forged}",  # signed with the wrong secret
        f"{service.base}/feedback/{payload}",  # no MAC at all
    ]  # fmt: skip
    async with httpx.AsyncClient() as client:
        for url in bad:
            r = await client.request(method, url, data={"note": "x"} if method == "POST" else None)
            assert r.status_code == 403, url
            assert "not valid" in r.text
    assert service.stored.feedback_rows() == []


async def test_unknown_item_is_404(service: Service) -> None:
    async with httpx.AsyncClient() as client:
        r = await client.get(service.local(service.url(99999, "relevant")))
        assert r.status_code == 404
        # a "missed" token is not a vote link, nor a vote token a "missed" link
        r = await client.get(
            service.local(service.url(0, "missed")).replace("/missed/", "/feedback/")
        )
        assert r.status_code == 404


async def test_body_cap_and_note_cap(service: Service) -> None:
    item = service.stored.item_id("Japan and Vietnam sign coast guard patrol deal")
    url = service.local(service.url(item, "relevant"))
    async with httpx.AsyncClient() as client:
        r = await client.post(url, data={"note": "x" * 40_000})
        assert r.status_code == 413
        r = await client.post(url, data={"note": "y" * 5000})
        assert r.status_code == 303
    (row,) = service.stored.feedback_rows()
    assert len(row[3]) == 1000


async def test_rate_limit_per_client(service: Service) -> None:
    service.service.limiter.capacity = 3.0
    service.service.limiter.rate = 3 / 60
    item = service.stored.item_id("Japan and Vietnam sign coast guard patrol deal")
    url = service.local(service.url(item, "relevant"))
    async with httpx.AsyncClient() as client:
        codes = [(await client.get(url)).status_code for _ in range(4)]
        other = await client.get(url, headers={"X-Forwarded-For": "203.0.113.9"})
    assert codes == [200, 200, 200, 429]
    assert other.status_code == 200  # another reader behind the same local proxy


async def test_item_text_is_escaped(service: Service) -> None:
    item = service.stored.item_id("Japan and Vietnam sign coast guard patrol deal")
    with sqlite3.connect(service.stored.state) as db:
        db.execute(
            "UPDATE items SET title = ?, link = ? WHERE id = ?",
            ('<script>alert(1)</script> "Japan"', "javascript:alert(1)", item),
        )
    async with httpx.AsyncClient() as client:
        r = await client.get(service.local(service.url(item, "relevant")))
    assert "<script>" not in r.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert "javascript:" not in r.text


async def test_missed_article_is_fetched_explained_and_recorded(service: Service) -> None:
    site = FeedServer()
    article = site.serve("/lab.html", ARTICLE, ctype="text/html; charset=utf-8")
    url = service.local(service.url(0, "missed"))
    with running(site):
        async with httpx.AsyncClient() as client:
            form = await client.get(url)
            assert 'name="url"' in form.text and service.stored.feedback_rows() == []
            r = await client.post(url, data={"url": article, "note": "the lab story"})
    assert r.status_code == 200
    assert "Recorded as missed" in r.text
    assert re.search(r"vn-jp</strong>\s*<span class=\"muted\">matches", r.text)
    assert service.stored.feedback_rows() == [("missed", "desk-slack", None, "the lab story")]


async def test_missed_article_on_an_internal_address_is_refused(service: Service) -> None:
    url = service.local(service.url(0, "missed"))
    async with httpx.AsyncClient() as client:
        r = await client.post(url, data={"url": "http://127.0.0.2:9/admin"})
        bad = await client.post(url, data={"url": "file:///etc/passwd"})
    assert r.status_code == 422 and "non-global address 127.0.0.2" in r.text
    assert bad.status_code == 400
    assert service.stored.feedback_rows() == []


async def test_reload_takes_a_new_secret(service: Service) -> None:
    item = service.stored.item_id("Japan and Vietnam sign coast guard patrol deal")
    old = service.local(service.url(item, "relevant"))
    cfg = service.service.config
    service.service.reconfigure(
        replace(cfg, secret="a-rotated-secret-0123456789"), fetcher=service.service.fetcher
    )
    new = service.local(service.url(item, "relevant"))
    async with httpx.AsyncClient() as client:
        assert (await client.get(old)).status_code == 403  # links in older digests
        assert (await client.get(new)).status_code == 200
