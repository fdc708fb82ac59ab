"""Limits shared by replicas through a real throwaway redis-server (skipped, with the reason, when none is
installed). Each "replica" is its own Redis client; time is injected, so slot times are checked, not slept."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from app.cache.redis import connect
from app.settings import Settings
from app.sources import build_sources
from app.sources.base import Policy, Throttle
from app.sources.limits import (
    ACTIVE_FOR,
    LEARN_STEP,
    OFFSET_WINDOW,
    RELEASE_GRACE,
    Limits,
    Offsets,
    SharedLimits,
)
from app.sources.throttle import Window
from tests.cache import Clock, flush, redis_server


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture
def redis_url(server: str) -> str:
    flush(server)
    return server


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def replicas(redis_url: str, clock: Clock) -> AsyncIterator[tuple[SharedLimits, SharedLimits]]:
    """Two replicas' shared limits: two clients of one Redis, on one injected clock."""
    a = SharedLimits(connect(redis_url), lease=30.0, clock=clock)
    b = SharedLimits(connect(redis_url), lease=30.0, clock=clock)
    yield a, b
    await a.close()
    await b.close()


class Waits:
    """A sleep that records how long each request would wait, moves the shared clock on by it, then yields."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.seconds: list[float] = []
        self._clock = clock

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        if self._clock is not None:
            self._clock.now += seconds
        await asyncio.sleep(0)


def shared_throttle(policy: Policy, shared: SharedLimits, sleep: Waits, clock: Clock) -> Throttle:
    t = Throttle(policy, clock=clock, sleep=sleep)
    t.bind(Limits(shared=shared), "crossref")
    return t


def margin(period: float) -> float:
    return Window(1, period).with_margin().period


async def test_two_replicas_together_keep_to_one_window(
    replicas: tuple[SharedLimits, SharedLimits], clock: Clock
) -> None:
    a, b = replicas
    key = a.rate_key("crossref")
    assert [(await r.admit(key, f"t{i}", 3))[0] for i, r in enumerate((a, b, a))] == [0, 0, 0]
    assert (await b.admit(key, "t3", 3))[0] == pytest.approx(0.005)  # all three being written: ask again shortly
    for i, r in enumerate((a, b, a)):
        await r.mark(key, f"t{i}", 1.0)
        clock.now += 0.1
    assert (await b.admit(key, "t3", 3))[0] == pytest.approx(0.7)  # the first place frees 1 s after its write
    clock.now += 0.7
    assert (await b.admit(key, "t3", 3))[0] == 0


async def test_a_full_window_gives_each_asker_the_next_place_to_free_in_the_order_they_asked(
    replicas: tuple[SharedLimits, SharedLimits], clock: Clock
) -> None:
    a, b = replicas
    key = a.rate_key("crossref")
    for i in range(2):
        assert (await a.admit(key, f"t{i}", 2)).held
        await a.mark(key, f"t{i}", 1.0)
        clock.now += 0.25
    first, second = await b.admit(key, "b", 2), await a.admit(key, "a", 2)
    assert (first.held, first.wait) == (True, pytest.approx(0.5))  # t0's place, from its end
    assert (second.held, second.wait) == (True, pytest.approx(0.75))  # then t1's
    clock.now += 0.5
    again = await b.admit(key, "b", 2)  # asking again changes nothing
    assert (again.wait, again.held) == (0, True)
    assert not (await a.admit(key, "late", 2)).held  # both places are the askers' now, being written


async def test_a_throttle_waiting_its_turn_in_a_full_shared_window_asks_redis_once(
    replicas: tuple[SharedLimits, SharedLimits], clock: Clock
) -> None:
    sleep = Waits(clock)
    first, second = (shared_throttle(Policy(rate=1, concurrency=5), r, sleep, clock) for r in replicas)
    async with first.slot() as slot:
        await slot.sent()
    asks = 0
    admit = second._shared.admit  # type: ignore[union-attr]

    async def counted(*args: object, **kwargs: object) -> object:
        nonlocal asks
        asks += 1
        return await admit(*args, **kwargs)  # type: ignore[arg-type]

    second._shared.admit = counted  # type: ignore[union-attr,method-assign]
    async with second.slot():
        pass
    assert asks == 1
    assert sum(sleep.seconds) == pytest.approx(margin(1.0))


async def test_a_place_taken_over_is_used_no_earlier_than_it_frees_however_late_redis_ran_the_script(
    replicas: tuple[SharedLimits, SharedLimits], clock: Clock
) -> None:
    sleep = Waits(clock)
    first, second = (shared_throttle(Policy(rate=1, concurrency=5), r, sleep, clock) for r in replicas)
    start = clock.now
    async with first.slot() as slot:
        await slot.sent()
    admit = second._shared.admit  # type: ignore[union-attr]

    async def slow(*args: object, **kwargs: object) -> object:
        clock.now += 0.05  # the request reached Redis late (a busy event loop, a slow network)
        return await admit(*args, **kwargs)  # type: ignore[arg-type]

    second._shared.admit = slow  # type: ignore[union-attr,method-assign]
    async with second.slot():
        assert clock.now - start >= margin(1.0) - 1e-6


async def test_the_write_hook_of_a_request_in_a_shared_window_does_not_wait_for_redis(
    replicas: tuple[SharedLimits, SharedLimits], clock: Clock
) -> None:
    """aiohttp writes the request's bytes only once the hook returns: a hook waiting for Redis would write them
    after the place's end was counted. The mark goes in the background and still counts from the hook."""
    owner, other = replicas
    throttle = shared_throttle(Policy(rate=1, concurrency=5), owner, Waits(clock), clock)
    key = owner.rate_key("crossref")
    redis_answers = asyncio.Event()
    mark = owner.mark

    async def slow(*args: object, **kwargs: object) -> None:
        await redis_answers.wait()
        await mark(*args, **kwargs)  # type: ignore[arg-type]

    owner.mark = slow  # type: ignore[method-assign]
    start = clock.now
    async with throttle.slot() as slot:
        await asyncio.wait_for(slot.trace("http11.send_request_body.complete", {}), timeout=1)
        clock.now += 0.2  # the answer comes 0.2 s after the write
        redis_answers.set()
    await asyncio.gather(*throttle._marking)
    assert clock.now + (await other.admit(key, "next", 1)).wait >= start + margin(1.0) - 1e-6  # never early
    assert not throttle._marking


