"""Limits shared by replicas through a real throwaway redis-server (skipped, with the reason, when none is
installed). Each "replica" is its own Redis client; time is injected, so slot times are checked, not slept."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from app.cache.redis import connect
from app.settings import Settings
from app.sources import build_sources
from app.sources.base import Policy, Throttle
from app.sources.limits import RATE_MARGIN, Limits, SharedLimits
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
    """A sleep that records how long each request would wait, then only yields."""

    def __init__(self) -> None:
        self.seconds: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        await asyncio.sleep(0)


def shared_throttle(policy: Policy, shared: SharedLimits, sleep: Waits, clock: Clock) -> Throttle:
    t = Throttle(policy, clock=clock, sleep=sleep)
    t.bind(Limits(shared=shared), "crossref")
    return t


async def test_two_replicas_together_keep_to_one_schedule(replicas: tuple[SharedLimits, SharedLimits]) -> None:
    a, b = replicas
    key = a.rate_key("crossref")
    waits = await asyncio.gather(*(r.reserve(key, 0.25) for _ in range(10) for r in (a, b)))
    assert sorted(waits) == pytest.approx([0.25 * i for i in range(20)])


async def test_schedules_of_two_buckets_are_separate(replicas: tuple[SharedLimits, SharedLimits]) -> None:
    a, b = replicas
    await a.reserve(a.rate_key("crossref"), 1.0)
    assert await b.reserve(b.rate_key("crossref", "singletons"), 1.0) == 0.0


async def test_the_schedule_runs_on_the_redis_servers_clock(redis_url: str) -> None:
    shared = SharedLimits(connect(redis_url))
    try:
        first = await shared.reserve(shared.rate_key("dblp"), 0.5)
        second = await shared.reserve(shared.rate_key("dblp"), 0.5)
    finally:
        await shared.close()
    assert first == 0.0
    assert 0.4 < second <= 0.5  # the same slot spacing, less the few milliseconds between the two calls


async def test_throttles_of_two_replicas_never_exceed_the_rate_together(
    replicas: tuple[SharedLimits, SharedLimits], clock: Clock
) -> None:
    sleep = Waits()
    # Concurrency well above the requests: every recorded wait is a rate slot, none a poll for a free slot.
    throttles = [shared_throttle(Policy(rate=10, concurrency=20), r, sleep, clock) for r in replicas]

    async def request(t: Throttle) -> None:
        async with t:
            pass

    await asyncio.gather(*(request(t) for _ in range(6) for t in throttles))
    starts = sorted([0.0, *sleep.seconds])  # the first slot is free: no wait recorded
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(starts) == 12
    assert min(gaps) == pytest.approx(1 / (10 * RATE_MARGIN), abs=2e-6)  # Redis keeps whole microseconds


async def test_a_retry_after_pause_is_shared(replicas: tuple[SharedLimits, SharedLimits], clock: Clock) -> None:
    sleep = Waits()
    paused, other = (shared_throttle(Policy(rate=10, concurrency=3), r, sleep, clock) for r in replicas)
    paused.pause(5.0)
    async with paused:
        pass
    async with other:
        pass
    assert sleep.seconds == pytest.approx([5.0, 5.0 + 1 / (10 * RATE_MARGIN)], abs=2e-6)


async def test_the_concurrency_cap_is_shared_by_replicas(replicas: tuple[SharedLimits, SharedLimits]) -> None:
    a, b = replicas
    key = a.slots_key("crossref")
    assert await a.acquire(key, "a1", 2)
    assert await b.acquire(key, "b1", 2)
    assert not await a.acquire(key, "a2", 2)
    await b.release(key, "b1")
    assert await a.acquire(key, "a2", 2)


async def test_a_crashed_replicas_slot_frees_itself_after_the_lease(
    replicas: tuple[SharedLimits, SharedLimits], clock: Clock
) -> None:
    crashed, alive = replicas
    key = crashed.slots_key("arxiv")
    assert await crashed.acquire(key, "never-released", 1)
    clock.now += 29
    assert not await alive.acquire(key, "waiting", 1)
    clock.now += 2
    assert await alive.acquire(key, "waiting", 1)


async def test_a_throttle_waits_for_a_slot_another_replica_holds(
    replicas: tuple[SharedLimits, SharedLimits], clock: Clock
) -> None:
    sleep = Waits()
    holder, waiter = (shared_throttle(Policy(rate=1000, concurrency=1), r, sleep, clock) for r in replicas)
    release = asyncio.Event()

    async def hold() -> None:
        async with holder:
            await release.wait()

    held = asyncio.create_task(hold())
    await asyncio.sleep(0.01)  # lets `hold` take the slot over the socket
    entered = asyncio.Event()

    async def wait() -> None:
        async with waiter:
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
            async with t:
                pass
    finally:
        await shared.close()
    assert "in this process only" in caplog.text


def test_every_throttle_of_a_source_is_bound_by_its_attribute_name(settings: Settings) -> None:
    shared = SharedLimits(connect("redis://127.0.0.1:1/0"))  # never connects: binding only names keys
    sources = build_sources(httpx.AsyncClient(), settings, Limits(time_scale=0.5, shared=shared))
    crossref = vars(sources["crossref"])
    assert crossref["_throttle"]._rate_key == "refverify:rate:crossref"
    assert crossref["_singletons"]._rate_key == "refverify:rate:crossref:singletons"
    assert crossref["_singletons"]._slots_key == crossref["_throttle"]._slots_key == "refverify:slots:crossref"
    assert vars(sources["wayback"])["_availability"]._rate_key == "refverify:rate:wayback:availability"


def test_limits_are_shared_only_on_a_redis_cache_with_throttling_on() -> None:
    assert Limits.from_settings(Settings(cache_url="sqlite:///:memory:", _env_file=None)).shared is None
    off = Settings(cache_url="redis://127.0.0.1:1/0", throttle=False, _env_file=None)
    assert Limits.from_settings(off).shared is None
    shared = Limits.from_settings(Settings(cache_url="redis://127.0.0.1:1/0", _env_file=None)).shared
    assert isinstance(shared, SharedLimits)


def test_the_limits_module_needs_no_redis_for_sqlite(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.sqlite'}"
    assert Limits.from_settings(Settings(cache_url=url, _env_file=None)) == Limits()
