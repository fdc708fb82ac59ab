"""The per-process throttle: a sliding window with a safety margin counted from when each request was written, the
concurrency cap, Retry-After pauses, the upstream's time scale and the lower limits an answer announces. Time is
injected: nothing really sleeps."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from app.errors import SourceRateLimited
from app.models import Reference
from app.settings import Settings
from app.sources import Connections, backlog, build_sources
from app.sources.base import IdKind, Policy, Throttle
from app.sources.crossref import CrossrefSource
from app.sources.limits import (
    LEARN_STEP,
    LEARNED_FOR,
    MAX_LEARNED_MARGIN,
    MIN_MARGIN,
    RATE_MARGIN,
    Announced,
    Limits,
    announced_limits,
)
from app.sources.throttle import Slot, Window


class FakeTime:
    """A clock that moves only when someone sleeps; every sleep is recorded."""

    def __init__(self) -> None:
        self.now = 100.0
        self.waits: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def throttle(policy: Policy, fake: FakeTime, *, enabled: bool = True) -> Throttle:
    return Throttle(policy, enabled=enabled, clock=fake.clock, sleep=fake.sleep)


async def leave_times(t: Throttle, fake: FakeTime, n: int) -> list[float]:
    """When each of `n` requests, one after the other, is let through (written at once), from the start."""
    start, times = fake.now, []
    for _ in range(n):
        async with t.slot() as slot:
            times.append(fake.now - start)
            await slot.sent()
    return times


def margin(period: float) -> float:
    return period + max(MIN_MARGIN, period * (1 / RATE_MARGIN - 1))


@pytest.mark.parametrize(
    ("rate", "window"),
    [(10, Window(10, 1.0)), (1, Window(1, 1.0)), (1 / 3, Window(1, 3.0)), (2.5, Window(2, 0.8))],
)
def test_a_documented_rate_is_read_as_a_window(rate: float, window: Window) -> None:
    assert Window.of_rate(rate).limit == window.limit
    assert Window.of_rate(rate).period == pytest.approx(window.period)


def test_the_margin_is_a_share_of_a_long_window_and_at_least_min_margin_of_a_short_one() -> None:
    assert Window(1, 3.0).with_margin().period == pytest.approx(3.0 / RATE_MARGIN)
    assert Window(1, 0.2).with_margin().period == pytest.approx(0.2 + MIN_MARGIN)


async def test_no_more_than_the_limit_leave_in_any_window_period_with_the_margin() -> None:
    fake = FakeTime()
    times = await leave_times(throttle(Policy(rate=3, concurrency=3), fake), fake, 7)
    period = margin(1.0)
    assert times == pytest.approx([0, 0, 0, period, period, period, 2 * period])


async def test_a_one_per_second_source_is_spaced_a_period_and_margin_apart() -> None:
    fake = FakeTime()
    times = await leave_times(throttle(Policy(rate=1, concurrency=2), fake), fake, 3)
    assert times == pytest.approx([0, margin(1.0), 2 * margin(1.0)])


async def test_a_disabled_throttle_neither_waits_nor_caps() -> None:
    fake = FakeTime()
    t = throttle(Policy(rate=1, concurrency=1), fake, enabled=False)
    async with t.slot(), t.slot():
        pass
    assert fake.waits == []


async def test_a_retry_after_pause_holds_the_next_request_back() -> None:
    fake = FakeTime()
    t = throttle(Policy(rate=10, concurrency=1), fake)
    t.pause(2.0)
    assert await leave_times(t, fake, 1) == [pytest.approx(2.0)]


async def test_no_more_than_the_concurrency_are_in_flight() -> None:
    fake = FakeTime()
    t = throttle(Policy(rate=1000, concurrency=2), fake)
    release = asyncio.Event()
    inside = 0

    async def hold() -> None:
        nonlocal inside
        async with t.slot():
            inside += 1
            await release.wait()

    tasks = [asyncio.create_task(hold()) for _ in range(3)]
    for _ in range(10):
        await asyncio.sleep(0)
    assert inside == 2
    release.set()
    await asyncio.gather(*tasks)
    assert inside == 3


async def test_the_window_counts_from_when_the_request_was_written() -> None:
    """A busy event loop may write a request long after letting it through: the next waits a period from the
    write, so the upstream never sees two requests closer than that."""
    fake = FakeTime()
    t = throttle(Policy(rate=1, concurrency=2), fake)
    async with t.slot() as slot:
        fake.now += 0.3  # the loop gets round to writing it 300 ms later
        await slot.trace("http11.send_request_body.complete", {})
        written = fake.now
    async with t.slot():
        assert fake.now == pytest.approx(written + margin(1.0))


async def test_a_request_being_written_holds_its_place_until_it_is_written() -> None:
    fake = FakeTime()
    t = throttle(Policy(rate=1, concurrency=2), fake)
    first_through, second_through = asyncio.Event(), asyncio.Event()
    written = asyncio.Event()

    async def first() -> None:
        async with t.slot() as slot:
            first_through.set()
            await written.wait()
            await slot.sent()

    async def second() -> None:
        await first_through.wait()
        async with t.slot():
            second_through.set()

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    for _ in range(10):
        await asyncio.sleep(0)
    assert first_through.is_set() and not second_through.is_set()
    fake.now += 0.5
    sent_at = fake.now
    written.set()
    await asyncio.gather(*tasks)
    assert fake.now == pytest.approx(sent_at + margin(1.0))


async def test_a_request_never_marked_written_counts_from_the_end_of_its_block() -> None:
    """A transport without httpcore's trace hook (a mock): the answer came back, so the write was before."""
    fake = FakeTime()
    t = throttle(Policy(rate=1, concurrency=1), fake)
    async with t.slot():
        fake.now += 0.4
    ended = fake.now
    async with t.slot():
        assert fake.now == pytest.approx(ended + margin(1.0))


