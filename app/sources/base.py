"""The `Source` protocol every upstream adapter implements, and the HTTP plumbing they share.

An adapter turns one upstream API into `Record`s. Expected outcomes are values: an unknown identifier is `None`,
an empty search is `[]`. Everything else (timeouts, 429, 5xx, bot-check pages, truncated JSON) is a `SourceError`,
so the verifier can tell "not there" from "could not ask".

Politeness is declared per source as a `Policy` (documented rate and concurrency) and enforced by `Throttle`
(app/sources/throttle.py; per process, or shared by replicas through Redis: app/sources/limits.py), which also
slows to lower limits an answer announces; transient failures are retried by stamina with backoff and jitter,
honouring `Retry-After`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable
from urllib.parse import urlencode

import httpx
import orjson
import stamina

from app.errors import SourceError, SourceRateLimited, SourceTimeout, SourceUnavailable, SourceUnreachable
from app.models import Record, Reference
from app.settings import Settings
from app.sources.throttle import Policy as Policy  # adapters declare their policy from here
from app.sources.throttle import Throttle as Throttle

log = logging.getLogger(__name__)

# Longest Retry-After we wait for inside one reference's deadline; longer waits surface as rate_limited.
MAX_RETRY_AFTER = 5.0


class IdKind(StrEnum):
    DOI = "doi"
    ARXIV = "arxiv"
    PMID = "pmid"
    PMCID = "pmcid"
    ISBN = "isbn"


@runtime_checkable
class Source(Protocol):
    """One upstream. `resolve` looks up an identifier it declares; `search` finds candidates for a reference."""

    name: ClassVar[str]
    identifiers: ClassVar[frozenset[IdKind]]
    searchable: ClassVar[bool]
    # The reference's fields a search reads (None: any): references alike in these ask the same question, so
    # the cache and the in-flight table share one answer among them (one work cited in several forms).
    search_reads: ClassVar[frozenset[str] | None]

    async def resolve(self, kind: IdKind, value: str) -> Record | None:
        """The record for the identifier, or None when the source answers that it has none."""
        ...

    async def search(self, ref: Reference, *, limit: int = 5) -> list[Record]:
        """Candidate records for the reference, best first; [] when the source finds nothing."""
        ...


def _backoff(exc: Exception) -> bool | float:
    """stamina hook: retry transient failures; wait what a 429 asked for, when it asked for little enough."""
    if isinstance(exc, SourceRateLimited):
        if exc.retry_after is not None and exc.retry_after <= MAX_RETRY_AFTER:
            return exc.retry_after
        return exc.retry_after is None
    if isinstance(exc, SourceUnreachable):
        return False
    return isinstance(exc, SourceTimeout | SourceUnavailable)


def retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


class CircuitBreaker:
    """Stops asking a source that keeps failing: after `threshold` failures in a row, calls fail at once for
    `cooldown` seconds, then one trial call is let through (half-open); a success closes the circuit again.

    This keeps a dead upstream from costing every reference its retries and timeouts.
    """

    def __init__(self, threshold: int = 5, cooldown: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None

    def allow(self) -> bool:
        if self._opened_at is None:
            return True
        if self._clock() - self._opened_at >= self.cooldown:
            self._opened_at = self._clock()  # half-open: this caller is the trial; others keep waiting
            return True
        return False

    def record(self, ok: bool) -> None:
        if ok:
            self._failures, self._opened_at = 0, None
            return
        self._failures += 1
        if self._failures >= self.threshold:
            self._opened_at = self._clock()


class HttpSource:
    """Base of the HTTP adapters: throttled, retried requests whose failures become `SourceError`s."""

    name: ClassVar[str]
    identifiers: ClassVar[frozenset[IdKind]] = frozenset()
    searchable: ClassVar[bool] = True
    search_reads: ClassVar[frozenset[str] | None] = None
    policy: ClassVar[Policy] = Policy(rate=1.0, concurrency=1)
    url_setting: ClassVar[str]  # name of the Settings field holding the API root
    # An upstream that counts requests in flight lowers its count only after writing an answer, so a request sent
    # the moment the answer arrived may find the previous one still counted. Over a pool of `connections` of its
    # own (build_sources), each connection carries one request at a time and a server reads the next one on a
    # connection only after finishing the last: the upstream never counts more than `connections`.
    connections: ClassVar[int | None] = None

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self.base_url = str(getattr(settings, self.url_setting)).rstrip("/")
        self._throttle = Throttle(self.policy, enabled=settings.throttle, counted=self.connections is not None)
        self._breaker = CircuitBreaker()

    @classmethod
    def configured(cls, settings: Settings) -> bool:
        """Whether the settings allow using this source at all (e.g. an API key it cannot work without)."""
        return True

    async def resolve(self, kind: IdKind, value: str) -> Record | None:
        raise NotImplementedError(f"{self.name} resolves no {kind}")

    async def search(self, ref: Reference, *, limit: int = 5) -> list[Record]:
        raise NotImplementedError(f"{self.name} does not search")

    async def _get(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        ok: tuple[int, ...] = (200,),
        follow_redirects: bool = True,
        throttle: Throttle | None = None,
    ) -> httpx.Response:
        return await self._request(
            "GET", path, params=params, headers=headers, ok=ok, follow_redirects=follow_redirects, throttle=throttle
        )

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        json_body: Any = None,
        ok: tuple[int, ...] = (200,),
        follow_redirects: bool = True,
        throttle: Throttle | None = None,
    ) -> httpx.Response:
        """Send one request under this source's throttle (or `throttle`); statuses in `ok` are returned,
        others raise.

        Transient failures are retried within the settings' budget; what is left is raised as a `SourceError`.
        """
        url = path if path.startswith(("http://", "https://")) else f"{self.base_url}{path}"
        if not self._breaker.allow():
            raise SourceUnavailable(self.name, "circuit open after repeated failures; not asked")

        async def send() -> httpx.Response:
            return await self._send(
                throttle or self._throttle, method, url, params, headers, json_body, ok, follow_redirects
            )

        started = time.monotonic()
        try:
            try:
                response = await send()
            except SourceError as exc:
                if not _backoff(exc):
                    raise
                response = await self._retried(send, exc, time.monotonic() - started)
        except (SourceTimeout, SourceUnavailable):
            self._breaker.record(ok=False)
            raise
        self._breaker.record(ok=True)
        return response

    async def _retried(
        self, send: Callable[[], Awaitable[httpx.Response]], failure: SourceError, spent: float
    ) -> httpx.Response:
        """The retries after a first attempt failed with `failure`, `spent` seconds in: stamina sees that failure as
        its own first attempt (its wait, Retry-After and log), then sends the rest. Building stamina's retry state
        costs about 86 us, which a request answered at the first attempt (nearly all of them) no longer pays."""
        first: SourceError | None = failure
        async for attempt in stamina.retry_context(
            on=_backoff,
            attempts=self._settings.retries + 1,
            timeout=max(self._settings.reference_deadline - spent, 0.001),
            wait_initial=0.2,
            wait_max=2.0,
        ):
            with attempt:
                if first is not None:
                    failure, first = first, None
                    raise failure
                return await send()
        raise AssertionError("unreachable: stamina raises the last failure")  # pragma: no cover

    async def _send(
        self,
        throttle: Throttle,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        headers: Mapping[str, str] | None,
        json_body: Any,
        ok: tuple[int, ...],
        follow_redirects: bool,
    ) -> httpx.Response:
        async with throttle.slot() as slot:
            try:
                response = await self._client.request(
                    method,
                    with_query(url, params),
                    headers=headers,
                    json=json_body,
                    follow_redirects=follow_redirects,
                    timeout=self._settings.request_timeout,
                    extensions={"trace": slot.trace},  # the throttle's window counts from the end of the write
                )
                await response.aread()
                throttle.observe(response.headers)
            except httpx.TimeoutException as exc:
                raise SourceTimeout(self.name, "no answer in time") from exc
            except httpx.ConnectError as exc:
                raise SourceUnreachable(self.name, f"cannot connect: {exc}") from exc
            except httpx.HTTPError as exc:  # connection refused, reset, truncated body, bad redirect
                raise SourceUnavailable(self.name, f"{type(exc).__name__}: {exc}") from exc
        if response.status_code in ok:
            return response
        if response.status_code == 429:
            throttle.widen()
            wait = retry_after(response)
            if wait:
                throttle.pause(wait)
            raise SourceRateLimited(self.name, "rate limited (429)", retry_after=wait)
        raise SourceUnavailable(self.name, f"HTTP {response.status_code}")

    def _json(self, response: httpx.Response) -> Any:
        """The body as JSON; a body that is not JSON (bot check, truncated answer) is a failure."""
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise SourceUnavailable(self.name, "answer is not valid JSON") from exc


def with_query(url: str, params: Mapping[str, Any] | None) -> str:
    """`url` with `params` appended as its query, values written as httpx writes them (`true`, `false`, `` for
    None; a list repeats its key). httpx merging `params=` into a URL parses the URL twice more, which cost a
    tenth of a millisecond a request (README, "Speed")."""
    if not params:
        return url
    pairs = []
    for key, value in params.items():
        for item in value if isinstance(value, list | tuple) else (value,):
            pairs.append((key, _primitive(item)))
    return f"{url}{'&' if '?' in url else '?'}{urlencode(pairs)}"


def _primitive(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)
