"""OpenAlexSource against respx: DOI/PMID lookup, title search, failures, field mapping, identification."""

from __future__ import annotations

import httpx
import pytest
import respx

from app.errors import SourceRateLimited, SourceTimeout, SourceUnavailable
from app.models import Name, Reference
from app.settings import Settings
from app.sources.base import IdKind
from app.sources.openalex import OpenAlexSource
from tests.conftest import load

HOST = "api.openalex.org"
DOI = "10.1016/j.cell.2006.07.024"


@pytest.fixture
def openalex(client: httpx.AsyncClient, settings: Settings) -> OpenAlexSource:
    return OpenAlexSource(client, settings)


async def test_resolve_doi_maps_journal_article(router: respx.Router, openalex: OpenAlexSource) -> None:
    router.get(host=HOST, path=f"/works/doi:{DOI}").respond(json=load("openalex/work-journal-article.json"))

    record = await openalex.resolve(IdKind.DOI, DOI)

    assert record is not None
    assert record.source == "openalex"
    assert record.source_id == "W2105171396"
    assert record.type == "article-journal"
    assert record.title is not None and record.title.startswith("Induction of Pluripotent Stem Cells")
    assert record.authors == (Name(family="Takahashi", given="Kazutoshi"), Name(family="Yamanaka", given="Shinya"))
    assert (record.year, record.venue, record.publisher) == (2006, "Cell", "Elsevier BV")
    assert (record.volume, record.issue, record.pages) == ("126", "4", "663-676")
    assert record.doi == DOI  # from the upper-case URL form
    assert (record.pmid, record.pmcid) == ("16904174", "PMC4133452")
    assert record.preprint is False


async def test_resolve_pmid(router: respx.Router, openalex: OpenAlexSource) -> None:
    route = router.get(host=HOST, path="/works/pmid:16904174").respond(json=load("openalex/work-journal-article.json"))

    record = await openalex.resolve(IdKind.PMID, "PMID: 16904174")

    assert route.called
    assert record is not None and record.pmid == "16904174"


async def test_null_source_falls_back_to_raw_source_name(router: respx.Router, openalex: OpenAlexSource) -> None:
    router.get(host=HOST, path__startswith="/works/doi:").respond(
        json=load("openalex/work-conference-null-source.json")
    )

    record = await openalex.resolve(IdKind.DOI, "10.1145/3448016.3452841")

    assert record is not None
    assert record.venue == "Proceedings of the 2021 International Conference on Management of Data"
    assert (record.type, record.pages, record.publisher) == ("paper-conference", "1386-1399", None)


async def test_arxiv_id_from_an_arxiv_location(router: respx.Router, openalex: OpenAlexSource) -> None:
    router.get(host=HOST, path__startswith="/works/doi:").respond(
        json=load("openalex/work-conference-null-source.json")
    )

    record = await openalex.resolve(IdKind.DOI, "10.1145/3448016.3452841")

    assert record is not None and record.arxiv == "2106.00001v2"


async def test_resolve_trims_fields_and_identifies(
    router: respx.Router, client: httpx.AsyncClient, settings: Settings
) -> None:
    keyed = OpenAlexSource(client, settings.model_copy(update={"openalex_api_key": "k-123"}))
    route = router.get(
        host=HOST, path=f"/works/doi:{DOI}", params={"mailto": "test@example.org", "api_key": "k-123"}
    ).respond(json=load("openalex/work-journal-article.json"))

    await keyed.resolve(IdKind.DOI, DOI)

    assert route.called
    assert "authorships" in route.calls.last.request.url.params["select"].split(",")


async def test_no_api_key_param_without_a_key(router: respx.Router, openalex: OpenAlexSource) -> None:
    route = router.get(host=HOST, path=f"/works/doi:{DOI}").respond(json=load("openalex/work-journal-article.json"))

    await openalex.resolve(IdKind.DOI, DOI)

    assert "api_key" not in route.calls.last.request.url.params
    assert route.calls.last.request.url.params["mailto"] == "test@example.org"


