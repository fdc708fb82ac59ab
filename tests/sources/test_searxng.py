"""SearXNG adapter: exact-phrase query (with `site:` for a known outlet), result mapping, and failures."""

from __future__ import annotations

import httpx
import pytest
import respx

from app.errors import SourceRateLimited, SourceUnavailable
from app.models import Reference
from app.settings import Settings
from app.sources.searxng import SearxngSource, page_title
from tests.conftest import load

ROOT = "https://searx.example.org"
SEARCH = f"{ROOT}/search"
TITLE = "UK set to ban laptops on flights from Middle East countries"
NEWS = Reference(title=TITLE, venue="The Guardian", year=2017)
PAGE = Reference(title="Getting started with SearXNG", url="https://example.org/searxng")


@pytest.fixture
def searxng(client: httpx.AsyncClient, settings: Settings) -> SearxngSource:
    return SearxngSource(client, settings.model_copy(update={"searxng_url": f"{ROOT}/"}))


def test_configured_only_with_an_instance_url(settings: Settings) -> None:
    assert not SearxngSource.configured(settings)
    assert SearxngSource.configured(settings.model_copy(update={"searxng_url": ROOT}))


def test_one_request_at_a_time_and_no_identifiers() -> None:
    assert (SearxngSource.searchable, SearxngSource.identifiers) == (True, frozenset())
    assert (SearxngSource.policy.rate, SearxngSource.policy.concurrency) == (1.0, 1)


async def test_unconfigured_search_is_unavailable_not_empty(client: httpx.AsyncClient, settings: Settings) -> None:
    with pytest.raises(SourceUnavailable, match="no SearXNG instance"):
        await SearxngSource(client, settings).search(NEWS)


async def test_known_outlet_adds_its_site_to_the_exact_phrase(router: respx.Router, searxng: SearxngSource) -> None:
    route = router.get(
        SEARCH, params={"q": f'"{TITLE}" site:theguardian.com', "format": "json", "categories": "news"}
    ).respond(json=load("searxng/news.json"))

    await searxng.search(NEWS)

    assert route.called


async def test_unknown_outlet_searches_news_without_site(router: respx.Router, searxng: SearxngSource) -> None:
    route = router.get(SEARCH, params={"q": f'"{TITLE}"', "categories": "news"}).respond(
        json=load("searxng/empty.json")
    )

    await searxng.search(NEWS.model_copy(update={"venue": "The Daily Clarion"}))

    assert route.called


async def test_reference_without_venue_searches_the_general_web(router: respx.Router, searxng: SearxngSource) -> None:
    route = router.get(
        SEARCH, params={"q": '"Getting started with SearXNG"', "format": "json", "categories": "general"}
    ).respond(json=load("searxng/empty.json"))

    await searxng.search(PAGE)

    assert route.called


async def test_quotes_in_the_title_do_not_break_the_phrase(router: respx.Router, searxng: SearxngSource) -> None:
    route = router.get(SEARCH, params={"q": '"The so called crisis"'}).respond(json=load("searxng/empty.json"))

    await searxng.search(Reference(title='The "so called" crisis'))

    assert route.called


async def test_news_result_is_an_article_of_the_cited_outlet(router: respx.Router, searxng: SearxngSource) -> None:
    router.get(SEARCH).respond(json=load("searxng/news.json"))

    guardian, independent = await searxng.search(NEWS)

    assert guardian.title == TITLE  # " | World news | The Guardian" removed
    assert (guardian.type, guardian.year, guardian.venue, guardian.score) == (
        "article-newspaper",
        2017,
        "The Guardian",
        3.0,
    )
    assert guardian.url == (
        "https://www.theguardian.com/world/2017/mar/21/uk-set-to-ban-laptops-on-flights-from-middle-east-countries"
    )
    assert independent.title == TITLE  # " - The Independent" removed
    assert (independent.year, independent.venue) == (None, "independent.co.uk")


async def test_general_result_is_a_webpage_named_by_its_host(router: respx.Router, searxng: SearxngSource) -> None:
    router.get(SEARCH).respond(json=load("searxng/news.json"))

    record = (await searxng.search(PAGE))[0]

    assert (record.type, record.venue, record.source) == ("webpage", "theguardian.com", "searxng")


async def test_limit_caps_the_answer(router: respx.Router, searxng: SearxngSource) -> None:
    router.get(SEARCH).respond(json=load("searxng/news.json"))

    assert len(await searxng.search(NEWS, limit=1)) == 1


async def test_empty_search_is_empty(router: respx.Router, searxng: SearxngSource) -> None:
    router.get(SEARCH).respond(json=load("searxng/empty.json"))

    assert await searxng.search(NEWS) == []


async def test_title_without_text_asks_nothing(searxng: SearxngSource) -> None:
    assert await searxng.search(Reference(venue="The Guardian")) == []


async def test_all_engines_unresponsive_is_unavailable(router: respx.Router, searxng: SearxngSource) -> None:
    router.get(SEARCH).respond(json=load("searxng/unresponsive.json"))

    with pytest.raises(SourceUnavailable, match=r"no search engine answered \(bing news \(timeout\)"):
        await searxng.search(NEWS)


async def test_json_format_refused_is_unavailable_and_not_retried(router: respx.Router, searxng: SearxngSource) -> None:
    route = router.get(SEARCH).respond(403, html=load("searxng/forbidden.html"))

    with pytest.raises(SourceUnavailable, match="format json not allowed"):
        await searxng.search(NEWS)
    assert route.call_count == 1


async def test_429_is_rate_limited(router: respx.Router, searxng: SearxngSource) -> None:
    router.get(SEARCH).respond(429, text="Too Many Requests", headers={"Retry-After": "2"})

    with pytest.raises(SourceRateLimited) as caught:
        await searxng.search(NEWS)
    assert caught.value.retry_after == 2.0


async def test_html_answer_is_unavailable(router: respx.Router, searxng: SearxngSource) -> None:
    router.get(SEARCH).respond(html=load("searxng/search.html"))

    with pytest.raises(SourceUnavailable, match="not valid JSON"):
        await searxng.search(NEWS)


async def test_json_without_results_is_unavailable(router: respx.Router, searxng: SearxngSource) -> None:
    router.get(SEARCH).respond(json={"error": "search error"})

    with pytest.raises(SourceUnavailable, match="without results"):
        await searxng.search(NEWS)


@pytest.mark.parametrize(
    ("title", "cited", "expected"),
    [
        ("Headline | World news | The Guardian", None, "Headline"),
        ("Headline - BBC News", None, "Headline"),
        ("Headline – Le Monde", None, "Headline"),
        (
            "Brexit - the long road to a deal that nobody in Westminster wants",
            None,
            "Brexit - the long road to a deal that nobody in Westminster wants",
        ),
        ("Climate change - what next", "Climate change - what next", "Climate change - what next"),
        ("Headline", None, "Headline"),
        (None, None, None),
    ],
)
def test_page_title_drops_the_site_name(title: str | None, cited: str | None, expected: str | None) -> None:
    assert page_title(title, cited=cited) == expected
