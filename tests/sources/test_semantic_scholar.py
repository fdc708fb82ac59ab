"""Semantic Scholar adapter: id lookups, best-match search, and the API's two error shapes."""

from __future__ import annotations

import httpx
import pytest
import respx

from app.errors import SourceRateLimited, SourceTimeout, SourceUnavailable
from app.models import Name, Reference
from app.settings import Settings
from app.sources.base import IdKind
from app.sources.semantic_scholar import FIELDS, SemanticScholarSource
from tests.conftest import load

ROOT = "https://api.semanticscholar.org/graph/v1"
MATCH = f"{ROOT}/paper/search/match"
REF = Reference(title="MonarchRT: Efficient Attention for Real-Time Video Generation")


@pytest.fixture
def s2(client: httpx.AsyncClient, settings: Settings) -> SemanticScholarSource:
    return SemanticScholarSource(client, settings)


async def test_resolve_doi_maps_the_paper(router: respx.Router, s2: SemanticScholarSource) -> None:
    router.get(f"{ROOT}/paper/DOI:10.1162/003355304772839588", params={"fields": FIELDS}).respond(
        json=load("semantic_scholar/paper.json")
    )

    record = await s2.resolve(IdKind.DOI, "10.1162/003355304772839588")

    assert record is not None
    assert record.source == "semantic_scholar"
    assert record.source_id == "c31c87c591a25c64fbaa82e8ac6a81831b6ac7ce"
    assert record.title == "How Much Should We Trust Differences-in-Differences Estimates?"
    assert record.authors == (
        Name(family="Bertrand", given="Marianne"),
        Name(family="Duflo", given="E."),
        Name(family="Mullainathan", given="S."),
    )
    assert (record.year, record.type, record.preprint) == (2004, "article-journal", False)
    assert record.venue == "Quarterly Journal of Economics"  # `venue` empty, no publicationVenue
    assert (record.volume, record.pages) == ("119", "249-275")
    assert (record.pmid, record.pmcid) == ("12345678", "PMC1234567")


async def test_resolve_asks_with_the_doi_lower_cased(router: respx.Router, s2: SemanticScholarSource) -> None:
    route = router.get(f"{ROOT}/paper/DOI:10.1109/cvpr.2016.90").respond(json=load("semantic_scholar/paper.json"))

    await s2.resolve(IdKind.DOI, "10.1109/CVPR.2016.90")

    assert route.called


async def test_upper_case_doi_is_lower_cased_and_conference_type_wins(
    router: respx.Router, s2: SemanticScholarSource
) -> None:
    router.get(f"{ROOT}/paper/DOI:10.1109/cvpr.2016.90").respond(json=load("semantic_scholar/paper-upper-doi.json"))

    record = await s2.resolve(IdKind.DOI, "10.1109/cvpr.2016.90")

    assert record is not None
    assert record.doi == "10.1109/cvpr.2016.90"
    assert record.type == "paper-conference"
    assert record.venue == "Computer Vision and Pattern Recognition"
    assert (record.arxiv, record.preprint) == ("1512.03385", False)  # published version with an arXiv id


async def test_resolve_arxiv_asks_without_the_version(router: respx.Router, s2: SemanticScholarSource) -> None:
    route = router.get(f"{ROOT}/paper/ARXIV:2602.12271").respond(
        json=load("semantic_scholar/match-preprint.json")["data"][0]
    )

    record = await s2.resolve(IdKind.ARXIV, "arXiv:2602.12271v3")

    assert route.called
    assert record is not None and record.arxiv == "2602.12271"


async def test_arxiv_doi_is_resolved_as_the_arxiv_id(router: respx.Router, s2: SemanticScholarSource) -> None:
    route = router.get(f"{ROOT}/paper/ARXIV:2602.12271").respond(
        json=load("semantic_scholar/match-preprint.json")["data"][0]
    )

    await s2.resolve(IdKind.DOI, "10.48550/arXiv.2602.12271v1")

    assert route.called


async def test_resolve_pmid(router: respx.Router, s2: SemanticScholarSource) -> None:
    router.get(f"{ROOT}/paper/PMID:12345678").respond(json=load("semantic_scholar/paper.json"))

    record = await s2.resolve(IdKind.PMID, "12345678")

    assert record is not None and record.pmid == "12345678"


async def test_unknown_id_is_none(router: respx.Router, s2: SemanticScholarSource) -> None:
    router.get(f"{ROOT}/paper/DOI:10.1/nothing").respond(
        404, json={"error": "Paper with id DOI:10.1/nothing not found"}
    )

    assert await s2.resolve(IdKind.DOI, "10.1/nothing") is None