async def test_a_place_taken_over_but_never_used_counts_from_when_it_was_given_up(
    replicas: tuple[SharedLimits, SharedLimits], clock: Clock
) -> None:
    """Not for the whole lease: a request cancelled while it waits for its place (its deadline) frees it one
    period later."""
    owner, other = replicas
    throttle = shared_throttle(Policy(rate=1, concurrency=5), owner, Waits(clock), clock)
    key = owner.rate_key("crossref")
    async with throttle.slot() as slot:
        await slot.sent()

    async def never(seconds: float) -> None:
        await asyncio.Event().wait()

    throttle._sleep = never
    waiting = asyncio.create_task(throttle.slot().__aenter__())
    await asyncio.sleep(0.05)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    assert (await other.admit(key, "next", 1)).wait == pytest.approx(margin(1.0))


async def test_a_replica_reckons_redis_s_clock_from_its_round_trips(redis_url: str) -> None:
    """A replica's clock is not Redis's: a write is counted on Redis's clock from when it happened here, and a place
    freeing on Redis's clock is used here when it frees."""
    redis_clock, replica_clock = Clock(), Clock()
    redis_clock.now = replica_clock.now + 1000.0  # another host's clock altogether
    shared = SharedLimits(connect(redis_url), clock=redis_clock, local=replica_clock)
    other = SharedLimits(connect(redis_url), clock=redis_clock)
    key = shared.rate_key("crossref")
    try:
        assert (await shared.admit(key, "a", 1)).held
        written = replica_clock.now
        for c in (redis_clock, replica_clock):
            c.now += 0.3  # the mark reaches Redis 0.3 s after the write
        await shared.mark(key, "a", 1.0, written=written)
        assert (await other.admit(key, "b", 1)).wait == pytest.approx(0.7)  # 1 s from the write, not from the mark
        taken = await shared.admit(key, "c", 1)  # the place after b's: b not yet written, so ask again shortly
        assert not taken.held
        await other.mark(key, "b", 1.0)
        taken = await shared.admit(key, "c", 1)
        assert taken.held and taken.at == pytest.approx(replica_clock.now + 1.0)
    finally:
        await shared.close()
        await other.close()


