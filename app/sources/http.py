"""The upstream HTTP clients of a process: httpx's API over aiohttp's connection pool.

httpx's own transport (httpcore) cost 2-3 ms of CPU per request in connection-pool bookkeeping, more than the
service's whole budget per reference (README, "Speed"); aiohttp's pool, through httpx-aiohttp's transport, about
a fifth of that. Adapters and tests still speak httpx: tests inject a transport and never reach aiohttp.

A plain request (no body but JSON, no query parameters, cookies or auth, no proxy) skips httpx's request pipeline
too: parsing and re-checking the URL character by character, building the request, the auth and redirect
generators and the transport's streaming cost a third of a millisecond a request. It goes to aiohttp directly and
comes back as an `httpx.Response` with the status, headers, body and redirect history (no `request`: nothing
reads it). Requests with anything else, and every request through an injected transport, take httpx's way.

A throttle counts a request's place in the upstream's window from the moment its bytes were written; httpcore
reports that through the request's `trace` extension, and so does this transport: aiohttp's "request headers sent"
signal (a GET has no body) calls the `trace` hook of the request being sent.
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Iterator, Mapping
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

import aiohttp
import httpx
from httpx_aiohttp import AiohttpTransport, HttpxAiohttpClient
from httpx_aiohttp.transport import map_aiohttp_exceptions

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


@contextmanager
def _sending(trace: Trace | None, request: httpx.Request | None = None) -> Iterator[None]:
    """Around sending one request through aiohttp: its `trace` hook where the headers-sent signal finds it, and an
    aiohttp failure that reached here untranslated (a malformed answer) as an httpx protocol error."""
    token = _trace.set(trace)
    try:
        yield
    except aiohttp.ClientError as exc:
        raise httpx.RemoteProtocolError(f"{type(exc).__name__}: {exc}", request=request) from exc
    finally:
        _trace.reset(token)


class Translating(httpx.AsyncBaseTransport):
    """A transport whose aiohttp failures all arrive as httpx ones, and which passes the request's `trace` hook on.

    httpx-aiohttp translates connection errors and timeouts; a malformed answer (`ClientResponseError`: a bad
    status line or header) it lets through, and adapters, which catch `httpx.HTTPError`, would not see it as an
    upstream failure.
    """

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        with _sending(request.extensions.get("trace"), request):
            return await self.inner.handle_async_request(request)

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
    keeping no cookies; plain requests go to aiohttp directly."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._cookies = _NoCookies()
        self._plain_headers = dict(self.headers.items())
        self._timeouts: dict[object, aiohttp.ClientTimeout] = {}
        # Where plain requests go: the aiohttp transport, unless a transport was injected or proxies are mounted.
        inner = self._transport.inner if isinstance(self._transport, Translating) else None
        proxied = any(mounted is not None for mounted in self._mounts.values())
        self._pool = inner if isinstance(inner, AiohttpTransport) and not proxied else None

    async def request(
        self,
        method: str,
        url: httpx.URL | str,
        *,
        # httpx's own parameter types are private (httpx._types): Any accepts whatever its callers pass.
        content: Any = None,
        data: Any = None,
        files: Any = None,
        json: Any = None,
        params: Any = None,
        headers: Any = None,
        cookies: Any = None,
        auth: Any = httpx.USE_CLIENT_DEFAULT,
        follow_redirects: Any = httpx.USE_CLIENT_DEFAULT,
        timeout: Any = httpx.USE_CLIENT_DEFAULT,
        extensions: Mapping[str, Any] | None = None,
    ) -> httpx.Response:
        session = self._direct()
        extra = (content, data, files, params, cookies)
        if (
            session is None
            or not isinstance(url, str)
            or not isinstance(headers, dict | None)
            or any(value is not None for value in extra)
            or auth is not httpx.USE_CLIENT_DEFAULT
            or set(extensions or ()) - {"trace"}
        ):
            return await super().request(
                method,
                url,
                content=content,
                data=data,
                files=files,
                json=json,
                params=params,
                headers=headers,
                cookies=cookies,
                auth=auth,
                follow_redirects=follow_redirects,
                timeout=timeout,
                extensions=extensions,
            )
        follow = follow_redirects if isinstance(follow_redirects, bool) else self.follow_redirects
        with _sending((extensions or {}).get("trace")), map_aiohttp_exceptions():
            async with session.request(
                method,
                url,
                headers=self._merged(headers),
                json=json,
                allow_redirects=follow,
                max_redirects=self.max_redirects,
                auto_decompress=False,  # httpx decodes the body by its Content-Encoding, as for any answer
                timeout=self._aiohttp_timeout(self.timeout if timeout is httpx.USE_CLIENT_DEFAULT else timeout),
            ) as answer:
                body = await answer.read()
        return httpx.Response(
            answer.status,
            headers=answer.raw_headers,
            content=body,
            history=[httpx.Response(r.status, headers=r.raw_headers) for r in answer.history],
        )

    def _merged(self, headers: dict[str, str] | None) -> dict[str, str]:
        """The client's headers with the request's over them (names compared as HTTP does, in any case)."""
        if not headers:
            return self._plain_headers
        return {**self._plain_headers, **{name.lower(): value for name, value in headers.items()}}

    def _direct(self) -> aiohttp.ClientSession | None:
        """The aiohttp session plain requests go to; None when the client has an injected transport or proxies."""
        pool = self._pool
        if pool is None:
            return None
        if not isinstance(pool.client, aiohttp.ClientSession):
            pool.client = pool.get_client()  # as the transport does on its first request
        return pool.client

    def _aiohttp_timeout(self, value: Any) -> aiohttp.ClientTimeout:
        """httpx's timeout as aiohttp's (connect, read, waiting for a connection), built once per value."""
        key = value if not isinstance(value, httpx.Timeout) else (value.connect, value.read, value.write, value.pool)
        if (found := self._timeouts.get(key)) is None:
            timeout = httpx.Timeout(value)
            found = aiohttp.ClientTimeout(sock_connect=timeout.connect, sock_read=timeout.read, connect=timeout.pool)
            self._timeouts[key] = found
        return found

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
