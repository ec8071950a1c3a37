"""`bot.http.delivery_client`: the one delivery client carries newsbot's User-Agent and timeout."""

from __future__ import annotations

import httpx

from bot import USER_AGENT
from bot.http import DELIVERY_TIMEOUT, delivery_client


def test_the_delivery_client_sends_the_user_agent_through_the_given_transport() -> None:
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    with delivery_client(transport=httpx.MockTransport(answer)) as http:
        resp = http.post("http://127.0.0.1:9/hook", content=b"{}")
    assert resp.status_code == 204
    [request] = seen
    assert request.headers["User-Agent"] == USER_AGENT
    assert request.extensions["timeout"] == httpx.Timeout(DELIVERY_TIMEOUT).as_dict()
    assert http.is_closed
