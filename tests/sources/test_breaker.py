"""The circuit breaker: a source that keeps failing is not asked again until its cool-down has passed."""

from __future__ import annotations

import httpx
import pytest
import respx

from app.errors import SourceRateLimited, SourceUnavailable
from app.models import Reference
from app.settings import Settings
from app.sources.base import CircuitBreaker
from app.sources.crossref import CrossrefSource


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_circuit_opens_after_consecutive_failures_and_half_opens_after_the_cooldown() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, cooldown=10, clock=clock)
    for _ in range(3):
        assert breaker.allow()
        breaker.record(ok=False)
    assert not breaker.allow()
    clock.now = 10
    assert breaker.allow()  # one trial call
    assert not breaker.allow()  # the others wait for its outcome
    breaker.record(ok=True)
    assert breaker.allow()


def test_a_success_resets_the_failure_count() -> None:
    breaker = CircuitBreaker(threshold=2, cooldown=10, clock=Clock())
    breaker.record(ok=False)
    breaker.record(ok=True)
    breaker.record(ok=False)
    assert breaker.allow()


async def test_a_dead_source_is_not_asked_once_its_circuit_is_open(
    router: respx.Router, client: httpx.AsyncClient, settings: Settings
) -> None:
    route = router.get(url__startswith="https://api.crossref.org/works").mock(return_value=httpx.Response(503))
    source = CrossrefSource(client, settings.model_copy(update={"retries": 0}))
    for _ in range(5):
        with pytest.raises(SourceUnavailable):
            await source.search(Reference(title="A title"))
    asked = route.call_count
    with pytest.raises(SourceUnavailable, match="circuit open"):
        await source.search(Reference(title="A title"))
    assert route.call_count == asked


async def test_rate_limiting_does_not_open_the_circuit(
    router: respx.Router, client: httpx.AsyncClient, settings: Settings
) -> None:
    router.get(url__startswith="https://api.crossref.org/works").mock(return_value=httpx.Response(429))
    source = CrossrefSource(client, settings.model_copy(update={"retries": 0}))
    for _ in range(7):
        with pytest.raises(SourceRateLimited):
            await source.search(Reference(title="A title"))