async def test_resolve_unknown_is_none(router: respx.Router, openalex: OpenAlexSource) -> None:
    router.get(host=HOST, path__startswith="/works/").respond(404, json=load("openalex/not-found-404.json"))

    assert await openalex.resolve(IdKind.DOI, "10.1016/does.not.exist") is None


async def test_search_by_title_without_search_syntax(router: respx.Router, openalex: OpenAlexSource) -> None:
    """Quotes, colons and upper-case operators in a title must not act as OpenAlex search syntax."""
    route = router.get(
        host=HOST, path="/works", params={"search": "Attention not All You Need or Want", "per_page": "2"}
    ).respond(json=load("openalex/works-search.json"))

    await openalex.search(Reference(title='"Attention NOT All You Need: OR Want"'), limit=2)

    assert route.called


async def test_search_does_not_filter_by_year(router: respx.Router, openalex: OpenAlexSource) -> None:
    route = router.get(host=HOST, path="/works").respond(json=load("openalex/works-search.json"))

    await openalex.search(Reference(title="Attention Is All You Need", year=2016))

    assert "filter" not in route.calls.last.request.url.params


async def test_search_maps_results_with_relevance(router: respx.Router, openalex: OpenAlexSource) -> None:
    router.get(host=HOST, path="/works").respond(json=load("openalex/works-search.json"))

    preprint, paper = await openalex.search(Reference(title="Attention Is All You Need"))

    assert (preprint.type, preprint.preprint, preprint.arxiv) == ("article", True, "1706.03762")
    assert preprint.doi == "10.48550/arxiv.1706.03762"
    assert (paper.doi, paper.venue, paper.pages) == (None, "Neural Information Processing Systems", "5998-6008")
    assert [preprint.score, paper.score] == [3127.5, 2890.1]


async def test_search_with_no_hits_is_empty(router: respx.Router, openalex: OpenAlexSource) -> None:
    router.get(host=HOST, path="/works").respond(json=load("openalex/works-search-empty.json"))

    assert await openalex.search(Reference(title="zzzz qqqq")) == []


async def test_search_without_title_asks_nothing(openalex: OpenAlexSource) -> None:
    assert await openalex.search(Reference(raw="Vaswani 2017")) == []


async def test_400_is_unavailable(router: respx.Router, openalex: OpenAlexSource) -> None:
    router.get(host=HOST, path="/works").respond(400, json=load("openalex/invalid-400.json"))

    with pytest.raises(SourceUnavailable):
        await openalex.search(Reference(title="Attention"))


async def test_429_raises_rate_limited_with_retry_after(router: respx.Router, openalex: OpenAlexSource) -> None:
    router.get(host=HOST, path="/works").respond(
        429, json=load("openalex/too-many-requests-429.json"), headers={"Retry-After": "3600"}
    )

    with pytest.raises(SourceRateLimited) as caught:
        await openalex.search(Reference(title="Attention"))

    assert caught.value.retry_after == 3600.0


async def test_5xx_is_retried_then_unavailable(router: respx.Router, openalex: OpenAlexSource) -> None:
    route = router.get(host=HOST, path=f"/works/doi:{DOI}").respond(503, text="<h1>503</h1>")

    with pytest.raises(SourceUnavailable):
        await openalex.resolve(IdKind.DOI, DOI)

    assert route.call_count == 2


async def test_non_json_body_is_unavailable(router: respx.Router, openalex: OpenAlexSource) -> None:
    router.get(host=HOST, path="/works").respond(200, text="<html>Cloudflare: checking your browser</html>")

    with pytest.raises(SourceUnavailable):
        await openalex.search(Reference(title="Attention"))


async def test_timeout_is_source_timeout(router: respx.Router, openalex: OpenAlexSource) -> None:
    router.get(host=HOST, path=f"/works/doi:{DOI}").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(SourceTimeout):
        await openalex.resolve(IdKind.DOI, DOI)