async def test_a_redirects_next_hop_moves_the_end_of_the_place_later() -> None:
    fake = FakeTime()
    t = throttle(Policy(rate=1, concurrency=1), fake)
    async with t.slot() as slot:
        await slot.trace("http11.send_request_body.complete", {})
        fake.now += 0.2
        await slot.trace("http11.send_request_body.complete", {})
        second_hop = fake.now
    async with t.slot():
        assert fake.now == pytest.approx(second_hop + margin(1.0))


async def test_the_backlog_is_the_waiting_requests_at_the_rate() -> None:
    fake = FakeTime()
    t = throttle(Policy(rate=1, concurrency=1), fake)
    blocker = asyncio.Event()

    async def hold() -> None:
        async with t.slot():
            await blocker.wait()

    tasks = [asyncio.create_task(hold()) for _ in range(4)]
    for _ in range(10):
        await asyncio.sleep(0)
    assert t.backlog == pytest.approx(3 * margin(1.0))
    blocker.set()
    await asyncio.gather(*tasks)
    assert t.backlog == 0


async def test_slow_answers_lengthen_the_backlog_to_their_time_over_the_concurrency() -> None:
    fake = FakeTime()
    t = throttle(Policy(rate=100, concurrency=2), fake)
    for _ in range(30):  # answers take 3 s: two in flight let one leave every 1.5 s, not every 10 ms
        async with t.slot():
            fake.now += 3.0
    blocker = asyncio.Event()

    async def hold() -> None:
        async with t.slot():
            await blocker.wait()

    tasks = [asyncio.create_task(hold()) for _ in range(4)]
    for _ in range(10):
        await asyncio.sleep(0)
    assert t.backlog == pytest.approx(2 * 1.5, rel=0.01)
    blocker.set()
    await asyncio.gather(*tasks)


def test_the_sources_backlog_is_their_busiest_throttles(settings: Settings) -> None:
    sources = build_sources(httpx.AsyncClient(), settings.model_copy(update={"throttle": True}))
    busiest = backlog(sources)
    assert busiest() == 0.0
    sources["dblp"]._throttle._waiting = 3  # type: ignore[attr-defined]
    assert busiest() == pytest.approx(3 * margin(1.0))


def test_a_time_scale_speeds_the_rate_up_with_the_upstream_clock() -> None:
    t = Throttle(Policy(rate=3, concurrency=3))
    t.bind(Limits(time_scale=0.2), "crossref")
    assert t.window == Window(3, 0.2).with_margin()


def test_an_announced_lower_rate_and_concurrency_slow_the_throttle_down() -> None:
    t = Throttle(Policy(rate=10, concurrency=3))
    t.observe(httpx.Headers({"X-Rate-Limit-Limit": "5", "X-Rate-Limit-Interval": "1s", "X-Concurrency-Limit": "2"}))
    assert t.window == Window(5, 1.0).with_margin()
    assert t.concurrency == 2


def test_an_announced_higher_limit_never_speeds_the_throttle_up() -> None:
    t = Throttle(Policy(rate=10, concurrency=3))
    t.observe(httpx.Headers({"x-rate-limit-limit": "50", "x-rate-limit-interval": "1s", "x-concurrency-limit": "9"}))
    assert t.window == Window(10, 1.0).with_margin()
    assert t.concurrency == 3


def test_the_latest_announcement_counts() -> None:
    t = Throttle(Policy(rate=10, concurrency=3))
    t.observe({"x-rate-limit-limit": "2"})
    t.observe({"x-rate-limit-limit": "10"})
    assert t.window == Window(10, 1.0).with_margin()


