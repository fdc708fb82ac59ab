"""Upstream limits beyond one process: limits shared by replicas through Redis, limits the upstreams announce, and
the time scale of a simulated upstream.

`Throttle` (app/sources/throttle.py) keeps its window in the process by default. `Limits.from_settings` gives it a
`SharedLimits` when the cache URL is Redis, so every replica draws from one window per source:

- rate: `refverify:window:<source>[:<bucket>]` is a sliding window, a ZSET of the requests sent within it scored
  by when each stops counting (microseconds on the Redis server's clock, `TIME`, so replicas' clocks do not
  matter), beside `...:writing` (let through, not yet written, scored by lease expiry), `...:due` (places taken
  over from a request still counting, scored by when they may be used), `...:pause` (Retry-After) and
  `...:margin` (widened by 429s); one Lua script takes a place, now or when the earliest one frees, another
  marks a request written (when, on Redis's clock, each replica reckons from its round trips: `Offsets`);
- concurrency: `refverify:slots:<source>` is a counting semaphore, a ZSET of holder ids scored by lease expiry;
  the acquiring script purges expired holders first, so a crashed replica's slots free themselves after `lease`.

Scripts run atomically on the server (https://redis.io/docs/latest/develop/interact/programmability/eval-intro/).
"""

from __future__ import annotations

import logging
import re
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from app.cache import backend
from app.cache.redis import Wakeups
from app.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

# Share of every documented rate used at most: the window kept is this much longer than the upstream's. A long
# window (DataCite's 5 minutes) needs no more than this.
RATE_MARGIN = 0.95
# ... and at least this many seconds longer: what lies between our write and the upstream reading the request
# (scheduling of both processes on a loaded machine, a Python server's threads waiting for its GIL) does not
# shrink with the window. Against the simulator at time scale 0.2 (windows of 0.2 s) on a loaded 2-core machine
# (load 6-12), it read a few requests of a 1,000-reference job 30-45 ms after their write ended, rarely 60-90 ms.
MIN_MARGIN = 0.045
# A 429 although the window kept to the limit means the margin was too small for those delays: each one widens
# the throttle's margin by LEARN_STEP, up to MAX_LEARNED_MARGIN, for LEARNED_FOR seconds after the last 429 (in
# Redis, for every replica): a load that passed stops costing throughput. The step is small because such delays
# are rare outliers: a 45 ms step cost a 1/s source 18% of its pace for the rest of a job.
LEARN_STEP = 0.015
MAX_LEARNED_MARGIN = 0.18
LEARNED_FOR = 600.0

# Longest a concurrency slot or a window place being written is held before other replicas may take it: longer
# than any request (the request timeout) times this factor, short enough that a crashed replica's come back.
LEASE_FACTOR = 3.0

# An upstream that counts requests in flight lowers its count only after writing an answer. One process bounds
# that with connections of its own (HttpSource.connections); across replicas, a slot released in Redis is free
# for the others only this many seconds later, time for the upstream to finish with the last request. Not a
# proof: a starved server can take longer. 25 ms held while waiters polled every 5 ms (they came 0-5 ms late);
# woken exactly at its end, a waiter's request once reached the simulator (busy on both cores) while it still
# counted the last one: 40 ms.
RELEASE_GRACE = 0.04
# Seconds of round trips to Redis from which a replica reckons where Redis's clock stands against its own: long
# enough to have met a fast trip, short enough that the two clocks do not drift apart meanwhile.
OFFSET_WINDOW = 5.0
# Seconds a request refused a shared slot counts as waiting for one (requests that yield, Crossref's DOI lookups,
# leave free slots to it): longer than it waits before asking again (SLOT_RECHECK).
WAITING_FOR = 0.6
# Seconds a yielding request waits before asking again while another waits for a slot.
YIELD_RECHECK = 0.02
# Seconds after a request that does not yield took a slot during which a yielding one leaves the last free slot (of
# three or more) to the next: a search whose window place frees while a DOI lookup holds the last slot waits for an
# answer, and its window place, the scarce budget, goes unused meanwhile.
ACTIVE_FOR = 1.0
# Longest wait for a shared slot before asking again: a release wakes the waiters at once (`Wakeups`); this
# bounds the wait when that word is lost.
SLOT_RECHECK = 0.25

# Redis numbers are microseconds: doubles hold them exactly until 2**53 us (year 2255). Times are the Redis
# server's (`TIME`) unless a test passes its own (ARGV "now" >= 0).
_NOW = """
local now = tonumber(ARGV[1])
if now < 0 then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000000 + tonumber(t[2])
end
"""

