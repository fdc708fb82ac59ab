"""PubMed adapter: E-utilities JSON, NLM names and page ranges, and errors hidden in 200 answers."""

from __future__ import annotations

import httpx
import pytest
import respx

from app.errors import SourceRateLimited, SourceTimeout, SourceUnavailable
from app.models import Name, Reference
from app.settings import Settings
from app.sources.base import IdKind
from app.sources.pubmed import PubMedSource
from tests.conftest import load

EUTILS = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
ESEARCH = f"{EUTILS}/esearch.fcgi"
ESUMMARY = f"{EUTILS}/esummary.fcgi"
POLITE = {"tool": "refverify", "email": "test@example.org", "retmode": "json"}
REF = Reference(title="Zirconium granuloma following treatment of rhus dermatitis")


@pytest.fixture
def pubmed(client: httpx.AsyncClient, settings: Settings) -> PubMedSource:
    return PubMedSource(client, settings)


async def test_resolve_maps_the_summary(router: respx.Router, pubmed: PubMedSource) -> None:
    router.get(ESUMMARY, params={"db": "pubmed", "id": "11850928", **POLITE}).respond(json=load("pubmed/esummary.json"))

    record = await pubmed.resolve(IdKind.PMID, "11850928")

    assert record is not None
    assert record.title == "Zirconium granuloma following treatment of rhus dermatitis"  # final "." gone
    assert (record.year, record.venue) == (1965, "Archives of dermatology")
    assert (record.volume, record.issue) == ("92", "2")
    assert record.doi == "10.1001/archderm.1965.01600140076018"
    assert (record.pmid, record.pmcid, record.source_id) == ("11850928", "PMC1234567", "11850928")
    assert (record.type, record.source, record.preprint) == ("article-journal", "pubmed", False)


async def test_initials_become_the_given_name(router: respx.Router, pubmed: PubMedSource) -> None:
    router.get(ESUMMARY).respond(json=load("pubmed/esummary.json"))

    record = await pubmed.resolve(IdKind.PMID, "11850928")

    assert record is not None
    assert record.authors == (
        Name(family="LoPresti", given="PJ"),
        Name(family="Hambrick", given="GW"),  # "Hambrick GW Jr": the suffix is not a name
        Name(family="Writing Committee for the Zirconium Study"),
    )


async def test_abbreviated_page_range_is_given_in_full(router: respx.Router, pubmed: PubMedSource) -> None:
    router.get(ESUMMARY).respond(json=load("pubmed/esummary.json"))

    record = await pubmed.resolve(IdKind.PMID, "11850928")

    assert record is not None and record.pages == "188-191"  # NLM writes "188-91"


async def test_unknown_pmid_is_none(router: respx.Router, pubmed: PubMedSource) -> None:
    router.get(ESUMMARY, params={"id": "99999999"}).respond(json=load("pubmed/esummary-missing.json"))

    assert await pubmed.resolve(IdKind.PMID, "99999999") is None


async def test_invalid_uid_answer_is_none(router: respx.Router, pubmed: PubMedSource) -> None:
    body = {"header": {"type": "esummary", "version": "0.3"}, "esummaryresult": ["Invalid uid 0 at position=0"]}
    router.get(ESUMMARY).respond(json=body)

    assert await pubmed.resolve(IdKind.PMID, "0") is None


async def test_non_numeric_pmid_is_none_without_asking(pubmed: PubMedSource) -> None:
    assert await pubmed.resolve(IdKind.PMID, "PMC123") is None


async def test_search_tags_every_word_then_summarises_the_hits(router: respx.Router, pubmed: PubMedSource) -> None:
    term = "zirconium[ti] AND granuloma[ti] AND skin[ti]"
    search = router.get(ESEARCH, params={"db": "pubmed", "term": term, "retmax": "5", "sort": "relevance", **POLITE})
    search.respond(json=load("pubmed/esearch.json"))
    summary = router.get(ESUMMARY, params={"id": "11850928,11482001", **POLITE})
    summary.respond(json=load("pubmed/esummary.json"))

    records = await pubmed.search(Reference(title="Zirconium granuloma: skin."))

    assert search.called and summary.called
    assert [r.pmid for r in records] == ["11850928", "11482001"]  # esearch's relevance order


