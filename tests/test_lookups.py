"""Caching and deduplication of upstream answers and verdicts."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from app.cache import Cache, open_cache
from app.errors import SourceUnavailable
from app.lookups import VERSION, Answer, Lookups, started
from app.models import Record, Reference, Result, SourceReport, SourceStatus, Verdict
from app.settings import Settings
from app.verifier import Verifier

RECORD = Record(source="crossref", title="A paper", doi="10.1000/x")


@pytest.fixture
async def cache() -> AsyncIterator[Cache]:
    c = open_cache("sqlite:///:memory:")
    yield c
    await c.close()


class Counting:
    """An upstream call that counts how often it is made."""

    def __init__(self, answer: object = None, error: Exception | None = None) -> None:
        self.calls = 0
        self.answer = answer
        self.error = error
        self.release = asyncio.Event()
        self.release.set()

    async def __call__(self) -> object:
        self.calls += 1
        await self.release.wait()
        if self.error:
            raise self.error
        return self.answer


async def test_a_cached_record_is_not_asked_again(cache: Cache, settings: Settings) -> None:
    lookups, call = Lookups(cache, settings), Counting(RECORD)
    assert await lookups.resolve("crossref", "doi", "10.1000/X", call) == Answer(RECORD, False)  # type: ignore[arg-type]
    assert await lookups.resolve("crossref", "doi", "10.1000/x", call) == Answer(RECORD, True)  # type: ignore[arg-type]
    assert call.calls == 1


async def test_the_reference_is_told_when_it_first_waits_on_an_upstream_not_when_the_cache_answers(
    cache: Cache, settings: Settings
) -> None:
    lookups, call, told = Lookups(cache, settings), Counting(RECORD), []
    token = started.set(lambda: told.append(call.calls))
    try:
        await lookups.resolve("crossref", "doi", "10.1000/x", call)  # type: ignore[arg-type]
        assert told == [0]  # before the call
        await lookups.resolve("crossref", "doi", "10.1000/x", call)  # type: ignore[arg-type]
        assert told == [0]
    finally:
        started.reset(token)


async def test_a_negative_answer_is_cached_too(cache: Cache, settings: Settings) -> None:
    lookups, call = Lookups(cache, settings), Counting(None)
    await lookups.resolve("crossref", "doi", "10.1000/none", call)  # type: ignore[arg-type]
    assert await lookups.resolve("crossref", "doi", "10.1000/none", call) == Answer(None, True)  # type: ignore[arg-type]
    assert call.calls == 1


async def test_a_failure_is_never_cached(cache: Cache, settings: Settings) -> None:
    lookups, call = Lookups(cache, settings), Counting(error=SourceUnavailable("crossref", "HTTP 503"))
    for _ in range(2):
        with pytest.raises(SourceUnavailable):
            await lookups.resolve("crossref", "doi", "10.1000/x", call)  # type: ignore[arg-type]
    assert call.calls == 2


async def test_identical_questions_in_flight_share_one_call(settings: Settings) -> None:
    lookups, call = Lookups(None, settings), Counting([RECORD])
    call.release.clear()
    ref = Reference(title="A paper")
    tasks = [asyncio.create_task(lookups.search("openalex", ref, call)) for _ in range(5)]  # type: ignore[arg-type]
    await asyncio.sleep(0)
    call.release.set()
    answers = await asyncio.gather(*tasks)
    assert call.calls == 1 and all(answer.value == [RECORD] for answer in answers)


async def test_a_question_shared_with_an_asker_that_is_cancelled_is_asked_again(settings: Settings) -> None:
    """One reference's deadline cancels its lookup; another reference waiting for the same answer is not cancelled."""
    lookups, first, second = Lookups(None, settings), Counting(RECORD), Counting(RECORD)
    first.release.clear()
    asker = asyncio.create_task(lookups.resolve("crossref", "doi", "10.1000/x", first))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    sharer = asyncio.create_task(lookups.resolve("crossref", "doi", "10.1000/x", second))  # type: ignore[arg-type]
    await asyncio.sleep(0)
    asker.cancel()
    assert await sharer == Answer(RECORD, False)
    assert (first.calls, second.calls) == (1, 1)
    assert asker.cancelled()


async def test_references_alike_in_what_a_search_reads_share_its_answer(cache: Cache, settings: Settings) -> None:
    """One work cited in two forms: a title-only search is asked once."""
    lookups, call = Lookups(cache, settings), Counting([RECORD])
    apa = Reference(raw="Doe, J. (2020). A paper. Journal, 1, 2.", title="A paper", year=2020)
    bibtex = Reference(title="A paper", year=2020, venue="Journal", volume="1")
    await lookups.search("openalex", apa, call, reads=frozenset({"title"}))  # type: ignore[arg-type]
    assert await lookups.search("openalex", bibtex, call, reads=frozenset({"title"})) == Answer([RECORD], True)  # type: ignore[arg-type]
    assert call.calls == 1


