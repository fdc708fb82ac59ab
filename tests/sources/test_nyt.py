"""NYT Article Search adapter: the key requirement, both response schemas, bylines, and failures."""

from __future__ import annotations

import httpx
import pytest
import respx

from app.errors import SourceRateLimited, SourceTimeout, SourceUnavailable
from app.models import Name, Reference
from app.settings import Settings
from app.sources.nyt import NytSource
from tests.conftest import load

SEARCH = "https://api.nytimes.com/svc/search/v2/articlesearch.json"
REF = Reference(title="Package With Explosives Sent to German Finance Ministry", year=2017)


@pytest.fixture
def keyed_settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"nyt_api_key": "k3y"})


@pytest.fixture
def nyt(client: httpx.AsyncClient, keyed_settings: Settings) -> NytSource:
    return NytSource(client, keyed_settings)


def test_configured_only_with_a_key(settings: Settings, keyed_settings: Settings) -> None:
    assert (NytSource.configured(settings), NytSource.configured(keyed_settings)) == (False, True)


def test_policy_is_five_per_minute_one_at_a_time() -> None:
    assert NytSource.policy.rate == pytest.approx(5 / 60)
    assert NytSource.policy.concurrency == 1


async def test_without_a_key_it_is_unavailable_and_asks_nothing(
    router: respx.Router, client: httpx.AsyncClient, settings: Settings
) -> None:
    route = router.get(SEARCH).respond(json=load("nyt/empty.json"))

    with pytest.raises(SourceUnavailable, match="no API key"):
        await NytSource(client, settings).search(REF)
    assert not route.called


async def test_search_sends_words_key_and_the_cited_year(router: respx.Router, nyt: NytSource) -> None:
    route = router.get(
        SEARCH,
        params={
            "q": "Package With Explosives Sent to German Finance Ministry",
            "api-key": "k3y",
            "begin_date": "20170101",
            "end_date": "20171231",
        },
    ).respond(json=load("nyt/legacy.json"))

    await nyt.search(REF)

    assert route.called


async def test_undated_search_has_no_date_bounds(router: respx.Router, nyt: NytSource) -> None:
    route = router.get(SEARCH).respond(json=load("nyt/empty.json"))

    await nyt.search(REF, dated=False)

    assert "begin_date" not in route.calls.last.request.url.params


async def test_legacy_schema_is_mapped(router: respx.Router, nyt: NytSource) -> None:
    router.get(SEARCH).respond(json=load("nyt/legacy.json"))

    record = (await nyt.search(REF))[0]

    assert (record.type, record.venue, record.year) == ("article-newspaper", "The New York Times", 2017)
    assert record.title == "Package With Explosives Sent to German Finance Ministry"
    assert record.url == "https://www.nytimes.com/2017/03/15/world/europe/germany-explosive-package.html"
    assert record.source_id == "58c96d087c459f247805bfb2"


async def test_legacy_person_list_gives_names_in_rank_order(router: respx.Router, nyt: NytSource) -> None:
    router.get(SEARCH).respond(json=load("nyt/legacy.json"))

    record = (await nyt.search(REF))[0]

    assert record.authors == (Name(family="Doe", given="Jane"), Name(family="Roe", given="John Q."))


async def test_agency_byline_is_one_organisation(router: respx.Router, nyt: NytSource) -> None:
    router.get(SEARCH).respond(json=load("nyt/legacy.json"))

    record = (await nyt.search(REF))[1]

    assert record.authors == (Name(family="The Associated Press"),)


async def test_2025_schema_is_mapped_from_byline_original(router: respx.Router, nyt: NytSource) -> None:
    router.get(SEARCH).respond(json=load("nyt/current.json"))

    [record] = await nyt.search(Reference(title="Migrating Songbirds Read the Night Sky"))

    assert (record.title, record.year) == ("Migrating Songbirds Read the Night Sky", 2024)
    assert record.authors == (
        Name(family="Doe", given="Jane"),
        Name(family="Poe", given="Ann"),
        Name(family="Roe", given="John"),
    )
    assert record.url == "https://www.nytimes.com/2024/05/02/science/songbirds-migration-stars.html"


async def test_empty_search_is_empty(router: respx.Router, nyt: NytSource) -> None:
    router.get(SEARCH).respond(json=load("nyt/empty.json"))

    assert await nyt.search(REF) == []


async def test_null_docs_is_empty(router: respx.Router, nyt: NytSource) -> None:
    router.get(SEARCH).respond(json={"status": "OK", "response": {"docs": None, "metadata": {"hits": 0}}})

    assert await nyt.search(REF) == []


async def test_limit_caps_the_answer(router: respx.Router, nyt: NytSource) -> None:
    router.get(SEARCH).respond(json=load("nyt/legacy.json"))

    assert len(await nyt.search(REF, limit=1)) == 1


async def test_title_without_words_asks_nothing(nyt: NytSource) -> None:
    assert await nyt.search(Reference(title="“”")) == []


async def test_answer_without_response_is_unavailable(router: respx.Router, nyt: NytSource) -> None:
    router.get(SEARCH).respond(json={"status": "OK"})

    with pytest.raises(SourceUnavailable):
        await nyt.search(REF)


async def test_invalid_key_fault_is_unavailable_and_not_retried(router: respx.Router, nyt: NytSource) -> None:
    route = router.get(SEARCH).respond(401, json=load("nyt/fault-401.json"))

    with pytest.raises(SourceUnavailable, match="Invalid ApiKey"):
        await nyt.search(REF)
    assert route.call_count == 1


async def test_400_errors_list_is_unavailable(router: respx.Router, nyt: NytSource) -> None:
    router.get(SEARCH).respond(400, json={"status": "ERROR", "errors": ["Invalid begin_date"]})

    with pytest.raises(SourceUnavailable, match="Invalid begin_date"):
        await nyt.search(REF)


async def test_429_is_rate_limited_and_not_retried(router: respx.Router, nyt: NytSource) -> None:
    route = router.get(SEARCH).respond(
        429, json={"fault": {"faultstring": "Rate limit quota violation. Quota limit exceeded."}}
    )

    with pytest.raises(SourceRateLimited, match="Quota limit exceeded"):
        await nyt.search(REF)
    assert route.call_count == 1


async def test_plain_text_429_is_rate_limited(router: respx.Router, nyt: NytSource) -> None:
    router.get(SEARCH).respond(429, text="Too many requests. You reached your per minute or per day rate limit.")

    with pytest.raises(SourceRateLimited, match="per minute or per day"):
        await nyt.search(REF)


async def test_5xx_is_unavailable_after_retries(router: respx.Router, nyt: NytSource) -> None:
    route = router.get(SEARCH).respond(504, text="<html>Gateway Timeout</html>")

    with pytest.raises(SourceUnavailable, match="504"):
        await nyt.search(REF)
    assert route.call_count == 2


async def test_timeout_is_source_timeout(router: respx.Router, nyt: NytSource) -> None:
    router.get(SEARCH).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(SourceTimeout):
        await nyt.search(REF)
