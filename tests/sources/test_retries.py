"""Retries: a first attempt is sent as it is; only a transient failure brings in the retry policy (stamina)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
import respx
import stamina
import stamina.instrumentation
from stamina.instrumentation import RetryDetails

from app.errors import SourceRateLimited, SourceUnreachable
from app.models import Reference
from app.settings import Settings
from app.sources.crossref import CrossrefSource

SEARCH = "https://api.crossref.org/works"
FOUND = {"status": "ok", "message": {"items": []}}


@pytest.fixture
def retries() -> Iterator[list[RetryDetails]]:
    """The retries stamina schedules, as its instrumentation reports them."""
    scheduled: list[RetryDetails] = []
    before = stamina.instrumentation.get_on_retry_hooks()
    stamina.instrumentation.set_on_retry_hooks([scheduled.append])
    yield scheduled
    stamina.instrumentation.set_on_retry_hooks(before)


@pytest.fixture
def crossref(client: httpx.AsyncClient, settings: Settings) -> CrossrefSource:
    return CrossrefSource(client, settings.model_copy(update={"retries": 2}))


async def test_an_answer_at_the_first_attempt_schedules_no_retry(
    router: respx.Router, crossref: CrossrefSource, retries: list[RetryDetails]
) -> None:
    route = router.get(url__startswith=SEARCH).respond(200, json=FOUND)

    assert await crossref.search(Reference(title="A title")) == []
    assert route.call_count == 1
    assert retries == []


async def test_a_transient_failure_is_retried_as_stamina_s_first_failed_attempt(
    router: respx.Router, crossref: CrossrefSource, retries: list[RetryDetails]
) -> None:
    route = router.get(url__startswith=SEARCH)
    route.side_effect = [httpx.Response(503), httpx.Response(503), httpx.Response(200, json=FOUND)]

    assert await crossref.search(Reference(title="A title")) == []
    assert route.call_count == 3  # the first attempt and two retries: `retries` counts the first failure
    assert [r.retry_num for r in retries] == [1, 2]
    assert [r.caused_by.__class__.__name__ for r in retries] == ["SourceUnavailable"] * 2


async def test_a_429_s_retry_after_is_the_wait_before_the_retry(
    router: respx.Router, crossref: CrossrefSource, retries: list[RetryDetails], monkeypatch: pytest.MonkeyPatch
) -> None:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", sleep)  # stamina out of testing mode waits for real: record it instead
    route = router.get(url__startswith=SEARCH)
    route.side_effect = [httpx.Response(429, headers={"Retry-After": "3"}), httpx.Response(200, json=FOUND)]

    with stamina.set_testing(False):
        assert await crossref.search(Reference(title="A title")) == []
    assert route.call_count == 2
    assert isinstance(retries[0].caused_by, SourceRateLimited)
    assert slept == [3.0]


async def test_a_failure_that_is_not_transient_is_raised_without_retrying(
    router: respx.Router, crossref: CrossrefSource, retries: list[RetryDetails]
) -> None:
    route = router.get(url__startswith=SEARCH).mock(side_effect=httpx.ConnectError("refused"))

    with pytest.raises(SourceUnreachable):
        await crossref.search(Reference(title="A title"))
    assert route.call_count == 1
    assert retries == []
