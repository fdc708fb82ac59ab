"""The upstream HTTP clients of a process: httpx's API over aiohttp's connection pool.

httpx's own transport (httpcore) cost 2-3 ms of CPU per request in connection-pool bookkeeping, more than the
service's whole budget per reference (README, "Speed"); aiohttp's pool, through httpx-aiohttp's transport, about
a fifth of that. Adapters and tests still speak httpx: tests inject a transport and never reach aiohttp.

A throttle counts a request's place in the upstream's window from the moment its bytes were written; httpcore
reports that through the request's `trace` extension, and so does this transport: aiohttp's "request headers sent"
signal (a GET has no body) calls the `trace` hook of the request being sent.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport, HttpxAiohttpClient

from app.settings import Settings

LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)

Trace = Callable[[str, dict[str, Any]], Awaitable[None]]
# The `trace` hook of the request this task is sending (aiohttp signals carry no httpx request).
_trace: contextvars.ContextVar[Trace | None] = contextvars.ContextVar("trace", default=None)


async def _headers_sent(session: aiohttp.ClientSession, context: SimpleNamespace, params: Any) -> None:
    hook = _trace.get()
    if hook is not None:
        await hook("http11.send_request_body.complete", {})


def _writes() -> aiohttp.TraceConfig:
    config = aiohttp.TraceConfig()
    config.on_request_headers_sent.append(_headers_sent)
    return config


class Translating(httpx.AsyncBaseTransport):
    """A transport whose aiohttp failures all arrive as httpx ones, and which passes the request's `trace` hook on.

    httpx-aiohttp translates connection errors and timeouts; a malformed answer (`ClientResponseError`: a bad
    status line or header) it lets through, and adapters, which catch `httpx.HTTPError`, would not see it as an
    upstream failure.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        token = _trace.set(request.extensions.get("trace"))
        try:
            return await self.inner.handle_async_request(request)
        except aiohttp.ClientError as exc:
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}", request=request) from exc
        finally:
            _trace.reset(token)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _traced(transport: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
    """httpx-aiohttp's transport with a session that reports writes; any other transport (tests') as it is."""
    if isinstance(transport, AiohttpTransport) and transport.client is None:
        aiohttp_transport = transport

        def session() -> aiohttp.ClientSession:
            limits = aiohttp_transport.limits
            connector = aiohttp.TCPConnector(
                limit=limits.max_connections or 0,
                keepalive_timeout=limits.keepalive_expiry,
                ssl=aiohttp_transport.ssl_context,
            )
            return aiohttp.ClientSession(connector=connector, trace_configs=[_writes()])

        transport.client = session
    return Translating(transport)


class _NoCookies(httpx.Cookies):
    """A jar that keeps nothing: the APIs answer without sessions, a cookie one reference's answer set has no
    business in the next reference's request, and reading every answer's cookies (http.cookiejar) cost a
    thirtieth of the CPU spent on a reference."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


class UpstreamClient(HttpxAiohttpClient):
    """httpx-aiohttp's client (aiohttp transports, for proxies from the environment too), translating failures,
    keeping no cookies."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cookies = _NoCookies()

    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx.AsyncBaseTransport:
        return _traced(super()._init_transport(*args, **kwargs))

    def _init_proxy_transport(self, *args: Any, **kwargs: Any) -> httpx.AsyncBaseTransport:
        return Translating(super()._init_proxy_transport(*args, **kwargs))


def http_client(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None, *, connections: int | None = None
) -> httpx.AsyncClient:
    """A client for the adapters; `transport` replaces the network (tests); `connections` caps its own pool (an
    upstream that counts requests in flight). Redirects, per-request timeouts, the `sni_hostname` extension
    (app/sources/web.py) and proxies from the environment work as with httpx's own transport."""
    limits = LIMITS if connections is None else httpx.Limits(max_connections=connections)
    return UpstreamClient(transport=transport, headers={"User-Agent": settings.user_agent}, limits=limits)
