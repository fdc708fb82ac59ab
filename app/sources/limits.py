"""Upstream limits beyond one process: limits shared by replicas through Redis, limits the upstreams announce, and
the time scale of a simulated upstream.

`Throttle` (app/sources/base.py) keeps its schedule in the process by default. `Limits.from_settings` gives it a
`SharedLimits` when the cache URL is Redis, so every replica draws from one schedule per source:

- rate: `refverify:rate:<source>[:<bucket>]` holds the next free slot (microseconds on the Redis server's clock,
  `TIME`, so replicas' clocks do not matter); one Lua script reserves a slot and returns how long to wait for it;
- concurrency: `refverify:slots:<source>` is a counting semaphore, a ZSET of holder ids scored by lease expiry;
  the acquiring script purges expired holders first, so a crashed replica's slots free themselves after `lease`.

Scripts run atomically on the server (https://redis.io/docs/latest/develop/interact/programmability/eval-intro/).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.cache import backend
from app.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

# Share of every documented rate actually used. At exactly the documented rate, network jitter bunches arrivals
# into the upstream's window: 429s were measured against the simulator at 100%; 90% left none.
RATE_MARGIN = 0.9

# Longest a concurrency slot is held before other replicas may take it: longer than any request (the request
# timeout, a rate wait, the body read) times this factor, short enough that a crashed replica's slots come back.
LEASE_FACTOR = 3.0

# Redis numbers are microseconds: doubles hold them exactly until 2**53 us (year 2255).
_RESERVE = """
local now = tonumber(ARGV[3])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local start = math.max(tonumber(redis.call('GET', KEYS[1]) or '0'), now + tonumber(ARGV[2]))
local free = start + tonumber(ARGV[1])
redis.call('SET', KEYS[1], string.format('%.0f', free), 'PX', math.floor((free - now) / 1000) + 60000)
return string.format('%.0f', start - now)
"""

# After a late wake-up: the next slot is at least `interval` after the request really left.
_STAMP = """
local now = tonumber(ARGV[2])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
local free = now + tonumber(ARGV[1])
if free > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], string.format('%.0f', free), 'PX', math.floor(tonumber(ARGV[1]) / 1000) + 60000)
end
return 0
"""

_ACQUIRE = """
local now = tonumber(ARGV[4])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], string.format('%.0f', now + tonumber(ARGV[3])), ARGV[1])
redis.call('PEXPIRE', KEYS[1], math.floor(tonumber(ARGV[3]) / 1000) + 1000)
return 1
"""


class SharedLimits:
    """Rate schedules and concurrency semaphores in one Redis, shared by every replica using it.

    `clock` (seconds) replaces the Redis server's `TIME`, for tests; in service it stays None.
    """

    def __init__(
        self,
        client: Redis,
        *,
        lease: float = 30.0,
        clock: Callable[[], float] | None = None,
        prefix: str = "refverify:",
    ) -> None:
        self._client = client
        self._lease_us = round(lease * 1e6)
        self._clock = clock
        self._prefix = prefix
        self._reserve = client.register_script(_RESERVE)
        self._stamp = client.register_script(_STAMP)
        self._acquire = client.register_script(_ACQUIRE)

    @classmethod
    def from_url(cls, url: str, *, lease: float = 30.0) -> SharedLimits:
        from app.cache.redis import connect

        return cls(connect(url), lease=lease)

    def rate_key(self, source: str, bucket: str | None = None) -> str:
        return f"{self._prefix}rate:{source}" + (f":{bucket}" if bucket else "")

    def slots_key(self, source: str) -> str:
        return f"{self._prefix}slots:{source}"

    async def reserve(self, key: str, interval: float, *, delay: float = 0.0) -> float:
        """Take the next free slot of the schedule at `key`, at least `delay` seconds from now, and push the
        schedule `interval` seconds past it; the answer is how many seconds to wait for the slot."""
        waited = await self._reserve(keys=[key], args=[round(interval * 1e6), round(delay * 1e6), self._now()])
        return int(waited) / 1e6

    async def stamp(self, key: str, interval: float) -> None:
        """Mark a request leaving now: the schedule at `key` gives no slot before `interval` seconds from now."""
        await self._stamp(keys=[key], args=[round(interval * 1e6), self._now()])

    async def acquire(self, key: str, holder: str, limit: int) -> bool:
        """Hold one of `limit` slots at `key` as `holder` (for at most the lease); False when all are held."""
        return bool(await self._acquire(keys=[key], args=[holder, limit, self._lease_us, self._now()]))

    async def release(self, key: str, holder: str) -> None:
        await self._client.zrem(key, holder)

    async def close(self) -> None:
        await self._client.aclose()

    def _now(self) -> int:
        return -1 if self._clock is None else round(self._clock() * 1e6)


@dataclass
class Limits:
    """How this process's throttles run: the upstream clock's `time_scale` (1 for real APIs) and, with several
    replicas, the `SharedLimits` they draw from (None: each process keeps its own schedule)."""

    time_scale: float = 1.0
    shared: SharedLimits | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """Shared limits when the cache is Redis (the replicas' common store) and throttling is on."""
        scale = settings.throttle_time_scale
        shared = None
        if settings.throttle and backend(settings.cache_url) == "redis":
            shared = SharedLimits.from_url(settings.cache_url, lease=LEASE_FACTOR * settings.request_timeout)
        return cls(time_scale=scale, shared=shared)

    async def close(self) -> None:
        if self.shared is not None:
            await self.shared.close()


@dataclass(frozen=True)
class Announced:
    """Limits an upstream announced in an answer's headers: requests per second and requests in flight."""

    rate: float | None = None
    concurrency: int | None = None


_INTERVAL = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*")
_UNIT = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def announced_limits(headers: Mapping[str, str]) -> Announced:
    """The limits announced by an answer's headers, as far as they are per-second limits.

    - Crossref: `x-rate-limit-limit` requests per `x-rate-limit-interval` ("1s"), `x-concurrency-limit` in flight
      (https://github.com/CrossRef/rest-api-doc#rate-limits).
    - NCBI E-utilities: `X-RateLimit-Limit` requests per second, with no reset header.
    - OpenAlex's `X-RateLimit-Limit`/`-Remaining`/`-Reset` count a daily credit budget (a search costs 10
      credits; the reset is midnight UTC): that is not a request rate, and slowing to remaining/reset would
      stop a batch for hours, so it announces none here.
    """
    h = {k.lower(): v for k, v in headers.items()}
    rate = None
    limit = _positive(h.get("x-rate-limit-limit"))
    if limit is not None:
        interval = _seconds(h.get("x-rate-limit-interval", "1s"))
        rate = limit / interval if interval else None
    elif "x-ratelimit-reset" not in h:
        rate = _positive(h.get("x-ratelimit-limit"))
    concurrency = _positive(h.get("x-concurrency-limit"))
    return Announced(rate=rate, concurrency=int(concurrency) if concurrency is not None else None)


def _positive(value: str | None) -> float | None:
    try:
        number = float(value) if value is not None else None
    except ValueError:
        return None
    return number if number is not None and number > 0 else None


def _seconds(value: str) -> float | None:
    match = _INTERVAL.fullmatch(value)
    if match is None:
        return None
    seconds = float(match.group(1)) * _UNIT[match.group(2) or "s"]
    return seconds or None
