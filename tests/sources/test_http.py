"""The upstream HTTP client: aiohttp underneath unless a transport is injected, failures always httpx's."""

from __future__ import annotations

import asyncio

import aiohttp
import httpx
import pytest
import respx
from aiohttp import web
from aiohttp.test_utils import TestServer
from httpx_aiohttp import AiohttpTransport

from app.errors import SourceUnavailable
from app.models import Reference
from app.settings import Settings
from app.sources.base import with_query
from app.sources.crossref import CrossrefSource
from app.sources.http import Translating, http_client


class MalformedAnswer(httpx.AsyncBaseTransport):
    """What aiohttp raises for a status line or header it cannot parse, and httpx-aiohttp does not translate."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise aiohttp.ClientResponseError(aiohttp.RequestInfo(request.url, "GET", {}), (), message="bad status line")


async def test_without_an_injected_transport_requests_go_out_through_aiohttp(settings: Settings) -> None:
    async with http_client(settings) as client:
        transport = client._transport  # the client's default transport (no request is sent)
        assert isinstance(transport, Translating)
        assert isinstance(transport.inner, AiohttpTransport)


async def test_an_injected_transport_receives_the_requests(router: respx.Router, settings: Settings) -> None:
    router.get("https://upstream.test/x").respond(200, text="ok")
    async with http_client(settings, httpx.MockTransport(router.async_handler)) as client:
        response = await client.get("https://upstream.test/x")
    assert response.text == "ok"
    assert response.request.headers["user-agent"] == settings.user_agent


async def test_a_cookie_an_upstream_sets_is_not_sent_back(router: respx.Router, settings: Settings) -> None:
    route = router.get("https://upstream.test/x").respond(200, headers={"Set-Cookie": "session=1"})
    async with http_client(settings, httpx.MockTransport(router.async_handler)) as client:
        await client.get("https://upstream.test/x")
        await client.get("https://upstream.test/x")
    assert "cookie" not in route.calls.last.request.headers


def test_query_parameters_are_written_as_httpx_writes_them() -> None:
    url = with_query(
        "https://u.test/s", {"q": "a b&c", "n": 5, "on": True, "off": False, "none": None, "k": ["1", "2"]}
    )
    assert httpx.URL(url).params == httpx.QueryParams(
        {"q": "a b&c", "n": 5, "on": True, "off": False, "none": None, "k": ["1", "2"]}
    )
    assert with_query("https://u.test/s?x=1", {"y": 2}) == "https://u.test/s?x=1&y=2"
    assert with_query("https://u.test/s", None) == "https://u.test/s"


async def test_a_malformed_answer_is_an_httpx_error() -> None:
    async with httpx.AsyncClient(transport=Translating(MalformedAnswer())) as client:
        with pytest.raises(httpx.RemoteProtocolError, match="bad status line"):
            await client.get("https://upstream.test/x")


async def test_an_adapter_reports_a_malformed_answer_as_an_upstream_failure(settings: Settings) -> None:
    async with httpx.AsyncClient(transport=Translating(MalformedAnswer())) as client:
        with pytest.raises(SourceUnavailable, match="RemoteProtocolError"):
            await CrossrefSource(client, settings).search(Reference(title="Attention is all you need"))


async def test_the_trace_hook_hears_when_aiohttp_has_written_the_request(settings: Settings) -> None:
    """Throttles count a request's place from its write: aiohttp's headers-sent signal reaches the request's hook."""
    events: list[str] = []

    async def handler(request: web.Request) -> web.Response:
        events.append("answered")
        return web.Response(text="ok")

    async def trace(event: str, info: object) -> None:
        events.append(event)

    app = web.Application()
    app.router.add_get("/x", handler)
    async with TestServer(app, host="127.0.0.1") as server, http_client(settings) as client:
        response = await client.get(str(server.make_url("/x")), extensions={"trace": trace})
    assert response.text == "ok"
    assert events == ["http11.send_request_body.complete", "answered"]


def serve(routes: dict[str, web.Response | str]) -> tuple[TestServer, list[tuple[str, str, str]]]:
    """An aiohttp server on loopback answering each path with a response, or redirecting to the path given; and
    what it was asked (path and query, User-Agent, body)."""
    app = web.Application()

    def answer(path: str, target: web.Response | str) -> None:
        async def handler(request: web.Request) -> web.StreamResponse:
            agents = ", ".join(request.headers.getall("User-Agent", []))
            seen.append((request.path_qs, agents, await request.text()))
            if isinstance(target, str):
                raise web.HTTPFound(target)
            return target

        app.router.add_route("*", path, handler)

    seen: list[tuple[str, str, str]] = []
    for path, target in routes.items():
        answer(path, target)
    return TestServer(app, host="127.0.0.1"), seen


async def test_a_plain_request_reaches_aiohttp_with_its_query_as_written_and_the_client_headers(
    settings: Settings,
) -> None:
    server, seen = serve({"/s": web.Response(text="ok")})
    async with server, http_client(settings) as client:
        response = await client.get(str(server.make_url("/s")) + "?q=a+b%26c&n=5")
    assert (response.status_code, response.text) == (200, "ok")
    assert seen == [("/s?q=a+b%26c&n=5", settings.user_agent, "")]


async def test_a_header_of_a_plain_request_replaces_the_client_s_whatever_its_case(settings: Settings) -> None:
    server, seen = serve({"/s": web.Response(text="ok")})
    async with server, http_client(settings) as client:
        await client.get(str(server.make_url("/s")), headers={"USER-AGENT": "another agent"})
    assert seen[0][1] == "another agent"  # one User-Agent header, the request's


async def test_a_plain_request_follows_redirects_when_asked_and_keeps_the_history(settings: Settings) -> None:
    routes = {"/old": "/new", "/new": web.json_response({"ok": True})}
    server, seen = serve(routes)
    async with server, http_client(settings) as client:
        followed = await client.get(str(server.make_url("/old")), follow_redirects=True)
        kept = await client.get(str(server.make_url("/old")))
    assert (followed.status_code, followed.json(), [r.status_code for r in followed.history]) == (
        200,
        {"ok": True},
        [302],
    )
    assert (kept.status_code, kept.headers["location"], kept.history) == (302, "/new", [])
    assert [path for path, _, _ in seen] == ["/old", "/new", "/old"]


async def test_a_plain_request_sends_its_json_body(settings: Settings) -> None:
    server, seen = serve({"/p": web.Response(status=201)})
    async with server, http_client(settings) as client:
        response = await client.post(str(server.make_url("/p")), json={"ids": ["a"]})
    assert response.status_code == 201
    assert seen[0][2] == '{"ids": ["a"]}'


async def test_a_plain_request_without_an_answer_in_time_is_an_httpx_timeout(settings: Settings) -> None:
    app = web.Application()
    never = asyncio.Event()

    async def stalled(request: web.Request) -> web.Response:
        await never.wait()
        return web.Response()

    app.router.add_get("/slow", stalled)
    async with TestServer(app, host="127.0.0.1") as server, http_client(settings) as client:
        with pytest.raises(httpx.TimeoutException):
            await client.get(str(server.make_url("/slow")), timeout=0.01)


async def test_a_request_with_query_parameters_takes_the_httpx_way_to_the_same_server(settings: Settings) -> None:
    server, seen = serve({"/s": web.Response(text="ok")})
    async with server, http_client(settings) as client:
        response = await client.get(str(server.make_url("/s")), params={"q": "a b"})
    assert response.request.url.params["q"] == "a b"  # built by httpx: the response knows its request
    assert seen[0][0] == "/s?q=a+b"