async def test_api_key_is_sent_as_header(router: respx.Router, client: httpx.AsyncClient, settings: Settings) -> None:
    route = router.get(f"{ROOT}/paper/PMID:1", headers={"x-api-key": "secret"}).respond(
        json=load("semantic_scholar/paper.json")
    )
    keyed = SemanticScholarSource(client, settings.model_copy(update={"semantic_scholar_api_key": "secret"}))

    await keyed.resolve(IdKind.PMID, "1")

    assert route.called


async def test_no_api_key_header_without_a_key(router: respx.Router, s2: SemanticScholarSource) -> None:
    route = router.get(f"{ROOT}/paper/PMID:1").respond(json=load("semantic_scholar/paper.json"))

    await s2.resolve(IdKind.PMID, "1")

    assert "x-api-key" not in route.calls.last.request.headers


async def test_search_returns_the_best_match_as_a_preprint(router: respx.Router, s2: SemanticScholarSource) -> None:
    route = router.get(MATCH, params={"query": REF.title, "fields": FIELDS}).respond(
        json=load("semantic_scholar/match-preprint.json")
    )

    records = await s2.search(REF)

    assert route.called
    [record] = records
    assert (record.preprint, record.type, record.venue) == (True, "article", "arXiv.org")
    assert record.volume is None  # the ArXiv "journal" volume is the id, "abs/2602.12271"
    assert record.score == pytest.approx(212.5031)
    assert record.authors[0] == Name(family="Agarwal", given="Krish")


async def test_search_without_match_is_empty(router: respx.Router, s2: SemanticScholarSource) -> None:
    router.get(MATCH).respond(404, json={"error": "Title match not found"})

    assert await s2.search(REF) == []


async def test_search_on_a_title_of_stopwords_is_empty(router: respx.Router, s2: SemanticScholarSource) -> None:
    router.get(MATCH).respond(400, json={"error": "Missing required parameter: 'query'"})

    assert await s2.search(Reference(title="From")) == []


async def test_search_without_title_asks_nothing(s2: SemanticScholarSource) -> None:
    assert await s2.search(Reference(raw="Smith 2020")) == []


async def test_field_error_is_unavailable_with_its_message_and_not_retried(
    router: respx.Router, s2: SemanticScholarSource
) -> None:
    route = router.get(MATCH).respond(400, json={"error": "Unrecognized or unsupported fields: [unknown]"})

    with pytest.raises(SourceUnavailable, match="Unrecognized or unsupported fields"):
        await s2.search(REF)
    assert route.call_count == 1


async def test_forbidden_key_is_unavailable_with_the_gateway_message(
    router: respx.Router, s2: SemanticScholarSource
) -> None:
    router.get(f"{ROOT}/paper/PMID:1").respond(403, json={"message": "Forbidden"})

    with pytest.raises(SourceUnavailable, match="Forbidden"):
        await s2.resolve(IdKind.PMID, "1")


async def test_429_is_rate_limited_with_retry_after(router: respx.Router, s2: SemanticScholarSource) -> None:
    body = {"message": "Too Many Requests. Please wait and try again.", "code": "429"}
    route = router.get(MATCH).respond(429, json=body, headers={"Retry-After": "2"})

    with pytest.raises(SourceRateLimited) as caught:
        await s2.search(REF)
    assert caught.value.retry_after == 2.0
    assert route.call_count == 2  # one retry within the budget


async def test_429_without_retry_after(router: respx.Router, s2: SemanticScholarSource) -> None:
    router.get(MATCH).respond(429, json={"message": "Too Many Requests.", "code": "429"})

    with pytest.raises(SourceRateLimited) as caught:
        await s2.search(REF)
    assert caught.value.retry_after is None


async def test_5xx_is_unavailable_after_retries(router: respx.Router, s2: SemanticScholarSource) -> None:
    route = router.get(f"{ROOT}/paper/PMID:1").respond(502, text="<html>502 Bad Gateway</html>")

    with pytest.raises(SourceUnavailable):
        await s2.resolve(IdKind.PMID, "1")
    assert route.call_count == 2


async def test_non_json_answer_is_unavailable(router: respx.Router, s2: SemanticScholarSource) -> None:
    router.get(MATCH).respond(200, text="<html><body>Service maintenance</body></html>")

    with pytest.raises(SourceUnavailable):
        await s2.search(REF)


async def test_non_json_404_is_unavailable_not_missing(router: respx.Router, s2: SemanticScholarSource) -> None:
    router.get(f"{ROOT}/paper/PMID:1").respond(404, text="<html>Not Found</html>")

    with pytest.raises(SourceUnavailable):
        await s2.resolve(IdKind.PMID, "1")


async def test_timeout_is_source_timeout(router: respx.Router, s2: SemanticScholarSource) -> None:
    router.get(MATCH).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(SourceTimeout):
        await s2.search(REF)
