"""`POST /v1/verify` with `Accept: application/x-ndjson`: one line per result as decided, then the summary."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from typing import Any

import httpx

from app.batch import Backlog, as_decided, decide_all, decided_batches, parse_items
from app.errors import InputError
from app.lookups import tell_started
from app.main import create_app
from app.models import Result, Verdict
from app.settings import Settings
from app.verifier import Verifier

from .conftest import offline, serve

NDJSON = {"accept": "application/x-ndjson"}
ITEMS = ["10.1000/a", "10.1000/b", "10.1000/c", "10.1000/d"]


async def test_each_result_is_one_json_line_and_the_summary_comes_last(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        response = await served.client.post("/v1/verify", json={"references": ITEMS}, headers=NDJSON)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(line) for line in response.text.splitlines()]
    results = [Result.model_validate(line) for line in lines[:-1]]
    assert sorted(r.index for r in results) == [0, 1, 2, 3]
    assert lines[-1] == {"summary": {"total": 4, "verified": 0, "miscited": 0, "not_found": 0, "unverified": 4}}


async def test_without_the_accept_header_the_answer_is_one_json_document(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        response = await served.client.post("/v1/verify", json={"references": ITEMS}, headers={"accept": "*/*"})
    assert response.headers["content-type"] == "application/json"
    assert [r["index"] for r in response.json()["results"]] == [0, 1, 2, 3]


async def test_an_unreadable_item_streams_an_unverified_line_naming_it(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        response = await served.client.post("/v1/verify", json={"references": ["10.1000/a", ""]}, headers=NDJSON)
    assert response.status_code == 200
    lines = [json.loads(line) for line in response.text.splitlines()]
    unreadable = next(line for line in lines if line.get("index") == 1)
    assert unreadable["verdict"] == "unverified" and "references[1]" in unreadable["explanation"]


class _Stub(Verifier):
    """Decides reference i after waiting `delays[i]` turns of the event loop for an upstream (a reference asks at
    once, as one does whose answers are not in the cache), recording how many run at once."""

    def __init__(self, settings: Settings, delays: list[int]) -> None:
        super().__init__({}, settings)
        self.delays = delays
        self.active = self.peak = 0

    async def verify_reference(
        self, ref: object, *, index: int = 0, item: str | dict[str, object] = "", look_in_cache: bool = True
    ) -> Result:
        self.active += 1
        self.peak = max(self.peak, self.active)
        tell_started()
        try:
            for _ in range(self.delays[index]):
                await asyncio.sleep(0)
        finally:
            self.active -= 1
        return Result(index=index, input=item, reference={}, verdict=Verdict.UNVERIFIED, confidence=0.5, explanation="")


async def test_results_come_in_completion_order_within_the_concurrency_limit(settings: Settings) -> None:
    # Two at once: 0 (30 turns) and 1 (1); then 2 (20) and 3 (2) take 1's place in turn, all before 0 ends.
    stub = _Stub(settings, delays=[30, 1, 20, 2])
    order = [r.index async for r in as_decided(stub, parse_items(ITEMS), concurrency=2)]
    assert order == [1, 2, 3, 0]
    assert stub.peak == 2


async def test_a_whole_list_comes_back_in_input_order_whatever_order_it_was_decided_in(settings: Settings) -> None:
    stub = _Stub(settings, delays=[30, 1, 20, 2])
    results = await decide_all(stub, parse_items(ITEMS), concurrency=2)
    assert [r.index for r in results] == [0, 1, 2, 3]
    assert stub.peak == 2


async def test_closing_the_stream_early_cancels_the_references_in_flight(settings: Settings) -> None:
    stub = _Stub(settings, delays=[1, 10_000, 10_000, 10_000])
    decided = as_decided(stub, parse_items(ITEMS), concurrency=4)
    assert (await anext(decided)).index == 0
    await decided.aclose()
    assert stub.active == 0


async def test_a_reference_starts_only_while_the_upstreams_backlog_has_room(settings: Settings) -> None:
    stub = _Stub(settings, delays=[1, 1, 1, 1])
    level = 20.0  # seconds of waiting at the busiest upstream
    polls: list[float] = []

    async def sleep(seconds: float) -> None:
        polls.append(seconds)
        await asyncio.sleep(0)

    decided = as_decided(stub, parse_items(ITEMS), concurrency=4, backlog=Backlog(lambda: level, 10.0, sleep=sleep))
    first = asyncio.ensure_future(anext(decided))
    for _ in range(20):
        await asyncio.sleep(0)
    assert stub.peak == 0 and polls  # waiting for room, nothing started
    level = 5.0
    results = [(await first).index] + [r.index async for r in decided]
    assert sorted(results) == [0, 1, 2, 3]


async def test_room_found_is_room_used_no_other_reference_starts_in_between(settings: Settings) -> None:
    level = 0.0  # each reference started puts 10 s into the busiest upstream's queue

    class Queueing(_Stub):
        async def verify_reference(
            self, ref: object, *, index: int = 0, item: str | dict[str, object] = "", look_in_cache: bool = True
        ) -> Result:
            nonlocal level
            level += 10
            return await super().verify_reference(ref, index=index, item=item)

    stub = Queueing(settings, delays=[10_000] * 4)
    backlog = Backlog(lambda: level, 5.0, sleep=lambda _: asyncio.sleep(0))
    decided = as_decided(stub, parse_items(ITEMS), concurrency=4, backlog=backlog)
    waiting = asyncio.ensure_future(anext(decided))
    for _ in range(50):
        await asyncio.sleep(0)
    assert stub.peak == 1 and level == 10
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    await decided.aclose()


async def test_a_cached_verdict_comes_at_once_while_the_others_wait_for_room(settings: Settings) -> None:
    class Cached(_Stub):
        async def cached_many(self, entries: Sequence[tuple[int, str | dict[str, Any]]]) -> list[Result | None]:
            return [
                Result(index=2, input=item, reference={}, verdict=Verdict.VERIFIED, confidence=1.0, explanation="")
                if index == 2
                else None
                for index, item in entries
            ]

    stub = Cached(settings, delays=[1, 1, 1, 1])
    no_room = Backlog(lambda: 20.0, 10.0, sleep=lambda _: asyncio.sleep(0))
    decided = as_decided(stub, parse_items(ITEMS), concurrency=4, backlog=no_room)
    first = await asyncio.wait_for(anext(decided), timeout=5)
    assert (first.index, first.verdict, stub.peak) == (2, Verdict.VERIFIED, 0)
    await decided.aclose()


async def test_a_reference_reads_its_first_answer_before_the_rest_of_a_large_batch_has_started(
    settings: Settings,
) -> None:
    """References start one a turn: a job's first request is not held up behind the parsing of all the others."""
    events: list[tuple[str, int]] = []

    class Recording(_Stub):
        async def verify_reference(
            self, ref: object, *, index: int = 0, item: str | dict[str, object] = "", look_in_cache: bool = True
        ) -> Result:
            events.append(("started", index))
            await asyncio.sleep(0)  # an upstream's answer, ready on the next turn
            events.append(("answered", index))
            return await super().verify_reference(ref, index=index, item=item)

    items = [f"10.1000/{i}" for i in range(20)]
    stub = Recording(settings, delays=[200] * len(items))
    results = await decide_all(stub, parse_items(items), concurrency=len(items))
    assert len(results) == len(items) and stub.peak == len(items)
    assert events.index(("answered", 0)) < events.index(("started", 2))