def test_redis_s_clock_is_read_halfway_through_the_fastest_recent_round_trip() -> None:
    offsets = Offsets()
    offsets.add(10.0, 1010.5, 11.0)  # a 1 s trip: Redis is 999.5 to 1000.5 s ahead
    offsets.add(12.0, 1012.05, 12.1)  # 0.1 s: halfway, 1000.0 s ahead
    offsets.add(13.0, 1013.9, 13.5)  # slower again
    assert offsets.to_redis(20.0) == pytest.approx(1020.0)
    assert offsets.to_local(1030.0) == pytest.approx(30.0)


def test_a_round_trip_older_than_the_offset_window_no_longer_counts() -> None:
    offsets = Offsets()
    offsets.add(0.0, 1000.0, 0.0)  # instant: exactly 1000 s ahead
    offsets.add(1.0, 1001.6, 1.2)  # 0.2 s: 1000.5 s ahead
    offsets.add(OFFSET_WINDOW + 0.5, OFFSET_WINDOW + 1001.1, OFFSET_WINDOW + 0.7)  # the instant trip expires
    assert offsets.to_redis(10.0) == pytest.approx(1010.5)


async def test_windows_of_two_buckets_are_separate(replicas: tuple[SharedLimits, SharedLimits]) -> None:
    a, b = replicas
    assert (await a.admit(a.rate_key("crossref"), "x", 1))[0] == 0
    assert (await b.admit(b.rate_key("crossref", "singletons"), "y", 1))[0] == 0


async def test_the_window_runs_on_the_redis_servers_clock(redis_url: str) -> None:
    shared = SharedLimits(connect(redis_url))
    key = shared.rate_key("dblp")
    try:
        first = (await shared.admit(key, "a", 1))[0]
        await shared.mark(key, "a", 0.5)
        second = (await shared.admit(key, "b", 1))[0]
    finally:
        await shared.close()
    assert first == 0.0
    assert 0.4 < second <= 0.5  # the period, less the few milliseconds between the two calls


async def test_throttles_of_two_replicas_never_exceed_the_window_together(
    replicas: tuple[SharedLimits, SharedLimits], clock: Clock
) -> None:
    sleep = Waits(clock)
    # Concurrency well above the requests: every wait is for the window, none for a free slot.
    throttles = [shared_throttle(Policy(rate=2, concurrency=20), r, sleep, clock) for r in replicas]
    left: list[float] = []

    async def request(t: Throttle) -> None:
        async with t.slot() as slot:
            left.append(clock.now)
            await slot.sent()

    await asyncio.gather(*(request(t) for _ in range(6) for t in throttles))
    left.sort()
    assert len(left) == 12
    # Any three in a row span at least the window's period: never more than two in one period.
    assert min(c - a for a, _, c in zip(left, left[1:], left[2:], strict=False)) >= margin(1.0) - 2e-6


async def test_a_retry_after_pause_is_shared(replicas: tuple[SharedLimits, SharedLimits], clock: Clock) -> None:
    sleep = Waits(clock)
    paused, other = (shared_throttle(Policy(rate=1, concurrency=3), r, sleep, clock) for r in replicas)
    start = clock.now
    paused.pause(5.0)
    async with paused.slot():
        assert clock.now - start == pytest.approx(5.0, abs=2e-6)
    async with other.slot():
        assert clock.now - start == pytest.approx(5.0 + margin(1.0), abs=2e-6)


