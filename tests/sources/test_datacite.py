"""DataCiteSource against respx: JSON:API lookup and search, failures, field mapping."""

from __future__ import annotations

import httpx
import pytest
import respx

from app.errors import SourceRateLimited, SourceTimeout, SourceUnavailable
from app.models import Name, Reference
from app.settings import Settings
from app.sources.base import IdKind
from app.sources.datacite import DataCiteSource
from tests.conftest import load

HOST = "api.datacite.org"
ARXIV_DOI = "10.48550/arxiv.2311.16162"
DATASET_DOI = "10.5281/zenodo.1234567"


@pytest.fixture
def datacite(client: httpx.AsyncClient, settings: Settings) -> DataCiteSource:
    return DataCiteSource(client, settings)


async def test_resolve_maps_arxiv_preprint(router: respx.Router, datacite: DataCiteSource) -> None:
    router.get(host=HOST, path=f"/dois/{ARXIV_DOI}").respond(json=load("datacite/doi-arxiv.json"))

    record = await datacite.resolve(IdKind.DOI, ARXIV_DOI)

    assert record is not None
    assert record.source == "datacite"
    assert record.title is not None and record.title.startswith("Leveraging Artificial Intelligence")
    assert (record.type, record.preprint) == ("article", True)
    assert record.arxiv == "2311.16162"
    assert (record.year, record.publisher) == (2023, "arXiv")
    assert record.doi == record.source_id == ARXIV_DOI
    assert record.url == "https://arxiv.org/abs/2311.16162"


async def test_resolve_splits_personal_names(router: respx.Router, datacite: DataCiteSource) -> None:
    """givenName/familyName when given, else the "Family, Given" name."""
    router.get(host=HOST, path=f"/dois/{ARXIV_DOI}").respond(json=load("datacite/doi-arxiv.json"))

    record = await datacite.resolve(IdKind.DOI, ARXIV_DOI)

    assert record is not None
    assert record.authors == (Name(family="Yin", given="Hui"), Name(family="Salvador-Carulla", given="Luis"))


async def test_resolve_maps_dataset_fields(router: respx.Router, datacite: DataCiteSource) -> None:
    router.get(host=HOST, path=f"/dois/{DATASET_DOI}").respond(json=load("datacite/doi-dataset.json"))

    record = await datacite.resolve(IdKind.DOI, f"https://doi.org/{DATASET_DOI.upper()}")

    assert record is not None
    assert record.authors == (Name(family="European Bioinformatics Institute"), Name(family="Garcia", given="Ana"))
    assert record.title == "Ocean temperature profiles: Global Argo floats, 2001-2020"
    assert (record.type, record.preprint, record.year) == ("dataset", False, 2021)
    assert record.publisher == "Zenodo"  # the object form of publisher
    assert (record.venue, record.volume, record.pages) == ("Argo Data Releases", "12", "1-40")
    assert record.arxiv is None


async def test_resolve_unknown_doi_is_none(router: respx.Router, datacite: DataCiteSource) -> None:
    router.get(host=HOST, path__startswith="/dois/").respond(
        404, json=load("datacite/not-found-404.json"), headers={"content-type": "application/vnd.api+json"}
    )

    assert await datacite.resolve(IdKind.DOI, "10.5281/zenodo.0") is None


async def test_resolve_identifies_with_contact(router: respx.Router, datacite: DataCiteSource) -> None:
    route = router.get(host=HOST, path=f"/dois/{ARXIV_DOI}").respond(json=load("datacite/doi-arxiv.json"))

    await datacite.resolve(IdKind.DOI, ARXIV_DOI)

    assert "mailto:test@example.org" in route.calls.last.request.headers["user-agent"]


async def test_search_by_title_without_query_syntax(router: respx.Router, datacite: DataCiteSource) -> None:
    route = router.get(
        host=HOST, path="/dois", params={"query": "Ocean temperature profiles", "page[size]": "2"}
    ).respond(json=load("datacite/dois-search.json"))

    records = await datacite.search(Reference(title='"Ocean: temperature (profiles)"', year=2021), limit=2)

    assert route.called
    assert [r.doi for r in records] == [DATASET_DOI, "10.48550/arxiv.2101.00001"]
    assert [r.preprint for r in records] == [False, True]


async def test_search_with_no_hits_is_empty(router: respx.Router, datacite: DataCiteSource) -> None:
    router.get(host=HOST, path="/dois").respond(json=load("datacite/dois-search-empty.json"))

    assert await datacite.search(Reference(title="zzzz")) == []


async def test_search_without_title_asks_nothing(datacite: DataCiteSource) -> None:
    assert await datacite.search(Reference(raw="Garcia 2021", year=2021)) == []


async def test_400_is_unavailable(router: respx.Router, datacite: DataCiteSource) -> None:
    router.get(host=HOST, path="/dois").respond(400, json=load("datacite/bad-request-400.json"))

    with pytest.raises(SourceUnavailable):
        await datacite.search(Reference(title="Ocean"))


async def test_429_raises_rate_limited_with_retry_after(router: respx.Router, datacite: DataCiteSource) -> None:
    route = router.get(host=HOST, path="/dois").respond(
        429, json=load("datacite/too-many-requests-429.json"), headers={"Retry-After": "2"}
    )

    with pytest.raises(SourceRateLimited) as caught:
        await datacite.search(Reference(title="Ocean"))

    assert caught.value.retry_after == 2.0
    assert route.call_count == 2  # a short Retry-After is waited for once


async def test_5xx_is_retried_then_unavailable(router: respx.Router, datacite: DataCiteSource) -> None:
    route = router.get(host=HOST, path=f"/dois/{ARXIV_DOI}").respond(500, text="<h1>Internal Server Error</h1>")

    with pytest.raises(SourceUnavailable):
        await datacite.resolve(IdKind.DOI, ARXIV_DOI)

    assert route.call_count == 2


async def test_non_json_body_is_unavailable(router: respx.Router, datacite: DataCiteSource) -> None:
    router.get(host=HOST, path=f"/dois/{ARXIV_DOI}").respond(200, text='{"data": {"id": "10.48550/arx')

    with pytest.raises(SourceUnavailable):
        await datacite.resolve(IdKind.DOI, ARXIV_DOI)


async def test_timeout_is_source_timeout(router: respx.Router, datacite: DataCiteSource) -> None:
    router.get(host=HOST, path="/dois").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(SourceTimeout):
        await datacite.search(Reference(title="Ocean"))