async def test_the_next_reference_starts_only_once_the_one_before_waits_on_an_upstream(settings: Settings) -> None:
    """One reference at a time goes through its caches and parsing (its turn), however many may be in flight."""
    events: list[str] = []

    class Preparing(_Stub):
        async def verify_reference(
            self, ref: object, *, index: int = 0, item: str | dict[str, object] = "", look_in_cache: bool = True
        ) -> Result:
            events.append(f"start {index}")
            for _ in range(3):  # round trips to the cache, each a turn of the event loop
                await asyncio.sleep(0)
            events.append(f"ask {index}")
            return await super().verify_reference(ref, index=index, item=item)

    stub = Preparing(settings, delays=[100] * 4)
    results = await decide_all(stub, parse_items(ITEMS), concurrency=4)
    assert len(results) == 4 and stub.peak == 4  # all four in flight at once
    assert events[:4] == ["start 0", "ask 0", "start 1", "ask 1"]


async def test_a_batch_reads_its_cached_verdicts_a_hundred_at_a_time(settings: Settings) -> None:
    reads: list[int] = []

    class Counting(_Stub):
        async def cached_many(self, entries: Sequence[tuple[int, str | dict[str, Any]]]) -> list[Result | None]:
            reads.append(len(entries))
            return [None] * len(entries)

    items = [f"10.1000/{i}" for i in range(250)]
    results = await decide_all(Counting(settings, delays=[0] * 250), parse_items(items), concurrency=8)
    assert len(results) == 250 and reads == [100, 100, 50]


def test_parsing_keeps_the_problem_of_an_unreadable_item() -> None:
    tasks = parse_items(["10.1000/a", "   "])
    assert isinstance(tasks[1].ref, InputError) and tasks[1].ref.where == "references[1]"


async def test_batches_hold_every_result_decided_since_the_last_one_was_taken(settings: Settings) -> None:
    answered = asyncio.Event()

    class Together(_Stub):
        async def verify_reference(
            self, ref: object, *, index: int = 0, item: str | dict[str, object] = "", look_in_cache: bool = True
        ) -> Result:
            if index < 3:  # 0, 1 and 2 wait for one upstream answer, which comes when 3 asks
                tell_started()
                await answered.wait()
            else:
                answered.set()
            return await super().verify_reference(ref, index=index, item=item)

    stub = Together(settings, delays=[0, 0, 0, 5])
    batches = [[r.index for r in batch] async for batch in decided_batches(stub, parse_items(ITEMS), concurrency=4)]
    assert batches == [[0, 1, 2], [3]]