async def test_a_crashed_replicas_place_being_written_frees_itself_after_the_lease(
    replicas: tuple[SharedLimits, SharedLimits], clock: Clock
) -> None:
    crashed, alive = replicas
    key = crashed.rate_key("dblp")
    assert (await crashed.admit(key, "never-written", 1))[0] == 0
    clock.now += 29
    assert (await alive.admit(key, "waiting", 1))[0] > 0
    clock.now += 2
    assert (await alive.admit(key, "waiting", 1))[0] == 0


async def test_a_429_in_one_replica_widens_the_margin_of_every_replica(
    replicas: tuple[SharedLimits, SharedLimits], clock: Clock
) -> None:
    sleep = Waits(clock)
    told, other = (shared_throttle(Policy(rate=1, concurrency=2), r, sleep, clock) for r in replicas)
    told.widen()
    async with told.slot():  # the lesson travels with its next request
        pass
    async with other.slot():
        pass
    assert other.window == told.window == Window(1, 1.0).with_margin(LEARN_STEP)


async def test_the_concurrency_cap_is_shared_by_replicas(replicas: tuple[SharedLimits, SharedLimits]) -> None:
    a, b = replicas
    key = a.slots_key("crossref")
    assert await a.acquire(key, "a1", 2) == 0
    assert await b.acquire(key, "b1", 2) == 0
    assert await a.acquire(key, "a2", 2) > 0
    await b.release(key, "b1")
    assert await a.acquire(key, "a2", 2) == 0


async def test_a_request_that_yields_leaves_a_free_slot_to_one_waiting_for_it(
    replicas: tuple[SharedLimits, SharedLimits],
) -> None:
    a, b = replicas
    key = a.slots_key("crossref")
    assert await a.acquire(key, "search-1", 1) == 0
    assert await b.acquire(key, "search-2", 1) > 0  # refused: now waiting
    await a.release(key, "search-1")
    assert await a.acquire(key, "lookup", 1, yields=True) > 0  # free, but search-2 waits for it
    assert await b.acquire(key, "search-2", 1) == 0
    await b.release(key, "search-2")
    assert await a.acquire(key, "lookup", 1, yields=True) == 0  # nobody waits any more


async def test_a_request_that_yields_leaves_the_last_free_slot_while_others_are_active(
    replicas: tuple[SharedLimits, SharedLimits], clock: Clock
) -> None:
    """A DOI lookup that took Crossref's last free slot just before a search's window place freed would make the
    search wait for an answer; once no search has taken a slot for `ACTIVE_FOR`, lookups use every slot."""
    a, b = replicas
    key = a.slots_key("crossref")
    assert await b.acquire(key, "lookup-1", 3, yields=True) == 0  # no search lately: any free slot
    assert await a.acquire(key, "search-1", 3) == 0
    assert await b.acquire(key, "lookup-2", 3, yields=True) > 0  # the last free one: left to the searches
    clock.now += ACTIVE_FOR
    assert await b.acquire(key, "lookup-2", 3, yields=True) == 0


async def test_a_request_that_yields_may_take_the_last_of_two_slots(
    replicas: tuple[SharedLimits, SharedLimits],
) -> None:
    """Leaving the last slot of two would leave a lookup only the moments no search is in flight."""
    a, b = replicas
    key = a.slots_key("crossref")
    assert await a.acquire(key, "search-1", 2) == 0
    assert await b.acquire(key, "lookup-1", 2, yields=True) == 0


async def test_a_slot_released_with_a_grace_frees_for_others_only_after_it(
    replicas: tuple[SharedLimits, SharedLimits], clock: Clock
) -> None:
    """An upstream that counts requests in flight lowers its count after writing the answer: the slot waits, and
    a replica refused it is told for how long."""
    a, b = replicas
    key = a.slots_key("crossref")
    assert await a.acquire(key, "a1", 1) == 0
    await a.release(key, "a1", grace=RELEASE_GRACE)
    assert await b.acquire(key, "b1", 1) == pytest.approx(RELEASE_GRACE)
    clock.now += RELEASE_GRACE
    assert await b.acquire(key, "b1", 1) == 0


