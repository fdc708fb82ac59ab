"""The per-process throttle: spacing with a safety margin, the concurrency cap, Retry-After pauses, the upstream's
time scale and the lower limits an answer announces. Time is injected: nothing really sleeps."""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest
import respx

from app.settings import Settings
from app.sources.base import IdKind, Policy, Throttle
from app.sources.crossref import CrossrefSource
from app.sources.limits import RATE_MARGIN, Announced, Limits, announced_limits


class FakeTime:
    """A clock that stands still and a sleep that only records: each wait is a slot's time from now."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.sleep(0)


def throttle(policy: Policy, fake: FakeTime, *, enabled: bool = True) -> Throttle:
    return Throttle(policy, enabled=enabled, clock=fake.clock, sleep=fake.sleep)


async def enter_times(t: Throttle, fake: FakeTime, n: int) -> list[float]:
    """When each of `n` requests would start, seconds from now."""
    starts = []
    for _ in range(n):
        before = len(fake.waits)
        async with t:
            starts.append(fake.waits[-1] if len(fake.waits) > before else 0.0)
    return starts


async def test_requests_are_spaced_at_the_documented_rate_less_the_margin() -> None:
    fake = FakeTime()
    starts = await enter_times(throttle(Policy(rate=10, concurrency=1), fake), fake, 4)
    interval = 1 / (10 * RATE_MARGIN)
    assert starts == pytest.approx([0, interval, 2 * interval, 3 * interval])
    assert interval > 0.1  # slower than the documented 10/s


async def test_a_disabled_throttle_neither_waits_nor_caps() -> None:
    fake = FakeTime()
    t = throttle(Policy(rate=1, concurrency=1), fake, enabled=False)
    async with t, t:
        pass
    assert fake.waits == []


async def test_a_retry_after_pause_pushes_the_next_request_back() -> None:
    fake = FakeTime()
    t = throttle(Policy(rate=10, concurrency=1), fake)
    t.pause(2.0)
    assert await enter_times(t, fake, 1) == [pytest.approx(2.0)]


async def test_no_more_than_the_concurrency_are_in_flight() -> None:
    fake = FakeTime()
    t = throttle(Policy(rate=1000, concurrency=2), fake)
    release = asyncio.Event()
    inside = 0

    async def hold() -> None:
        nonlocal inside
        async with t:
            inside += 1
            await release.wait()

    tasks = [asyncio.create_task(hold()) for _ in range(3)]
    for _ in range(10):
        await asyncio.sleep(0)
    assert inside == 2
    release.set()
    await asyncio.gather(*tasks)
    assert inside == 3


def test_a_time_scale_speeds_the_rate_up_with_the_upstream_clock() -> None:
    t = Throttle(Policy(rate=3, concurrency=3))
    t.bind(Limits(time_scale=0.2), "crossref")
    assert t.rate == pytest.approx(15 * RATE_MARGIN)


def test_an_announced_lower_rate_and_concurrency_slow_the_throttle_down() -> None:
    t = Throttle(Policy(rate=10, concurrency=3))
    t.observe(httpx.Headers({"X-Rate-Limit-Limit": "5", "X-Rate-Limit-Interval": "1s", "X-Concurrency-Limit": "2"}))
    assert t.rate == pytest.approx(5 * RATE_MARGIN)
    assert t.concurrency == 2


def test_an_announced_higher_limit_never_speeds_the_throttle_up() -> None:
    t = Throttle(Policy(rate=10, concurrency=3))
    t.observe(httpx.Headers({"x-rate-limit-limit": "50", "x-rate-limit-interval": "1s", "x-concurrency-limit": "9"}))
    assert t.rate == pytest.approx(10 * RATE_MARGIN)
    assert t.concurrency == 3


def test_the_latest_announcement_counts() -> None:
    t = Throttle(Policy(rate=10, concurrency=3))
    t.observe({"x-rate-limit-limit": "2"})
    t.observe({"x-rate-limit-limit": "10"})
    assert t.rate == pytest.approx(10 * RATE_MARGIN)


def test_a_scaled_announcement_equal_to_the_scaled_policy_changes_nothing() -> None:
    """The simulator announces limit / time scale; the throttle compares it with its scaled policy."""
    t = Throttle(Policy(rate=3, concurrency=3))
    t.bind(Limits(time_scale=0.2), "crossref")
    t.observe({"x-rate-limit-limit": "15", "x-rate-limit-interval": "1s", "x-concurrency-limit": "3"})
    assert t.rate == pytest.approx(15 * RATE_MARGIN)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-rate-limit-limit": "50", "x-rate-limit-interval": "1s"}, Announced(rate=50.0)),
        ({"x-rate-limit-limit": "60", "x-rate-limit-interval": "1m"}, Announced(rate=1.0)),
        ({"x-rate-limit-limit": "5", "x-rate-limit-interval": "500ms"}, Announced(rate=10.0)),
        ({"x-rate-limit-limit": "5", "x-rate-limit-interval": "soon"}, Announced()),
        ({"x-concurrency-limit": "3"}, Announced(concurrency=3)),
        ({"X-RateLimit-Limit": "3", "X-RateLimit-Remaining": "2"}, Announced(rate=3.0)),  # NCBI: per second
        # OpenAlex: a daily credit budget, not a request rate.
        ({"X-RateLimit-Limit": "1000", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "3600"}, Announced()),
        ({"x-rate-limit-limit": "0"}, Announced()),
        ({}, Announced()),
    ],
)
def test_announced_limits_read_from_headers(headers: dict[str, str], expected: Announced) -> None:
    assert announced_limits(headers) == expected


async def test_an_upstream_answer_announcing_a_lower_rate_slows_its_source(
    client: httpx.AsyncClient, router: respx.Router, settings: Settings
) -> None:
    crossref = CrossrefSource(client, settings.model_copy(update={"throttle": True}))
    router.get(path="/works/10.1000/x").respond(
        404,
        text="Resource not found.",
        headers={"x-rate-limit-limit": "4", "x-rate-limit-interval": "1s", "x-concurrency-limit": "1"},
    )
    assert await crossref.resolve(IdKind.DOI, "10.1000/x") is None
    assert crossref._singletons.rate == pytest.approx(4 * RATE_MARGIN)
    assert crossref._singletons.concurrency == 1
    assert crossref._throttle.rate == pytest.approx(3 * RATE_MARGIN)  # the search pool heard nothing new


async def test_a_late_wake_up_counts_the_spacing_from_when_the_request_really_left() -> None:
    fake = FakeTime()
    lags = [0.1]  # the event loop wakes the first sleeper 100 ms late, the next on time

    async def late(seconds: float) -> None:
        fake.now += seconds + (lags.pop() if lags else 0.0)

    t = Throttle(Policy(rate=10, concurrency=1), clock=fake.clock, sleep=late)
    left = []
    for _ in range(3):
        async with t:
            left.append(fake.now)
    gaps = [b - a for a, b in itertools.pairwise(left)]
    assert min(gaps) == pytest.approx(1 / (10 * RATE_MARGIN))
