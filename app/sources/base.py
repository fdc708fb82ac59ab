"""The `Source` protocol every upstream adapter implements, and the HTTP plumbing they share.

An adapter turns one upstream API into `Record`s. Expected outcomes are values: an unknown identifier is `None`,
an empty search is `[]`. Everything else (timeouts, 429, 5xx, bot-check pages, truncated JSON) is a `SourceError`,
so the verifier can tell "not there" from "could not ask".

Politeness is declared per source as a `Policy` (documented rate and concurrency) and enforced by `Throttle`
(per process, or shared by replicas through Redis: app/sources/limits.py), which also slows to lower limits an
answer announces; transient failures are retried by stamina with backoff and jitter, honouring `Retry-After`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable

import httpx
import stamina

from app.errors import SourceRateLimited, SourceTimeout, SourceUnavailable, SourceUnreachable
from app.models import Record, Reference
from app.settings import Settings
from app.sources.limits import RATE_MARGIN, Announced, Limits, SharedLimits, announced_limits

log = logging.getLogger(__name__)

# Longest Retry-After we wait for inside one reference's deadline; longer waits surface as rate_limited.
MAX_RETRY_AFTER = 5.0
# Seconds between two tries for a shared concurrency slot held by other replicas.
SHARED_POLL = 0.01


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

    async def resolve(self, kind: IdKind, value: str) -> Record | None:
        """The record for the identifier, or None when the source answers that it has none."""
        ...

    async def search(self, ref: Reference, *, limit: int = 5) -> list[Record]:
        """Candidate records for the reference, best first; [] when the source finds nothing."""
        ...


@dataclass(frozen=True)
class Policy:
    """Documented limits of one upstream: requests per second and requests in flight."""

    rate: float
    concurrency: int


class Throttle:
    """Spaces requests to at most `rate` per second with at most `concurrency` in flight.

    The rate is the policy's (scaled to the upstream's clock), or a lower one the upstream announced (`observe`),
    less `RATE_MARGIN`; the concurrency is the policy's or a lower announced one. Alone, the schedule and the
    count live in this process; after `bind` to `Limits` with `SharedLimits`, they live in Redis and every replica
    draws from them (a Redis failure falls back to this process's schedule, logged). `clock` and `sleep` are for
    tests.
    """

    def __init__(
        self,
        policy: Policy,
        *,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.policy = policy
        self.enabled = enabled
        self._clock = clock
        self._sleep = sleep
        self._time_scale = 1.0
        self._announced = Announced()
        self._free = asyncio.Condition()
        self._in_flight = 0
        self._next = 0.0  # this process's schedule: the next free slot (clock seconds)
        self._pause_until = 0.0
        self._shared: SharedLimits | None = None
        self._rate_key = self._slots_key = ""
        self._holders: list[str] = []  # ids holding shared slots; any one may be released: they are alike

    def bind(self, limits: Limits, source: str, bucket: str | None = None) -> None:
        """Run on `limits`: its time scale and, when it has them, the shared limits of `source` (`bucket` names
        a second schedule of the same source; concurrency is shared by all of a source's throttles)."""
        self._time_scale = limits.time_scale
        self._shared = limits.shared
        if limits.shared is not None:
            self._rate_key = limits.shared.rate_key(source, bucket)
            self._slots_key = limits.shared.slots_key(source)

    @property
    def rate(self) -> float:
        """Requests per second this throttle lets through now (infinite when it does not limit)."""
        if not self.enabled or self.policy.rate <= 0:
            return math.inf
        allowed = self.policy.rate / self._time_scale
        if self._announced.rate is not None:
            allowed = min(allowed, self._announced.rate)
        return allowed * RATE_MARGIN

    @property
    def _interval(self) -> float:
        """Seconds between requests under the policy alone, before scale, margin and announcements (read by
        tests/sources/test_pubmed.py; `policy.rate` says the same)."""
        return 1 / self.policy.rate if self.enabled and self.policy.rate > 0 else 0.0

    @property
    def concurrency(self) -> int:
        """Requests this throttle lets be in flight at once."""
        if self._announced.concurrency is not None:
            return max(1, min(self.policy.concurrency, self._announced.concurrency))
        return self.policy.concurrency

    def observe(self, headers: Mapping[str, str]) -> None:
        """Follow the limits an answer announces: lower than the policy slows down; higher never speeds up."""
        self._announced = announced_limits(headers)

    def pause(self, seconds: float) -> None:
        """Push the next request back, as the upstream asked (Retry-After); shared at the next reservation."""
        self._pause_until = max(self._pause_until, self._clock() + seconds)

    async def __aenter__(self) -> None:
        if not self.enabled:
            return
        async with self._free:
            await self._free.wait_for(lambda: self._in_flight < self.concurrency)
            self._in_flight += 1
        try:
            if self._shared is None or not await self._enter_shared(self._shared):
                await self._wait_local()
        except BaseException:
            await self._leave()
            raise

    async def __aexit__(self, *exc: object) -> None:
        if self.enabled:
            await self._leave()

    async def _wait_local(self) -> None:
        now = self._clock()
        start = max(now, self._next, self._pause_until)
        interval = self._spacing()
        self._next = start + interval
        if start > now:
            await self._sleep(start - now)
            # A busy event loop wakes us late: spacing counts from when the request really leaves, or the next
            # one, woken on time, would reach the upstream less than an interval after this one.
            self._next = max(self._next, self._clock() + interval)

    def _spacing(self) -> float:
        rate = self.rate
        return 1 / rate if rate < math.inf else 0.0

    async def _enter_shared(self, shared: SharedLimits) -> bool:
        """Take a shared concurrency slot, then a slot of the shared schedule; False when Redis failed."""
        from app.cache.redis import failures

        holder = uuid.uuid4().hex
        try:
            while not await shared.acquire(self._slots_key, holder, self.concurrency):
                await self._sleep(SHARED_POLL)
            self._holders.append(holder)
            interval = self._spacing()
            delay = max(0.0, self._pause_until - self._clock())
            wait = await shared.reserve(self._rate_key, interval, delay=delay)
            if wait > 0:
                await self._sleep(wait)
                await shared.stamp(self._rate_key, interval)  # as in _wait_local: a late wake-up moves the schedule
        except failures() as exc:
            log.warning("shared limits unavailable (%s); throttling %s in this process only", exc, self._rate_key)
            return False
        return True

    async def _leave(self) -> None:
        if self._holders and self._shared is not None:
            from app.cache.redis import failures

            try:
                await self._shared.release(self._slots_key, self._holders.pop())
            except failures() as exc:  # the lease frees the slot later
                log.warning("could not release a shared slot of %s: %s", self._slots_key, exc)
        async with self._free:
            self._in_flight -= 1
            self._free.notify()


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
    policy: ClassVar[Policy] = Policy(rate=1.0, concurrency=1)
    url_setting: ClassVar[str]  # name of the Settings field holding the API root

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        self._client = client
        self._settings = settings
        self.base_url = str(getattr(settings, self.url_setting)).rstrip("/")
        self._throttle = Throttle(self.policy, enabled=settings.throttle)
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
        try:
            async for attempt in stamina.retry_context(
                on=_backoff,
                attempts=self._settings.retries + 1,
                timeout=self._settings.reference_deadline,
                wait_initial=0.2,
                wait_max=2.0,
            ):
                with attempt:
                    response = await self._send(
                        throttle or self._throttle, method, url, params, headers, json_body, ok, follow_redirects
                    )
        except (SourceTimeout, SourceUnavailable):
            self._breaker.record(ok=False)
            raise
        self._breaker.record(ok=True)
        return response

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
        async with throttle:
            try:
                response = await self._client.request(
                    method,
                    url,
                    params=params,
                    headers=headers,
                    json=json_body,
                    follow_redirects=follow_redirects,
                    timeout=self._settings.request_timeout,
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
            wait = retry_after(response)
            if wait:
                throttle.pause(wait)
            raise SourceRateLimited(self.name, "rate limited (429)", retry_after=wait)
        raise SourceUnavailable(self.name, f"HTTP {response.status_code}")

    def _json(self, response: httpx.Response) -> Any:
        """The body as JSON; a body that is not JSON (bot check, truncated answer) is a failure."""
        try:
            return json.loads(response.content)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SourceUnavailable(self.name, "answer is not valid JSON") from exc