async def test_a_search_reading_the_whole_reference_is_asked_again_for_another_form(
    cache: Cache, settings: Settings
) -> None:
    lookups, call = Lookups(cache, settings), Counting([RECORD])
    await lookups.search("crossref", Reference(raw="Doe (2020). A paper.", title="A paper"), call)  # type: ignore[arg-type]
    await lookups.search("crossref", Reference(title="A paper"), call)  # type: ignore[arg-type]
    assert call.calls == 2


async def test_references_differing_only_in_whitespace_share_a_search(cache: Cache, settings: Settings) -> None:
    lookups, call = Lookups(cache, settings), Counting([RECORD])
    await lookups.search("crossref", Reference(raw="Doe (2020).  A paper. ", title="A paper"), call)  # type: ignore[arg-type]
    await lookups.search("crossref", Reference(raw="Doe (2020). A paper.", title="A paper"), call)  # type: ignore[arg-type]
    assert call.calls == 1


class Replicas:
    """The cache as one replica sees it while another holds the claim on every question, until `release_after`
    looks: then the other's answer (`stored`) is in the cache, or (None) its claim is given back unanswered."""

    def __init__(self, cache: Cache, stored: object, release_after: int = 2) -> None:
        self.cache, self.stored, self.looks_left = cache, stored, release_after
        self.held = True

    async def released(self, key: str, token: str, timeout: float) -> None:
        self.looks_left -= 1
        if self.looks_left == 0:
            self.held = False
            if self.stored is not None:
                await self.cache.set(f"{VERSION}:crossref:id:doi:10.1000/x", self.stored, ttl=60)

    def __getattr__(self, name: str) -> object:
        return getattr(self.cache, name)

    async def claim(self, key: str, token: str, seconds: float) -> bool:
        return not self.held


async def test_a_question_another_replica_is_asking_is_answered_from_its_stored_answer(
    cache: Cache, settings: Settings
) -> None:
    other = Replicas(cache, RECORD.model_dump(mode="json"))
    lookups, call = Lookups(other, settings), Counting(RECORD)  # type: ignore[arg-type]
    assert await lookups.resolve("crossref", "doi", "10.1000/x", call) == Answer(RECORD, True)  # type: ignore[arg-type]
    assert call.calls == 0


async def test_a_question_another_replica_gave_up_on_is_asked_here(cache: Cache, settings: Settings) -> None:
    other = Replicas(cache, None)
    lookups, call = Lookups(other, settings), Counting(RECORD)  # type: ignore[arg-type]
    assert await lookups.resolve("crossref", "doi", "10.1000/x", call) == Answer(RECORD, False)  # type: ignore[arg-type]
    assert call.calls == 1


async def test_a_verdict_reached_without_failures_is_reused(cache: Cache, settings: Settings) -> None:
    lookups = Lookups(cache, settings)
    result = Result(
        index=3,
        input="x",
        reference={},
        verdict=Verdict.VERIFIED,
        confidence=0.9,
        explanation="ok",
        sources=[SourceReport(name="crossref", status=SourceStatus.MATCH)],
    )
    await lookups.keep_verdict("x", ["crossref"], result)
    cached = (await lookups.verdicts(["x"], ["crossref"]))[0]
    assert cached is not None and cached.verdict is Verdict.VERIFIED
    assert (await lookups.verdicts(["x"], ["crossref", "openalex"]))[0] is None  # other sources, other question


async def test_a_reference_whose_verdict_is_being_stored_is_told_it_has_started(
    cache: Cache, settings: Settings
) -> None:
    told: list[str] = []
    token = started.set(lambda: told.append("started"))
    try:
        result = Result(index=0, input="x", reference={}, verdict=Verdict.VERIFIED, confidence=0.9, explanation="")
        await Lookups(cache, settings).keep_verdict("x", ["crossref"], result)
    finally:
        started.reset(token)
    assert told == ["started"]


async def test_a_verdict_shaped_by_a_failure_is_not_reused(cache: Cache, settings: Settings) -> None:
    lookups = Lookups(cache, settings)
    result = Result(
        index=0,
        input="x",
        reference={},
        verdict=Verdict.UNVERIFIED,
        confidence=0.5,
        explanation="",
        sources=[SourceReport(name="crossref", status=SourceStatus.TIMEOUT)],
    )
    await lookups.keep_verdict("x", ["crossref"], result)
    assert (await lookups.verdicts(["x"], ["crossref"]))[0] is None


async def test_an_item_with_a_cached_verdict_is_answered_without_parsing_or_asking(
    cache: Cache, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    verifier = Verifier({}, settings, cache=cache)
    first = await verifier.verify_item("Doe, J. (2020). A paper. Journal of Papers, 1, 1-2.", index=0)

    def unparsable(item: object, *, where: str) -> Reference:
        raise AssertionError("parsed again")

    monkeypatch.setattr("app.verifier.parse_item", unparsable)
    again = await verifier.verify_item("Doe, J. (2020). A paper. Journal of Papers, 1, 1-2.", index=7)
    assert again == first.model_copy(update={"index": 7})


async def test_an_unreadable_item_is_unverified_naming_its_place(cache: Cache, settings: Settings) -> None:
    result = await Verifier({}, settings, cache=cache).verify_item("   ", index=3)
    assert result.verdict is Verdict.UNVERIFIED and "references[3]" in result.explanation
