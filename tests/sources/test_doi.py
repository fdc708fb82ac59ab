"""DoiSource against respx: content negotiation through the 302, not-found pages, agencies, failures."""

from __future__ import annotations

import httpx
import pytest
import respx

from app.errors import SourceRateLimited, SourceTimeout, SourceUnavailable
from app.models import Name, Reference
from app.settings import Settings
from app.sources.base import IdKind
from app.sources.doi import DoiSource, record_from_csl
from tests.conftest import load

DOI = "10.1126/science.169.3946.635"
TRANSFORM = "https://api.crossref.org/v1/works/10.1126%2Fscience.169.3946.635/transform"


@pytest.fixture
def doi_org(client: httpx.AsyncClient, settings: Settings) -> DoiSource:
    return DoiSource(client, settings)


def redirect_to(location: str) -> httpx.Response:
    return httpx.Response(
        302,
        text=load("doi/handle-redirect-302.html"),
        headers={"location": location, "content-type": "text/html;charset=utf-8"},
    )


async def test_resolve_follows_redirect_to_agency_csl(router: respx.Router, doi_org: DoiSource) -> None:
    router.get(host="doi.org", path=f"/{DOI}").mock(return_value=redirect_to(TRANSFORM))
    router.get(host="api.crossref.org", path__regex=r"^/v1/works/.+/transform$").respond(
        json=load("doi/csl-crossref.json")
    )

    record = await doi_org.resolve(IdKind.DOI, DOI)

    assert record is not None
    assert record.source == "doi"
    assert record.title == "The Structure of Ordinary Water"
    assert record.authors == (Name(family="Frank", given="Henry S."),)
    assert (record.year, record.venue, record.volume, record.issue, record.pages) == (
        1970,
        "Science",
        "169",
        "3946",
        "635-641",
    )
    assert record.type == "article-journal"  # Crossref's CSL keeps "journal-article"
    assert record.doi == DOI


async def test_resolve_asks_for_csl_json_with_contact(router: respx.Router, doi_org: DoiSource) -> None:
    first = router.get(host="doi.org", path=f"/{DOI}").mock(return_value=redirect_to(TRANSFORM))
    second = router.get(host="api.crossref.org").respond(json=load("doi/csl-crossref.json"))

    await doi_org.resolve(IdKind.DOI, DOI)

    for route in (first, second):  # the agency sees the same Accept and polite-pool User-Agent
        assert route.calls.last.request.headers["accept"] == "application/vnd.citationstyles.csl+json"
        assert "mailto:test@example.org" in route.calls.last.request.headers["user-agent"]


async def test_resolve_maps_datacite_csl(router: respx.Router, doi_org: DoiSource) -> None:
    """DataCite's CSL: upper-case DOI, `literal` organisation, type "article" for an arXiv preprint."""
    doi = "10.48550/arxiv.2311.16162"
    router.get(host="doi.org", path=f"/{doi}").mock(return_value=redirect_to(f"https://api.datacite.org/dois/{doi}"))
    router.get(host="api.datacite.org", path=f"/dois/{doi}").respond(json=load("doi/csl-datacite-arxiv.json"))

    record = await doi_org.resolve(IdKind.DOI, f"https://doi.org/{doi.upper()}")

    assert record is not None
    assert record.doi == doi
    assert record.arxiv == "2311.16162"
    assert (record.type, record.preprint, record.year) == ("article", True, 2023)
    assert record.authors == (Name(family="Yin", given="Hui"), Name(family="SDG Mapping Working Group"))


async def test_resolve_unknown_doi_is_none(router: respx.Router, doi_org: DoiSource) -> None:
    router.get(host="doi.org").respond(404, text=load("doi/not-found-404.html"), headers={"content-type": "text/html"})

    assert await doi_org.resolve(IdKind.DOI, "10.1126/does.not.exist") is None


async def test_resolve_not_a_doi_400_is_none(router: respx.Router, doi_org: DoiSource) -> None:
    router.get(host="doi.org").respond(400, text=load("doi/not-a-doi-400.html"), headers={"content-type": "text/html"})

    assert await doi_org.resolve(IdKind.DOI, "10.1126/x y") is None


async def test_agency_404_after_redirect_is_unavailable_not_none(router: respx.Router, doi_org: DoiSource) -> None:
    """doi.org knows the DOI; the agency failing to answer is not "does not exist"."""
    router.get(host="doi.org").mock(return_value=redirect_to(TRANSFORM))
    router.get(host="api.crossref.org").respond(404, text="Resource not found.")

    with pytest.raises(SourceUnavailable):
        await doi_org.resolve(IdKind.DOI, DOI)