def test_a_scaled_announcement_equal_to_the_scaled_policy_changes_nothing() -> None:
    """The simulator announces limit / time scale; the throttle compares it with its scaled policy."""
    t = Throttle(Policy(rate=3, concurrency=3))
    t.bind(Limits(time_scale=0.2), "crossref")
    t.observe({"x-rate-limit-limit": "15", "x-rate-limit-interval": "1s", "x-concurrency-limit": "3"})
    assert t.window == Window(3, 0.2).with_margin()
    t.bind(Limits(time_scale=0.3), "crossref")
    t.observe({"x-rate-limit-limit": "10", "x-rate-limit-interval": "1s"})  # 3 per 0.3 s, rounded: no burst of 10
    assert t.window == Window(3, 0.3).with_margin()


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
    assert crossref._singletons.window == Window(4, 1.0).with_margin()
    assert crossref._singletons.concurrency == 1
    assert crossref._throttle.window == Window(3, 1.0).with_margin()  # the search pool heard nothing new


def test_each_429_widens_the_margin_up_to_a_cap() -> None:
    """A 429 although the window kept to the limit: the delays between our write and the upstream's reading
    were longer than the margin."""
    t = Throttle(Policy(rate=1, concurrency=1))
    t.widen()
    assert t.window == Window(1, 1.0).with_margin(LEARN_STEP)
    for _ in range(20):
        t.widen()
    assert t.window == Window(1, 1.0).with_margin(MAX_LEARNED_MARGIN)


def test_a_lesson_is_forgotten_after_a_while_without_429s() -> None:
    fake = FakeTime()
    t = throttle(Policy(rate=1, concurrency=1), fake)
    t.widen()
    fake.now += LEARNED_FOR - 1
    assert t.window == Window(1, 1.0).with_margin(LEARN_STEP)
    fake.now += 1
    assert t.window == Window(1, 1.0).with_margin()


async def test_an_upstream_429_widens_the_margin_of_the_throttle_it_came_through(
    client: httpx.AsyncClient, router: respx.Router, settings: Settings
) -> None:
    crossref = CrossrefSource(client, settings.model_copy(update={"throttle": True, "retries": 0}))
    router.get(path="/works").respond(429, text="<h1>429 Too Many Requests</h1>")
    with pytest.raises(SourceRateLimited):
        await crossref.search(Reference(raw="A cited work, 2020"))
    assert crossref._throttle.window == Window(3, 1.0).with_margin(LEARN_STEP)
    assert crossref._singletons.window == Window(10, 1.0).with_margin()


async def test_an_upstream_that_counts_requests_in_flight_gets_connections_of_its_own(settings: Settings) -> None:
    """Crossref lowers its count only after writing an answer; over 3 connections of its own, each carrying one
    request at a time, it never counts more than 3 even when the next request leaves the moment one is answered."""
    own = Connections(settings)
    shared = httpx.AsyncClient()
    try:
        sources = build_sources(shared, settings.model_copy(update={"throttle": True}), connections=own)
        crossref, openalex = sources["crossref"], sources["openalex"]
        assert openalex._client is shared  # type: ignore[attr-defined]
        assert crossref._client is not shared  # type: ignore[attr-defined]
        assert crossref._client._transport.inner.limits.max_connections == 3  # type: ignore[attr-defined]
    finally:
        await own.aclose()
        await shared.aclose()


async def test_the_backlog_counts_turns_at_the_pace_they_came_lately() -> None:
    """Replicas sharing a window leave each one a share of it: its queue moves slower than the window's rate."""
    fake = FakeTime()
    t = throttle(Policy(rate=100, concurrency=100), fake)
    take, others = t._take, asyncio.Lock()

    async def shared_take(slot: Slot) -> None:
        async with others:  # other replicas take the turns in between: one comes here every 0.5 s
            await fake.sleep(0.5)
            await take(slot)

    t._take = shared_take  # type: ignore[method-assign]
    assert t.backlog == 0.0

    async def ask() -> None:
        async with t.slot():
            pass

    await asyncio.gather(*(ask() for _ in range(30)))
    t._waiting = 4
    assert t.backlog == pytest.approx(4 * 0.5, rel=0.01)


async def test_a_waiter_cancelled_after_it_was_woken_passes_the_place_on() -> None:
    pool = throttle(Policy(rate=1000, concurrency=1), FakeTime()).pool
    await pool.enter()
    first, second = asyncio.create_task(pool.enter()), asyncio.create_task(pool.enter())
    for _ in range(3):
        await asyncio.sleep(0)
    await pool.leave()  # the first waiter is woken for the place ...
    first.cancel()  # ... and cancelled before it runs
    await asyncio.wait_for(second, timeout=1)
    assert pool.in_flight == 1
