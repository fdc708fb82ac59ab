"""Wikipedia adapter: exact-phrase search for pages quoting a headline, both formats, and in-body errors."""

from __future__ import annotations

import httpx
import pytest
import respx

from app.errors import SourceRateLimited, SourceTimeout, SourceUnavailable
from app.models import Reference
from app.settings import Settings
from app.sources.wikipedia import WikipediaSource
from tests.conftest import load

API = "https://en.wikipedia.org/w/api.php"
REF = Reference(title='UK set to ban "laptops" on flights', year=2017)


@pytest.fixture
def wiki(client: httpx.AsyncClient, settings: Settings) -> WikipediaSource:
    return WikipediaSource(client, settings)


def test_wikipedia_only_searches_in_series() -> None:
    assert (WikipediaSource.searchable, WikipediaSource.identifiers) == (True, frozenset())
    assert (WikipediaSource.policy.rate, WikipediaSource.policy.concurrency) == (5.0, 1)


async def test_search_asks_for_the_exact_phrase_in_page_text(router: respx.Router, wiki: WikipediaSource) -> None:
    route = router.get(
        API,
        params={
            "action": "query",
            "list": "search",
            "srsearch": '"UK set to ban laptops on flights"',
            "srwhat": "text",
            "srlimit": "5",
            "srprop": "snippet|timestamp",
            "format": "json",
            "formatversion": "2",
            "maxlag": "5",
        },
    ).respond(json=load("wikipedia/search.json"))

    await wiki.search(REF)

    assert route.called


async def test_search_sends_a_user_agent_with_contact(router: respx.Router, wiki: WikipediaSource) -> None:
    route = router.get(API).respond(json=load("wikipedia/empty.json"))

    await wiki.search(REF)

    assert "mailto:test@example.org" in route.calls.last.request.headers["user-agent"]


async def test_hits_are_the_quoting_pages(router: respx.Router, wiki: WikipediaSource) -> None:
    router.get(API).respond(json=load("wikipedia/search.json"))

    first, second = await wiki.search(REF)

    assert (first.source, first.type, first.title) == ("wikipedia", "webpage", "Laptop ban")
    assert (first.url, first.source_id) == ("https://en.wikipedia.org/wiki/Laptop_ban", "53519461")
    assert second.url == "https://en.wikipedia.org/wiki/Electronics_ban_(2017)"
    assert (first.year, first.authors, first.venue) == (None, (), None)  # the page is evidence, not the work


async def test_legacy_format_is_read(router: respx.Router, wiki: WikipediaSource) -> None:
    router.get(API).respond(json=load("wikipedia/search-legacy.json"))

    [record] = await wiki.search(REF)

    assert (record.title, record.source_id, record.url) == (
        "Porsche 911",
        None,
        "https://en.wikipedia.org/wiki/Porsche_911",
    )


async def test_limit_caps_the_answer(router: respx.Router, wiki: WikipediaSource) -> None:
    route = router.get(API, params={"srlimit": "1"}).respond(json=load("wikipedia/search.json"))

    assert len(await wiki.search(REF, limit=1)) == 1
    assert route.called


async def test_empty_search_is_empty(router: respx.Router, wiki: WikipediaSource) -> None:
    router.get(API).respond(json=load("wikipedia/empty.json"))

    assert await wiki.search(REF) == []


async def test_no_title_asks_nothing(wiki: WikipediaSource) -> None:
    assert await wiki.search(Reference(title='  "" ')) == []


async def test_maxlag_error_is_rate_limited_with_retry_after(router: respx.Router, wiki: WikipediaSource) -> None:
    router.get(API).respond(200, json=load("wikipedia/maxlag.json"), headers={"Retry-After": "5"})

    with pytest.raises(SourceRateLimited, match="maxlag") as caught:
        await wiki.search(REF)
    assert caught.value.retry_after == 5.0


async def test_other_error_in_a_200_is_unavailable(router: respx.Router, wiki: WikipediaSource) -> None:
    router.get(API).respond(
        200, json={"error": {"code": "badvalue", "info": 'Unrecognized value for parameter "list": serch.'}}
    )

    with pytest.raises(SourceUnavailable, match="badvalue") as caught:
        await wiki.search(REF)
    assert not isinstance(caught.value, SourceRateLimited)


async def test_answer_without_search_list_is_unavailable(router: respx.Router, wiki: WikipediaSource) -> None:
    router.get(API).respond(json={"batchcomplete": True})

    with pytest.raises(SourceUnavailable):
        await wiki.search(REF)


async def test_http_429_is_rate_limited(router: respx.Router, wiki: WikipediaSource) -> None:
    router.get(API).respond(429, text="Too many requests", headers={"Retry-After": "3"})

    with pytest.raises(SourceRateLimited) as caught:
        await wiki.search(REF)
    assert caught.value.retry_after == 3.0


async def test_5xx_is_unavailable_after_retries(router: respx.Router, wiki: WikipediaSource) -> None:
    route = router.get(API).respond(503, text="<html>Wikimedia Error</html>")

    with pytest.raises(SourceUnavailable, match="503"):
        await wiki.search(REF)
    assert route.call_count == 2


async def test_timeout_is_source_timeout(router: respx.Router, wiki: WikipediaSource) -> None:
    router.get(API).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(SourceTimeout):
        await wiki.search(REF)
