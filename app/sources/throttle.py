"""`Throttle`: keeps one upstream's requests within its documented window and concurrency, counting from when each
request really left.

An upstream's limit is a sliding window: at most `limit` requests arrive in any `period` seconds (the kit's
simulator counts exactly this, at the moment it has read the request). The throttle keeps the same window on its
side, longer by a margin, and holds a place in it for every request from the moment it is let through (while it
is being written, its place counts too) until one period after its bytes were written (httpcore's `trace` hook
tells when). So any `limit + 1` requests are written at least the period plus the margin apart, however late the
event loop writes them; the margin is left for the upstream's delay between our write and its reading, which
nothing on our side can bound (`app/sources/limits.py`, `MIN_MARGIN`; 429s widen it).
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from app.sources.limits import (
    LEARN_STEP,
    LEARNED_FOR,
    MAX_LEARNED_MARGIN,
    MIN_MARGIN,
    RATE_MARGIN,
    RELEASE_GRACE,
    Announced,
    Limits,
    SharedLimits,
    announced_limits,
)

log = logging.getLogger(__name__)

# Seconds between two tries for a place in a shared window whose places are all being written (for milliseconds).
SHARED_POLL = 0.005
# Seconds before its place frees that a request waiting in a shared window asks for a shared concurrency slot:
# time for the round trip to Redis.
SLOT_LEAD = 0.01
# Weight of the latest request in the moving average of how long a request holds its place.
HOLD_WEIGHT = 0.2


@dataclass(frozen=True)
class Policy:
    """Documented limits of one upstream: requests per second and requests in flight."""

    rate: float
    concurrency: int


@dataclass(frozen=True)
class Window:
    """At most `limit` requests in any `period` seconds."""

    limit: int
    period: float

    @classmethod
    def of_rate(cls, rate: float) -> Window:
        """`rate` requests a second as a window: N per second for N >= 1 (a fraction left out), else one per
        1/rate seconds (arXiv's "one every three seconds")."""
        if rate >= 1:
            limit = math.floor(rate)
            return cls(limit, limit / rate)
        return cls(1, 1 / rate)

    @property
    def rate(self) -> float:
        return self.limit / self.period

    def scaled(self, factor: float) -> Window:
        return Window(self.limit, self.period * factor)

    def with_margin(self, learned: float = 0.0) -> Window:
        """The window kept on our side: longer by `RATE_MARGIN`'s share, and at least by `MIN_MARGIN` seconds,
        plus what 429s taught (`learned`)."""
        return Window(self.limit, self.period + max(MIN_MARGIN, self.period * (1 / RATE_MARGIN - 1)) + learned)


class Pool:
    """The requests in flight to one upstream, counted together by every throttle of it (Crossref's two pools)
    against the lowest concurrency among them: one rule for every waiter, so a release wakes exactly one."""

    def __init__(self) -> None:
        self.in_flight = 0
        self.members: list[Throttle] = []
        self._free = asyncio.Condition()

    @property
    def room(self) -> bool:
        return self.in_flight < min(t.concurrency for t in self.members)

    async def enter(self) -> None:
        """Take a place, waiting while there is none."""
        async with self._free:
            try:
                await self._free.wait_for(lambda: self.room)
            except BaseException:
                # Cancelled, perhaps once woken for a place (Python 3.11 then drops the wake-up): the next in line
                # has its turn, or it would wait for a release that may never come.
                if self.room:
                    self._free.notify()
                raise
            self.in_flight += 1

    async def leave(self) -> None:
        async with self._free:
            self.in_flight -= 1
            self._free.notify()


class Slot:
    """One request's place in a throttle's window and concurrency. `trace` is httpcore's trace hook: the place is
    counted from the end of the request's write; `sent` marks it by hand (a transport without the hook)."""

    def __init__(self, throttle: Throttle | None) -> None:
        self._throttle = throttle
        self.token = uuid.uuid4().hex
        self.placed: str | None = None  # where its window place is held: "local" or "shared"
        self.written = False
        self.holder: str | None = None  # the shared concurrency slot held, if any

    async def trace(self, event: str, info: Mapping[str, Any]) -> None:
        # "http11.send_request_body.complete" (or ".failed": httpcore then still reads an answer). A redirect's
        # next hop calls it again, which moves the place's end later. Over aiohttp the hook runs just before the
        # request's bytes are written, which waits for it: it never waits for Redis.
        written = "send_request_body." in event and not event.endswith(".started")
        if written and self._throttle is not None and self.placed is not None:
            await self._throttle._mark(self, wait=False)

    async def sent(self) -> None:
        """The request has been written now: its place ends one window period from now."""
        if self._throttle is not None and self.placed is not None:
            await self._throttle._mark(self)


class Throttle:
    """Lets at most `window.limit` requests leave in any `window.period` seconds, `concurrency` in flight.

    The window is the policy's (scaled to the upstream's clock) or a lower rate the upstream announced
    (`observe`), with the margin; the concurrency is the policy's or a lower announced one. Requests go through
    in arrival order (`slot`). Alone, the window and the count live in this process; after `bind` to `Limits`
    with `SharedLimits`, they live in Redis and every replica draws from them (a Redis failure falls back to
    this process's own, logged). Throttles given one `pool` count their requests in flight together. When the
    upstream `counted` its requests in flight, a shared slot is released with `RELEASE_GRACE`. A throttle that
    `yields` takes no free shared slot while a request of one that does not waits for one, nor the last free one
    while such requests are active (Crossref's DOI lookups leave the slots to its searches, whose window is the
    scarce one). `clock` and `sleep` are for tests.
    """

    def __init__(
        self,
        policy: Policy,
        *,
        enabled: bool = True,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        pool: Pool | None = None,
        counted: bool = False,
        yields: bool = False,
    ) -> None:
        self.policy = policy
        self.enabled = enabled
        self.counted = counted
        self.yields = yields
        self.pool = pool or Pool()
        self.pool.members.append(self)
        self._clock = clock
        self._sleep = sleep
        self._time_scale = 1.0
        self._announced = Announced()
        self._gate = asyncio.Lock()  # one request at a time looks for a place in the window: first come, first out
        self._ends: dict[str, float] = {}  # token -> when the place of a sent request frees (clock seconds)
        self._writing: set[str] = set()  # tokens let through, not yet written
        self._written = asyncio.Event()
        self._pause_until = 0.0
        self._waiting = 0
        self._hold = 0.0  # seconds a request holds its place, moving average
        self._spacing = 0.0  # seconds between two requests let through while others waited, moving average
        self._last_through = 0.0
        self._queue_behind = False  # whether requests waited behind the last one let through
        self._learned = 0.0  # margin added after 429s (seconds), until `_learned_at + LEARNED_FOR`
        self._learned_at = -math.inf
        self._lessons = 0  # 429s not yet told to the shared limits
        self._shared: SharedLimits | None = None
        self._rate_key = self._slots_key = ""
        self._marking: set[asyncio.Task[None]] = set()  # shared marks on their way to Redis

    def bind(self, limits: Limits, source: str, bucket: str | None = None) -> None:
        """Run on `limits`: its time scale and, when it has them, the shared limits of `source` (`bucket` names
        a second window of the same source; concurrency is shared by all of a source's throttles)."""
        self._time_scale = limits.time_scale
        self._shared = limits.shared
        if limits.shared is not None:
            self._rate_key = limits.shared.rate_key(source, bucket)
            self._slots_key = limits.shared.slots_key(source)

    @property
    def window(self) -> Window | None:
        """The window kept now, margin included; None when this throttle does not limit the rate."""
        if not self.enabled or self.policy.rate <= 0:
            return None
        window = Window.of_rate(self.policy.rate).scaled(self._time_scale)
        told = self._announced.rate
        # Lower only by more than rounding (a simulator announces round(limit / scale) per second): then a window
        # within both, never one allowing bursts the policy's window would not.
        if told is not None and told < window.rate * (1 - 1e-6):
            announced = Window.of_rate(told)
            window = Window(min(window.limit, announced.limit), max(window.period, announced.period))
        return window.with_margin(self.learned)

    @property
    def learned(self) -> float:
        """Seconds of margin that recent 429s added."""
        return self._learned if self._clock() - self._learned_at < LEARNED_FOR else 0.0

    @property
    def rate(self) -> float:
        """Requests per second this throttle lets through at most (infinite when it does not limit)."""
        window = self.window
        return window.rate if window is not None else math.inf

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

    @property
    def backlog(self) -> float:
        """Seconds, about, before a request asking now would leave: the requests waiting here, each taking the
        window's spacing or, when answers are slow, the time a request holds its place over the concurrency, or
        what it took lately (other replicas drawing on a shared window leave this one a share of it)."""
        if not self._waiting:
            return 0.0
        rate = self.rate
        spacing = max(1 / rate if rate < math.inf else 0.0, self._hold / self.concurrency, self._spacing)
        return self._waiting * spacing

    def observe(self, headers: Mapping[str, str]) -> None:
        """Follow the limits an answer announces: lower than the policy slows down; higher never speeds up."""
        self._announced = announced_limits(headers)

    def widen(self) -> None:
        """The upstream answered 429 although the window kept to its limit: the margin did not cover the delays
        between our write and its reading. Widen it by `LEARN_STEP`, up to `MAX_LEARNED_MARGIN`, for
        `LEARNED_FOR` seconds."""
        self._learned = min(MAX_LEARNED_MARGIN, self.learned + LEARN_STEP)
        self._learned_at = self._clock()
        self._lessons += 1

    def pause(self, seconds: float) -> None:
        """Let nothing leave for `seconds`, as the upstream asked (Retry-After); shared at the next admission."""
        self._pause_until = max(self._pause_until, self._clock() + seconds)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[Slot]:
        """A place for one request, held until the block ends; pass `Slot.trace` to the request (or call
        `Slot.sent` once it is written): the window counts from then, or from the block's end at the latest."""
        if not self.enabled:
            yield Slot(None)
            return
        slot = Slot(self)
        self._waiting += 1
        try:
            await self._take(slot)
        finally:
            self._waiting -= 1
        entered = self._clock()
        if self._queue_behind:  # this one waited its turn: the time since the last is what a turn takes now
            self._spacing += HOLD_WEIGHT * (entered - self._last_through - self._spacing)
        self._last_through, self._queue_behind = entered, self._waiting > 0
        try:
            yield slot
        finally:
            self._hold += HOLD_WEIGHT * (self._clock() - entered - self._hold)
            try:
                if not slot.written:  # no word of the write: count from now, which is later than it
                    await slot.sent()
            finally:
                await self._leave(slot)

    async def _take(self, slot: Slot) -> None:
        await self.pool.enter()
        try:
            async with self._gate:
                if self._shared is None or not await self._take_shared(self._shared, slot):
                    await self._take_local(slot)
        except BaseException:
            try:
                if slot.placed is not None and not slot.written:  # a place taken over, never used: from now
                    await slot.sent()
            finally:
                await self._leave(slot)
            raise

    async def _take_local(self, slot: Slot) -> None:
        while True:
            window = self.window
            if window is None:
                return
            now = self._clock()
            self._ends = {token: end for token, end in self._ends.items() if end > now}
            if self._pause_until > now:
                await self._sleep(self._pause_until - now)
            elif len(self._ends) + len(self._writing) < window.limit:
                self._writing.add(slot.token)
                slot.placed = "local"
                return
            elif self._ends:
                await self._sleep(min(self._ends.values()) - now)
            else:  # every place is held by a request being written: its end is not known yet
                self._written.clear()
                await self._written.wait()

    async def _take_shared(self, shared: SharedLimits, slot: Slot) -> bool:
        """Take a place in the shared window, then, as it is about to free, a shared concurrency slot; False when
        Redis failed."""
        from app.cache.redis import failures

        try:
            due = self._clock()
            while (window := self.window) is not None:
                delay = max(0.0, self._pause_until - self._clock())
                lesson, self._lessons = self._lessons * LEARN_STEP, 0
                admission = await shared.admit(
                    self._rate_key, slot.token, window.limit, delay=delay, poll=SHARED_POLL, lesson=lesson
                )
                if admission.margin > self.learned:  # what other replicas' 429s taught
                    self._learned, self._learned_at = admission.margin, self._clock()
                if admission.held:
                    slot.placed = "shared"  # from here on, a failure marks the place sent (`_take`)
                    due = admission.at  # on this clock, when the place frees
                    break
                await self._sleep(admission.wait)
            # A slot held while its place is still in use by another request (replicas queue for the places
            # together) would keep a request with a place from going out: taken just before the place frees.
            if (early := due - self._clock() - SLOT_LEAD) > 0:
                await self._sleep(early)
            holder = uuid.uuid4().hex
            await shared.hold(self._slots_key, holder, self.concurrency, yields=self.yields)
            slot.holder = holder
            if (left := due - self._clock()) > 0:
                await self._sleep(left)
        except failures() as exc:
            log.warning("shared limits unavailable (%s); throttling %s in this process only", exc, self._rate_key)
            return False
        return True

    async def _mark(self, slot: Slot, *, wait: bool = True) -> None:
        """`slot`'s request was written now: its place ends one period from now. In a shared window the mark
        takes a trip to Redis; unless `wait`, it is sent in the background and counts from now all the same."""
        window = self.window
        period = window.period if window is not None else 0.0
        slot.written = True
        written = self._clock()
        if slot.placed == "shared" and self._shared is not None:
            marking = self._mark_shared(self._shared, slot.token, period, written)
            if wait:
                await marking
            else:
                task = asyncio.get_running_loop().create_task(marking)
                self._marking.add(task)
                task.add_done_callback(self._marking.discard)
            return
        self._end(slot.token, written + period)

    async def _mark_shared(self, shared: SharedLimits, token: str, period: float, written: float) -> None:
        from app.cache.redis import failures

        try:
            await shared.mark(self._rate_key, token, period, written=written)
        except failures() as exc:  # the place's lease frees it later; this process counts it meanwhile
            log.warning("could not mark a request to %s as sent: %s", self._rate_key, exc)
            self._end(token, written + period)

    def _end(self, token: str, end: float) -> None:
        self._writing.discard(token)
        self._ends[token] = end
        self._written.set()

    async def _leave(self, slot: Slot) -> None:
        if slot.holder is not None and self._shared is not None:
            from app.cache.redis import failures

            try:
                grace = RELEASE_GRACE if self.counted else 0.0
                await self._shared.release(self._slots_key, slot.holder, grace=grace)
            except failures() as exc:  # the lease frees the slot later
                log.warning("could not release a shared slot of %s: %s", self._slots_key, exc)
            slot.holder = None
        self._writing.discard(slot.token)
        await self.pool.leave()