# A place in the window: KEYS = sent (ZSET token -> end of its place), writing (ZSET token -> lease expiry), due
# (ZSET token -> when a place taken over may be used), pause (time before which nothing leaves), margin (what 429s
# taught, shared). ARGV = now, token, limit, delay, poll, lease, lesson (margin to add), most (largest margin to
# learn), kept (seconds the margin is kept). Answers {wait, margin, held, now}: held 1 when the place is the token's
# once `wait` microseconds have passed (0: now), else 0 and the wait before asking again (a pause, or `poll`
# when every place is held by a request still being written). A full window hands the place that frees first to
# the token at once, so the requests waiting in every replica queue in the order they asked, each sent when its
# place frees without asking again.
_ADMIT = (
    _NOW
    + """
local stamp = string.format('%.0f', now)
local margin = tonumber(redis.call('GET', KEYS[5]) or '0')
if tonumber(ARGV[7]) > 0 then
  margin = math.min(tonumber(ARGV[8]), margin + tonumber(ARGV[7]))
  redis.call('SET', KEYS[5], string.format('%.0f', margin), 'EX', ARGV[9])
end
local learned = string.format('%.0f', margin)
local pause = tonumber(redis.call('GET', KEYS[4]) or '0')
local delay = tonumber(ARGV[4])
if delay > 0 and now + delay > pause then
  pause = now + delay
  redis.call('SET', KEYS[4], string.format('%.0f', pause), 'PX', math.floor(delay / 1000) + 1000)
end
if pause > now then
  return {string.format('%.0f', pause - now), learned, 0, stamp}
end
local lease = tonumber(ARGV[6])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', stamp)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', stamp)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', string.format('%.0f', now - lease))
local due = redis.call('ZSCORE', KEYS[3], ARGV[2])
if due then
  return {string.format('%.0f', math.max(0, tonumber(due) - now)), learned, 1, stamp}
end
if redis.call('ZCARD', KEYS[1]) + redis.call('ZCARD', KEYS[2]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[2], string.format('%.0f', now + lease), ARGV[2])
  redis.call('PEXPIRE', KEYS[2], math.floor(lease / 1000) + 1000)
  return {'0', learned, 1, stamp}
end
local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if first[2] then
  local frees = tonumber(first[2])
  redis.call('ZREM', KEYS[1], first[1])
  redis.call('ZADD', KEYS[2], string.format('%.0f', frees + lease), ARGV[2])
  redis.call('PEXPIRE', KEYS[2], math.floor((frees - now + lease) / 1000) + 1000)
  redis.call('ZADD', KEYS[3], string.format('%.0f', frees), ARGV[2])
  redis.call('PEXPIRE', KEYS[3], math.floor((frees - now + lease) / 1000) + 1000)
  return {string.format('%.0f', frees - now), learned, 1, stamp}
end
return {ARGV[5], learned, 0, stamp}
"""
)

# The request holding the place `token` was written at `written` (this clock; at the latest now, and now when 0):
# its place ends `period` after that. KEYS = sent, writing, due. ARGV = now, token, period, written.
_MARK = (
    _NOW
    + """
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[2])
local written = tonumber(ARGV[4])
if written <= 0 or written > now then
  written = now
end
local finish = written + tonumber(ARGV[3])
local old = redis.call('ZSCORE', KEYS[1], ARGV[2])
if not old or tonumber(old) < finish then
  redis.call('ZADD', KEYS[1], string.format('%.0f', finish), ARGV[2])
end
redis.call('PEXPIRE', KEYS[1], math.floor(tonumber(ARGV[3]) / 1000) + 1000)
return 0
"""
)

# Release a slot, at once or after a grace (its holder's lease then ends `grace` from now), and tell the replicas
# waiting for one. ARGV = now, holder, grace, channel.
_RELEASE = (
    _NOW
    + """
if tonumber(ARGV[3]) > 0 then
  redis.call('ZADD', KEYS[1], 'XX', string.format('%.0f', now + tonumber(ARGV[3])), ARGV[2])
else
  redis.call('ZREM', KEYS[1], ARGV[2])
end
redis.call('PUBLISH', ARGV[4], KEYS[1])
return 0
"""
)

