"""The one upstream HTTP client of a process: httpx's API over aiohttp's connection pool.

httpx's own transport (httpcore) cost 2-3 ms of CPU per request in connection-pool bookkeeping, more than the
service's whole budget per reference (README, "Speed"); aiohttp's pool, through httpx-aiohttp's transport, about
a fifth of that. Adapters and tests still speak httpx: tests inject a transport and never reach aiohttp.
"""

from __future__ import annotations

from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import HttpxAiohttpClient

from app.settings import Settings

LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)


class Translating(httpx.AsyncBaseTransport):
    """A transport whose aiohttp failures all arrive as httpx ones.

    httpx-aiohttp translates connection errors and timeouts; a malformed answer (`ClientResponseError`: a bad
    status line or header) it lets through, and adapters, which catch `httpx.HTTPError`, would not see it as an
    upstream failure.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return await self.inner.handle_async_request(request)
        except aiohttp.ClientError as exc:
            raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}", request=request) from exc

    async def aclose(self) -> None:
        await self.inner.aclose()


class UpstreamClient(HttpxAiohttpClient):
    """httpx-aiohttp's client (aiohttp transports, for proxies from the environment too), translating failures."""

    def _init_transport(self, *args: Any, **kwargs: Any) -> httpx.AsyncBaseTransport:
        return Translating(super()._init_transport(*args, **kwargs))

    def _init_proxy_transport(self, *args: Any, **kwargs: Any) -> httpx.AsyncBaseTransport:
        return Translating(super()._init_proxy_transport(*args, **kwargs))


def http_client(settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """The client the adapters share; `transport` replaces the network (tests). Redirects, per-request timeouts,
    the `sni_hostname` extension (app/sources/web.py) and proxies from the environment work as with httpx's
    own transport."""
    return UpstreamClient(transport=transport, headers={"User-Agent": settings.user_agent}, limits=LIMITS)
