"""Europe PMC adapter: identifier lookups as searches, core results, preprints, and failures."""

from __future__ import annotations

import httpx
import pytest
import respx

from app.errors import SourceRateLimited, SourceTimeout, SourceUnavailable
from app.models import Name, Reference
from app.settings import Settings
from app.sources.base import IdKind
from app.sources.europepmc import EuropePmcSource
from tests.conftest import load

SEARCH = "https://www.ebi.ac.uk/europepmc/webservices/rest/search"
CORE = {"resultType": "core", "format": "json"}
REF = Reference(title="Abscopal response in a patient with fibrolamellar hepatocellular carcinoma")


@pytest.fixture
def epmc(client: httpx.AsyncClient, settings: Settings) -> EuropePmcSource:
    return EuropePmcSource(client, settings)


async def test_resolve_doi_maps_the_core_result(router: respx.Router, epmc: EuropePmcSource) -> None:
    router.get(SEARCH, params={"query": 'DOI:"10.1016/s0140-6736(24)02600-x"', **CORE}).respond(
        json=load("europepmc/core.json")
    )

    record = await epmc.resolve(IdKind.DOI, "10.1016/S0140-6736(24)02600-X")

    assert record is not None
    assert record.title == (
        "Abscopal response in a patient with fibrolamellar hepatocellular carcinoma following radiotherapy"
    )
    assert record.authors == (
        Name(family="Schoenfeld", given="Jonathan D"),
        Name(family="Haas-Kogan", given="DA"),  # no firstName: the initials
        Name(family="Fibrolamellar Cancer Foundation"),
    )
    assert (record.year, record.venue) == (2025, "Lancet (London, England)")
    assert (record.volume, record.issue, record.pages) == ("404", "10471", "2603-2604")
    assert (record.doi, record.pmid, record.pmcid) == ("10.1016/s0140-6736(24)02600-x", "39709209", "PMC11700001")
    assert (record.type, record.preprint, record.source_id) == ("article-journal", False, "MED/39709209")


async def test_resolve_pmid_searches_medline_by_external_id(router: respx.Router, epmc: EuropePmcSource) -> None:
    route = router.get(SEARCH, params={"query": "EXT_ID:11850928 AND SRC:MED", **CORE}).respond(
        json=load("europepmc/lite-author-string.json")
    )

    record = await epmc.resolve(IdKind.PMID, "11850928")

    assert route.called
    assert record is not None
    assert record.authors == (Name(family="LoPresti", given="PJ"), Name(family="Hambrick", given="GW"))
    assert (record.venue, record.volume, record.issue, record.year) == ("Arch Dermatol", "92", "2", 1965)


async def test_resolve_pmcid(router: respx.Router, epmc: EuropePmcSource) -> None:
    route = router.get(SEARCH, params={"query": "PMCID:PMC11700001"}).respond(json=load("europepmc/core.json"))

    record = await epmc.resolve(IdKind.PMCID, "pmc11700001")

    assert route.called
    assert record is not None and record.pmid == "39709209"


async def test_hit_without_the_asked_identifier_is_not_taken(router: respx.Router, epmc: EuropePmcSource) -> None:
    router.get(SEARCH).respond(json=load("europepmc/core.json"))

    assert await epmc.resolve(IdKind.PMID, "11111111") is None


async def test_unknown_doi_is_none(router: respx.Router, epmc: EuropePmcSource) -> None:
    router.get(SEARCH).respond(json=load("europepmc/empty.json"))

    assert await epmc.resolve(IdKind.DOI, "10.9999/nothing") is None


async def test_malformed_pmid_is_none_without_asking(epmc: EuropePmcSource) -> None:
    assert await epmc.resolve(IdKind.PMID, "PMC123") is None


async def test_search_ands_title_words_in_the_title_field(router: respx.Router, epmc: EuropePmcSource) -> None:
    query = "TITLE:abscopal AND TITLE:response AND TITLE:patient AND TITLE:fibrolamellar AND " + (
        "TITLE:hepatocellular AND TITLE:carcinoma"
    )
    route = router.get(SEARCH, params={"query": query, "pageSize": "3", **CORE}).respond(
        json=load("europepmc/core.json")
    )

    records = await epmc.search(REF, limit=3)

    assert route.called
    assert [r.source_id for r in records] == ["MED/39709209", "PPR/PPR912345"]


async def test_preprint_server_result_is_a_preprint(router: respx.Router, epmc: EuropePmcSource) -> None:
    router.get(SEARCH).respond(json=load("europepmc/core.json"))

    record = (await epmc.search(REF))[1]

    assert (record.preprint, record.type) == (True, "article")
    assert (record.venue, record.publisher) == ("bioRxiv", "bioRxiv")
    assert (record.year, record.doi, record.pmid) == (2024, "10.1101/2024.05.01.591234", None)


async def test_empty_search_is_empty(router: respx.Router, epmc: EuropePmcSource) -> None:
    router.get(SEARCH).respond(json=load("europepmc/empty.json"))

    assert await epmc.search(REF) == []


async def test_title_without_words_asks_nothing(epmc: EuropePmcSource) -> None:
    assert await epmc.search(Reference(title="…")) == []


async def test_error_message_in_body_is_unavailable(router: respx.Router, epmc: EuropePmcSource) -> None:
    router.get(SEARCH).respond(json={"version": "6.9", "hitCount": 0, "errMsg": "Invalid query syntax"})

    with pytest.raises(SourceUnavailable, match="Invalid query syntax"):
        await epmc.search(REF)


async def test_400_is_unavailable(router: respx.Router, epmc: EuropePmcSource) -> None:
    router.get(SEARCH).respond(400, json={"errCode": 400, "errMsg": "Bad Request"})

    with pytest.raises(SourceUnavailable, match="400"):
        await epmc.search(REF)


async def test_404_on_search_is_unavailable_not_missing(router: respx.Router, epmc: EuropePmcSource) -> None:
    router.get(SEARCH).respond(404, json={"errCode": 404, "errMsg": "Not Found"})

    with pytest.raises(SourceUnavailable):
        await epmc.resolve(IdKind.DOI, "10.1/x")


async def test_429_is_rate_limited_with_retry_after(router: respx.Router, epmc: EuropePmcSource) -> None:
    route = router.get(SEARCH).respond(429, text="Too Many Requests", headers={"Retry-After": "4"})

    with pytest.raises(SourceRateLimited) as caught:
        await epmc.search(REF)
    assert caught.value.retry_after == 4.0
    assert route.call_count == 2


async def test_5xx_is_unavailable_after_retries(router: respx.Router, epmc: EuropePmcSource) -> None:
    route = router.get(SEARCH).respond(500, text="<html>500 Internal Server Error</html>")

    with pytest.raises(SourceUnavailable):
        await epmc.search(REF)
    assert route.call_count == 2


@pytest.mark.parametrize("body", ["<html>maintenance</html>", '{"version": "6.9", "hitCount": 2, "resultLi'])
async def test_garbage_or_truncated_json_is_unavailable(router: respx.Router, epmc: EuropePmcSource, body: str) -> None:
    router.get(SEARCH).respond(200, text=body, headers={"content-type": "application/json"})

    with pytest.raises(SourceUnavailable):
        await epmc.search(REF)


async def test_timeout_is_source_timeout(router: respx.Router, epmc: EuropePmcSource) -> None:
    router.get(SEARCH).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(SourceTimeout):
        await epmc.resolve(IdKind.PMID, "11850928")