# Hold one of `limit` slots. KEYS = slots, waiting (ZSET holder -> until when it counts as waiting: requests that
# do not yield), active (until when requests that do not yield count as active). ARGV = now, holder, limit, lease,
# yields (1: leave free slots to the waiting, and the last free one of three or more while others are active), waiting
# (microseconds a refused request that does not yield counts as waiting), recheck (microseconds a yielding request
# waits before asking again), active (microseconds a slot taken by a request that does not yield makes them
# active). Answers 0 when held, else the microseconds (at least 1) to wait before asking again: until the
# earliest lease ends (exact for a slot released with a grace, an upper bound otherwise), or `recheck`.
_ACQUIRE = (
    _NOW
    + """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', string.format('%.0f', now))
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%.0f', now))
local yields = tonumber(ARGV[5]) > 0
if yields and redis.call('ZCARD', KEYS[2]) > 0 then
  return ARGV[7]
end
local held = redis.call('ZCARD', KEYS[1])
local limit = tonumber(ARGV[3])
if yields and limit > 2 and held + 1 == limit and tonumber(redis.call('GET', KEYS[3]) or '0') > now then
  return ARGV[7]
end
if held >= limit then
  if not yields then
    redis.call('ZADD', KEYS[2], string.format('%.0f', now + tonumber(ARGV[6])), ARGV[2])
    redis.call('PEXPIRE', KEYS[2], math.floor(tonumber(ARGV[6]) / 1000) + 1000)
  end
  local first = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return string.format('%.0f', math.max(1, tonumber(first[2]) - now))
end
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[1], string.format('%.0f', now + tonumber(ARGV[4])), ARGV[2])
redis.call('PEXPIRE', KEYS[1], math.floor(tonumber(ARGV[4]) / 1000) + 1000)
if not yields then
  local active = tonumber(ARGV[8])
  redis.call('SET', KEYS[3], string.format('%.0f', now + active), 'PX', math.floor(active / 1000) + 1000)
end
return 0
"""
)


class Admission(NamedTuple):
    """A shared window's answer to a request for a place: `held`, the place is the request's once `wait` seconds
    have passed (0: now), which is at `at` on the replica's clock (`Offsets`); else ask again after `wait` (a
    pause, or every place held by a request still being written). `margin`: the seconds 429s taught the
    replicas."""

    wait: float
    margin: float
    held: bool
    at: float


class Offsets:
    """Where Redis's clock stands against this replica's, as NTP reckons it: of the round trips of the last
    `OFFSET_WINDOW` seconds, the fastest (the least room for a delay on one way only), and Redis's time minus the
    local time halfway through it. A script ran after its trip was sent and before the answer came back, so the
    estimate is off by at most half that trip (a fraction of a millisecond to a local Redis) either way, far inside
    the window's margin (`MIN_MARGIN`). Bounds that are never early would put every turn of a shared window up to
    a whole trip late twice (a write translated to Redis's clock, the place it frees translated back)."""

    def __init__(self) -> None:
        self._seen: deque[tuple[float, float, float]] = deque()  # (local time of the answer, trip, offset)
        self._best: tuple[float, float, float] | None = None  # the fastest trip of those seen

    def add(self, sent: float, redis_now: float, answered: float) -> None:
        trip = (answered, answered - sent, redis_now - (sent + answered) / 2)
        self._seen.append(trip)
        expired = False
        while self._seen[0][0] < answered - OFFSET_WINDOW:
            expired = self._seen.popleft() is self._best or expired
        if expired:
            self._best = min(self._seen, key=lambda seen: seen[1])
        elif self._best is None or trip[1] <= self._best[1]:
            self._best = trip

    def to_redis(self, local: float) -> float | None:
        """`local` on Redis's clock; None with no trip lately."""
        return local + self._best[2] if self._best is not None else None

    def to_local(self, redis: float) -> float:
        """`redis` on this clock (as it is, with no trip seen)."""
        return redis - self._best[2] if self._best is not None else redis


