"""Guardian adapter: headline search within the cited year, bylines, the key, and failures."""

from __future__ import annotations

import httpx
import pytest
import respx

from app.errors import SourceRateLimited, SourceTimeout, SourceUnavailable
from app.models import Name, Reference
from app.settings import Settings
from app.sources.guardian import GuardianSource, byline_names
from tests.conftest import load

SEARCH = "https://content.guardianapis.com/search"
REF = Reference(title="UK set to ban laptops on flights from Middle East countries", year=2017)


@pytest.fixture
def guardian(client: httpx.AsyncClient, settings: Settings) -> GuardianSource:
    return GuardianSource(client, settings)


def test_guardian_only_searches_under_its_per_second_cap() -> None:
    assert (GuardianSource.searchable, GuardianSource.identifiers) == (True, frozenset())
    assert GuardianSource.policy.rate < 12


async def test_search_ands_headline_words_within_the_cited_year(router: respx.Router, guardian: GuardianSource) -> None:
    route = router.get(
        SEARCH,
        params={
            "q": "uk AND set AND ban AND laptops AND flights AND middle AND east AND countries",
            "query-fields": "headline",
            "show-fields": "headline,byline",
            "from-date": "2017-01-01",
            "to-date": "2017-12-31",
            "page-size": "3",
        },
    ).respond(json=load("guardian/search.json"))

    await guardian.search(REF, limit=3)

    assert route.called


async def test_undated_search_has_no_date_bounds(router: respx.Router, guardian: GuardianSource) -> None:
    route = router.get(SEARCH).respond(json=load("guardian/empty.json"))

    await guardian.search(REF, dated=False)
    await guardian.search(REF.model_copy(update={"year": None}))

    for call in route.calls:
        assert "from-date" not in call.request.url.params and "to-date" not in call.request.url.params


async def test_default_test_key_is_sent(router: respx.Router, guardian: GuardianSource) -> None:
    route = router.get(SEARCH, params={"api-key": "test"}).respond(json=load("guardian/empty.json"))

    await guardian.search(REF)

    assert route.called


async def test_configured_key_is_sent(router: respx.Router, client: httpx.AsyncClient, settings: Settings) -> None:
    route = router.get(SEARCH, params={"api-key": "my-key"}).respond(json=load("guardian/empty.json"))
    keyed = GuardianSource(client, settings.model_copy(update={"guardian_api_key": "my-key"}))

    await keyed.search(REF)

    assert route.called


async def test_result_is_mapped_as_a_newspaper_article(router: respx.Router, guardian: GuardianSource) -> None:
    router.get(SEARCH).respond(json=load("guardian/search.json"))

    record = (await guardian.search(REF))[0]

    assert (record.type, record.venue, record.year) == ("article-newspaper", "The Guardian", 2017)
    assert record.title == "UK set to ban laptops on flights from Middle East countries"
    assert record.url == (
        "https://www.theguardian.com/world/2017/mar/21/uk-set-to-ban-laptops-on-flights-from-middle-east-countries"
    )
    assert record.source_id == "world/2017/mar/21/uk-set-to-ban-laptops-on-flights-from-middle-east-countries"


async def test_byline_is_split_into_people(router: respx.Router, guardian: GuardianSource) -> None:
    router.get(SEARCH).respond(json=load("guardian/search.json"))

    first, second = await guardian.search(REF)

    assert first.authors == (  # "Gwyn Topham, Jane Doe and Alan Travis in Brussels"
        Name(family="Topham", given="Gwyn"),
        Name(family="Doe", given="Jane"),
        Name(family="Travis", given="Alan"),
    )
    assert second.authors == (Name(family="Guardian staff"), Name(family="agencies"))


async def test_result_without_fields_has_no_authors(router: respx.Router, guardian: GuardianSource) -> None:
    body = load("guardian/search.json")
    del body["response"]["results"][0]["fields"]
    router.get(SEARCH).respond(json=body)

    record = (await guardian.search(REF))[0]

    assert (record.authors, record.title) == ((), "UK set to ban laptops on flights from Middle East countries")


async def test_limit_caps_the_answer(router: respx.Router, guardian: GuardianSource) -> None:
    router.get(SEARCH).respond(json=load("guardian/search.json"))

    assert len(await guardian.search(REF, limit=1)) == 1


async def test_empty_search_is_empty(router: respx.Router, guardian: GuardianSource) -> None:
    router.get(SEARCH).respond(json=load("guardian/empty.json"))

    assert await guardian.search(REF) == []


async def test_title_without_words_asks_nothing(guardian: GuardianSource) -> None:
    assert await guardian.search(Reference(title="—")) == []


@pytest.mark.parametrize("status", [401, 403])
async def test_bad_key_is_unavailable_with_the_reason_and_not_retried(
    router: respx.Router, guardian: GuardianSource, status: int
) -> None:
    route = router.get(SEARCH).respond(status, json={"message": "Invalid authentication credentials"})

    with pytest.raises(SourceUnavailable, match="Invalid authentication credentials"):
        await guardian.search(REF)
    assert route.call_count == 1


async def test_error_envelope_is_unavailable(router: respx.Router, guardian: GuardianSource) -> None:
    router.get(SEARCH).respond(
        400, json={"response": {"status": "error", "message": "Invalid date format, must be ISO8601."}}
    )

    with pytest.raises(SourceUnavailable, match="ISO8601"):
        await guardian.search(REF)


async def test_429_is_rate_limited(router: respx.Router, guardian: GuardianSource) -> None:
    router.get(SEARCH).respond(429, json={"message": "API rate limit exceeded"}, headers={"Retry-After": "1"})

    with pytest.raises(SourceRateLimited) as caught:
        await guardian.search(REF)
    assert caught.value.retry_after == 1.0


async def test_5xx_is_unavailable_after_retries(router: respx.Router, guardian: GuardianSource) -> None:
    route = router.get(SEARCH).respond(502, text="<html>502 Bad Gateway</html>")

    with pytest.raises(SourceUnavailable, match="502"):
        await guardian.search(REF)
    assert route.call_count == 2


async def test_timeout_is_source_timeout(router: respx.Router, guardian: GuardianSource) -> None:
    router.get(SEARCH).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(SourceTimeout):
        await guardian.search(REF)


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("By Jane Doe and John Roe", (Name(family="Doe", given="Jane"), Name(family="Roe", given="John"))),
        ("By JANE DOE & JOHN ROE", (Name(family="Doe", given="Jane"), Name(family="Roe", given="John"))),
        ("By THE ASSOCIATED PRESS", (Name(family="The Associated Press"),)),
        ("Julian Borger in Washington", (Name(family="Borger", given="Julian"),)),
        ("", ()),
        (None, ()),
    ],
)
def test_byline_names(byline: str | None, names: tuple[Name, ...]) -> None:
    assert byline_names(byline) == names