async def test_a_replica_waiting_for_a_slot_is_woken_by_its_release(
    replicas: tuple[SharedLimits, SharedLimits], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No polling: the release announces itself, long before the waiter's own bound on waiting."""
    monkeypatch.setattr("app.sources.limits.SLOT_RECHECK", 60.0)
    a, b = replicas
    key = a.slots_key("crossref")
    assert await a.acquire(key, "a1", 1) == 0
    waiting = asyncio.create_task(b.hold(key, "b1", 1))
    done, _ = await asyncio.wait({waiting}, timeout=0.05)
    assert not done
    await a.release(key, "a1")
    await asyncio.wait_for(waiting, timeout=5)
    assert await a.acquire(key, "a2", 1) > 0


async def test_a_crashed_replicas_slot_frees_itself_after_the_lease(
    replicas: tuple[SharedLimits, SharedLimits], clock: Clock
) -> None:
    crashed, alive = replicas
    key = crashed.slots_key("arxiv")
    assert await crashed.acquire(key, "never-released", 1) == 0
    clock.now += 29
    assert await alive.acquire(key, "waiting", 1) > 0
    clock.now += 2
    assert await alive.acquire(key, "waiting", 1) == 0


async def test_a_throttle_waits_for_a_slot_another_replica_holds(
    replicas: tuple[SharedLimits, SharedLimits], clock: Clock
) -> None:
    sleep = Waits()
    holder, waiter = (shared_throttle(Policy(rate=1000, concurrency=1), r, sleep, clock) for r in replicas)
    release, taken = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with holder.slot():
            taken.set()
            await release.wait()

    held = asyncio.create_task(hold())
    await asyncio.wait_for(taken.wait(), timeout=2)  # `hold` took the slot over the socket
    entered = asyncio.Event()

    async def wait() -> None:
        async with waiter.slot():
            entered.set()

    waiting = asyncio.create_task(wait())
    await asyncio.sleep(0.02)
    assert not entered.is_set()
    release.set()
    await asyncio.wait_for(asyncio.gather(held, waiting), timeout=2)
    assert entered.is_set()


async def test_without_redis_a_throttle_falls_back_to_its_own_schedule(caplog: pytest.LogCaptureFixture) -> None:
    shared = SharedLimits(connect("redis://127.0.0.1:1/0"))  # nothing listens on port 1
    sleep = Waits()
    t = Throttle(Policy(rate=10, concurrency=1), sleep=sleep)
    t.bind(Limits(shared=shared), "crossref")
    try:
        with caplog.at_level(logging.WARNING):
            async with t.slot():
                pass
    finally:
        await shared.close()
    assert "in this process only" in caplog.text


def test_every_throttle_of_a_source_is_bound_by_its_attribute_name(settings: Settings) -> None:
    shared = SharedLimits(connect("redis://127.0.0.1:1/0"))  # never connects: binding only names keys
    sources = build_sources(httpx.AsyncClient(), settings, Limits(time_scale=0.5, shared=shared))
    crossref = vars(sources["crossref"])
    assert crossref["_throttle"]._rate_key == "refverify:window:crossref"
    assert crossref["_singletons"]._rate_key == "refverify:window:crossref:singletons"
    assert crossref["_singletons"]._slots_key == crossref["_throttle"]._slots_key == "refverify:slots:crossref"
    assert vars(sources["wayback"])["_availability"]._rate_key == "refverify:window:wayback:availability"


def test_limits_are_shared_only_on_a_redis_cache_with_throttling_on() -> None:
    assert Limits.from_settings(Settings(cache_url="sqlite:///:memory:", _env_file=None)).shared is None
    off = Settings(cache_url="redis://127.0.0.1:1/0", throttle=False, _env_file=None)
    assert Limits.from_settings(off).shared is None
    shared = Limits.from_settings(Settings(cache_url="redis://127.0.0.1:1/0", _env_file=None)).shared
    assert isinstance(shared, SharedLimits)


def test_the_limits_module_needs_no_redis_for_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    assert Limits.from_settings(Settings(cache_url=url, _env_file=None)) == Limits()