async def test_json_api_answer_is_unavailable(router: respx.Router, doi_org: DoiSource) -> None:
    """An agency that ignores Accept and sends JSON:API is not mistaken for CSL."""
    router.get(host="doi.org").respond(json={"data": {"id": DOI, "type": "dois", "attributes": {}}})

    with pytest.raises(SourceUnavailable):
        await doi_org.resolve(IdKind.DOI, DOI)


async def test_landing_page_html_is_unavailable(router: respx.Router, doi_org: DoiSource) -> None:
    router.get(host="doi.org").respond(200, text="<html><head><title>Science</title></head></html>")

    with pytest.raises(SourceUnavailable):
        await doi_org.resolve(IdKind.DOI, DOI)


async def test_429_raises_rate_limited_with_retry_after(router: respx.Router, doi_org: DoiSource) -> None:
    router.get(host="doi.org").respond(429, text="Too Many Requests", headers={"Retry-After": "60"})

    with pytest.raises(SourceRateLimited) as caught:
        await doi_org.resolve(IdKind.DOI, DOI)

    assert caught.value.retry_after == 60.0


async def test_5xx_is_retried_then_unavailable(router: respx.Router, doi_org: DoiSource) -> None:
    route = router.get(host="doi.org").respond(502, text="<h1>502 Bad Gateway</h1>")

    with pytest.raises(SourceUnavailable):
        await doi_org.resolve(IdKind.DOI, DOI)

    assert route.call_count == 2


async def test_timeout_is_source_timeout(router: respx.Router, doi_org: DoiSource) -> None:
    router.get(host="doi.org").mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(SourceTimeout):
        await doi_org.resolve(IdKind.DOI, DOI)


async def test_does_not_search(doi_org: DoiSource) -> None:
    assert doi_org.searchable is False
    with pytest.raises(NotImplementedError):
        await doi_org.search(Reference(title="x"))


async def test_agency_names_registration_agency(router: respx.Router, doi_org: DoiSource) -> None:
    router.get(host="doi.org", path=f"/ra/{DOI}").respond(json=load("doi/ra-crossref.json"))

    assert await doi_org.agency(DOI) == "Crossref"


@pytest.mark.parametrize("fixture", ["doi/ra-does-not-exist.json", "doi/ra-invalid.json"])
async def test_agency_of_unknown_or_invalid_doi_is_none(router: respx.Router, doi_org: DoiSource, fixture: str) -> None:
    router.get(host="doi.org", path__startswith="/ra/").respond(json=load(fixture))

    assert await doi_org.agency("10.1126/does.not.exist") is None


async def test_agency_non_json_is_unavailable(router: respx.Router, doi_org: DoiSource) -> None:
    router.get(host="doi.org", path__startswith="/ra/").respond(200, text="<html>maintenance</html>")

    with pytest.raises(SourceUnavailable):
        await doi_org.agency(DOI)


def test_csl_year_falls_back_when_issued_is_null() -> None:
    record = record_from_csl(
        {"title": "T", "issued": {"date-parts": [[None]]}, "published-print": {"date-parts": [[2003, 5]]}}, "doi"
    )

    assert record.year == 2003


def test_csl_title_markup_and_entities_are_removed() -> None:
    record = record_from_csl({"title": "CO<sub>2</sub> &amp; <jats:italic>x</jats:italic> < y"}, "doi")

    assert record.title == "CO2 & x < y"


def test_csl_subtitle_already_in_title_is_not_repeated() -> None:
    record = record_from_csl({"title": ["Deep Learning: A Review"], "subtitle": ["A review"]}, "doi")

    assert record.title == "Deep Learning: A Review"


def test_a_name_part_given_as_a_list_reads_its_first_entry() -> None:
    record = record_from_csl({"author": [{"family": ["Curie", "Skłodowska"], "given": "Marie"}]}, "doi")
    assert record.authors == (Name(family="Curie", given="Marie"),)


def test_an_organisation_author_is_kept_whole() -> None:
    record = record_from_csl({"author": [{"name": "WHO Consortium"}, {"literal": "CERN"}, {"given": "Plato"}]}, "doi")
    assert record.authors == (Name(family="WHO Consortium"), Name(family="CERN"), Name(family="Plato"))