async def test_bracketed_translated_title_and_missing_full_journal_name(
    router: respx.Router, pubmed: PubMedSource
) -> None:
    router.get(ESEARCH).respond(json=load("pubmed/esearch.json"))
    router.get(ESUMMARY).respond(json=load("pubmed/esummary.json"))

    record = (await pubmed.search(REF))[1]

    assert record.title == "Zirconium granulomas in the skin: a review"
    assert record.venue == "Adverse Drug React Toxicol Rev"  # `source` when fulljournalname is empty
    assert (record.year, record.pages, record.doi) == (2001, "89-103", None)


async def test_empty_search_makes_no_summary_call(router: respx.Router, pubmed: PubMedSource) -> None:
    router.get(ESEARCH).respond(json=load("pubmed/esearch-empty.json"))

    assert await pubmed.search(REF) == []  # an esummary call would hit no route and fail


async def test_api_key_is_sent_and_raises_the_rate(
    router: respx.Router, client: httpx.AsyncClient, settings: Settings
) -> None:
    route = router.get(ESUMMARY, params={"api_key": "k3y"}).respond(json=load("pubmed/esummary-missing.json"))
    keyed = PubMedSource(client, settings.model_copy(update={"pubmed_api_key": "k3y", "throttle": True}))
    plain = PubMedSource(client, settings.model_copy(update={"throttle": True}))

    await keyed.resolve(IdKind.PMID, "99999999")

    assert route.called
    assert keyed._throttle._interval == pytest.approx(0.1)
    assert plain._throttle._interval == pytest.approx(1 / 3)


async def test_error_in_a_200_esearch_is_unavailable(router: respx.Router, pubmed: PubMedSource) -> None:
    body = {"header": {"type": "esearch", "version": "0.3"}, "esearchresult": {"ERROR": "Invalid db name specified"}}
    router.get(ESEARCH).respond(json=body)

    with pytest.raises(SourceUnavailable, match="Invalid db name"):
        await pubmed.search(REF)


async def test_rate_limit_error_in_a_200_is_rate_limited(router: respx.Router, pubmed: PubMedSource) -> None:
    router.get(ESUMMARY).respond(200, json=load("pubmed/rate-limited-429.json"))

    with pytest.raises(SourceRateLimited):
        await pubmed.resolve(IdKind.PMID, "11850928")


async def test_429_json_is_rate_limited_with_retry_after(router: respx.Router, pubmed: PubMedSource) -> None:
    route = router.get(ESEARCH).respond(429, json=load("pubmed/rate-limited-429.json"), headers={"Retry-After": "1"})

    with pytest.raises(SourceRateLimited) as caught:
        await pubmed.search(REF)
    assert caught.value.retry_after == 1.0
    assert route.call_count == 2


async def test_429_without_retry_after(router: respx.Router, pubmed: PubMedSource) -> None:
    router.get(ESUMMARY).respond(429, json=load("pubmed/rate-limited-429.json"))

    with pytest.raises(SourceRateLimited) as caught:
        await pubmed.resolve(IdKind.PMID, "11850928")
    assert caught.value.retry_after is None


async def test_400_is_unavailable(router: respx.Router, pubmed: PubMedSource) -> None:
    router.get(ESUMMARY).respond(400, json={"error": "API key invalid", "type": "invalid", "status": "unknown"})

    with pytest.raises(SourceUnavailable):
        await pubmed.resolve(IdKind.PMID, "11850928")


async def test_5xx_is_unavailable_after_retries(router: respx.Router, pubmed: PubMedSource) -> None:
    route = router.get(ESEARCH).respond(503, text="<html>503 Service Unavailable</html>")

    with pytest.raises(SourceUnavailable):
        await pubmed.search(REF)
    assert route.call_count == 2


async def test_xml_answer_is_unavailable(router: respx.Router, pubmed: PubMedSource) -> None:
    router.get(ESUMMARY).respond(200, text="<eSummaryResult><ERROR>Empty id list</ERROR></eSummaryResult>")

    with pytest.raises(SourceUnavailable):
        await pubmed.resolve(IdKind.PMID, "11850928")


async def test_json_without_result_is_unavailable(router: respx.Router, pubmed: PubMedSource) -> None:
    router.get(ESUMMARY).respond(json={"header": {"type": "esummary"}})

    with pytest.raises(SourceUnavailable):
        await pubmed.resolve(IdKind.PMID, "11850928")


async def test_timeout_is_source_timeout(router: respx.Router, pubmed: PubMedSource) -> None:
    router.get(ESEARCH).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(SourceTimeout):
        await pubmed.search(REF)