class SharedLimits:
    """Rate windows and concurrency semaphores in one Redis, shared by every replica using it.

    `clock` (seconds) replaces the Redis server's `TIME`, for tests; in service it stays None. `local` is the
    replica's clock, the throttles' (default: `clock` when given, else `time.monotonic`).
    """

    def __init__(
        self,
        client: Redis,
        *,
        lease: float = 30.0,
        clock: Callable[[], float] | None = None,
        local: Callable[[], float] | None = None,
        prefix: str = "refverify:",
    ) -> None:
        self._client = client
        self._lease_us = round(lease * 1e6)
        self._clock = clock
        self._local = local or clock or time.monotonic
        self._offsets = Offsets()
        self._prefix = prefix
        self._admit = client.register_script(_ADMIT)
        self._mark = client.register_script(_MARK)
        self._acquire = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)
        self._freed = Wakeups(client, f"{prefix}freed")

    @classmethod
    def from_url(cls, url: str, *, lease: float = 30.0) -> SharedLimits:
        from app.cache.redis import connect

        return cls(connect(url), lease=lease)

    def rate_key(self, source: str, bucket: str | None = None) -> str:
        return f"{self._prefix}window:{source}" + (f":{bucket}" if bucket else "")

    def slots_key(self, source: str) -> str:
        return f"{self._prefix}slots:{source}"

    async def admit(
        self,
        key: str,
        token: str,
        limit: int,
        *,
        delay: float = 0.0,
        poll: float = 0.005,
        lesson: float = 0.0,
        most: float = MAX_LEARNED_MARGIN,
    ) -> Admission:
        """Take a place for `token` in the window at `key` (at most `limit` places), unless a pause of at least
        `delay` seconds from now (Retry-After) holds every request back. A full window gives the token the
        place that frees first, to use once it has. Adds `lesson` seconds to the margin the replicas learnt from
        429s (up to `most`)."""
        keys = [key, f"{key}:writing", f"{key}:due", f"{key}:pause", f"{key}:margin"]
        args: list[str | int] = [
            self._now(),
            token,
            limit,
            round(delay * 1e6),
            round(poll * 1e6),
            self._lease_us,
            round(lesson * 1e6),
            round(most * 1e6),
            round(LEARNED_FOR),
        ]
        sent = self._local()
        wait, margin, held, now = await self._admit(keys=keys, args=args)
        self._offsets.add(sent, int(now) / 1e6, self._local())
        at = self._offsets.to_local((int(now) + int(wait)) / 1e6)
        return Admission(int(wait) / 1e6, int(margin) / 1e6, bool(held), at)

    async def mark(self, key: str, token: str, period: float, *, written: float | None = None) -> None:
        """The request holding `token`'s place was written at `written` on the replica's clock (now when None, or
        with no round trip lately to translate it): the place frees `period` seconds after."""
        at = None if written is None else self._offsets.to_redis(written)
        keys = [key, f"{key}:writing", f"{key}:due"]
        await self._mark(
            keys=keys, args=[self._now(), token, round(period * 1e6), 0 if at is None else round(at * 1e6)]
        )

    async def acquire(self, key: str, holder: str, limit: int, *, yields: bool = False) -> float:
        """Hold one of `limit` slots at `key` as `holder` (for at most the lease): 0 when it is held now, else the
        seconds to wait before asking again (until the earliest lease ends: exact for a slot given back with a
        grace). A request that `yields` takes no slot while one that does not waits for one, nor the last free one
        of three or more within `ACTIVE_FOR` seconds of one that does not taking a slot; one that does not yield,
        refused, counts as waiting for `WAITING_FOR` seconds."""
        args: list[str | int] = [
            self._now(),
            holder,
            limit,
            self._lease_us,
            int(yields),
            round(WAITING_FOR * 1e6),
            round(YIELD_RECHECK * 1e6),
            round(ACTIVE_FOR * 1e6),
        ]
        return int(await self._acquire(keys=[key, f"{key}:waiting", f"{key}:active"], args=args)) / 1e6

    async def hold(self, key: str, holder: str, limit: int, *, yields: bool = False) -> None:
        """Hold one of `limit` slots at `key` as `holder` (yielding as `acquire` does), waiting while all are held:
        until a release is heard (another replica's or this one's), or the earliest lease ends (a slot given back
        with a grace), or `SLOT_RECHECK` seconds passed (a release whose word was lost)."""
        await self._freed.start()
        while True:
            freed = self._freed.expect(key)  # before looking: a release right after the look is heard
            try:
                wait = await self.acquire(key, holder, limit, yields=yields)
            except BaseException:
                freed.cancel()
                raise
            if wait == 0:
                freed.cancel()
                return
            await self._freed.wait(freed, min(wait, SLOT_RECHECK))

    async def release(self, key: str, holder: str, *, grace: float = 0.0) -> None:
        """Give up `holder`'s slot at `key`, to others `grace` seconds from now."""
        await self._release(keys=[key], args=[self._now(), holder, round(grace * 1e6), self._freed.channel])

    async def prepare(self) -> None:
        """Subscribe to releases and load the scripts now, not at the first request (a failure is logged: the
        first request then does both)."""
        from app.cache.redis import failures

        await self._freed.start()
        try:
            for script in (_ADMIT, _MARK, _ACQUIRE, _RELEASE):
                await self._client.script_load(script)
        except failures() as exc:
            log.warning("could not load the shared limits' scripts ahead: %s", exc)

    async def close(self) -> None:
        await self._freed.close()
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

    async def prepare(self) -> None:
        if self.shared is not None:
            await self.shared.prepare()

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
