"""CrossrefSource against respx: DOI lookup, bibliographic search, failures, field mapping, politeness."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx

from app.errors import SourceRateLimited, SourceTimeout, SourceUnavailable
from app.models import Name, Reference
from app.settings import Settings
from app.sources.base import IdKind, Policy
from app.sources.crossref import CrossrefSource
from tests.conftest import load

HOST = "api.crossref.org"
WORK = "/works/10.1126/science.169.3946.635"


@pytest.fixture
def crossref(client: httpx.AsyncClient, settings: Settings) -> CrossrefSource:
    return CrossrefSource(client, settings)


async def test_resolve_maps_journal_article(router: respx.Router, crossref: CrossrefSource) -> None:
    router.get(host=HOST, path=WORK).respond(json=load("crossref/work-journal-article.json"))

    record = await crossref.resolve(IdKind.DOI, "10.1126/science.169.3946.635")

    assert record is not None
    assert record.source == "crossref"
    assert record.type == "article-journal"
    assert record.year == 1970
    assert record.venue == "Science"
    assert (record.volume, record.issue, record.pages) == ("169", "3946", "635-641")
    assert record.doi == "10.1126/science.169.3946.635"
    assert record.source_id == record.doi
    assert record.publisher == "American Association for the Advancement of Science (AAAS)"
    assert record.preprint is False
    assert record.score is None


async def test_resolve_cleans_title_markup_and_joins_subtitle(router: respx.Router, crossref: CrossrefSource) -> None:
    router.get(host=HOST, path=WORK).respond(json=load("crossref/work-journal-article.json"))

    record = await crossref.resolve(IdKind.DOI, "10.1126/science.169.3946.635")

    assert record is not None
    assert record.title == "The Structure of Ordinary Water: New data and interpretations"


async def test_resolve_keeps_organisation_author_in_family(router: respx.Router, crossref: CrossrefSource) -> None:
    router.get(host=HOST, path=WORK).respond(json=load("crossref/work-journal-article.json"))

    record = await crossref.resolve(IdKind.DOI, "10.1126/science.169.3946.635")

    assert record is not None
    assert record.authors == (Name(family="Frank", given="Henry S."), Name(family="The Water Structure Consortium"))


async def test_resolve_accepts_url_form_doi(router: respx.Router, crossref: CrossrefSource) -> None:
    route = router.get(host=HOST, path=WORK).respond(json=load("crossref/work-journal-article.json"))

    record = await crossref.resolve(IdKind.DOI, "https://doi.org/10.1126/SCIENCE.169.3946.635")

    assert route.called
    assert record is not None


async def test_resolve_falls_back_when_issued_is_null(router: respx.Router, crossref: CrossrefSource) -> None:
    """`issued: [[null]]` (IEEE proceedings): the year comes from published-online."""
    path = "/works/10.1109/icdcsw.2003.1203662"
    router.get(host=HOST, path=path).respond(json=load("crossref/work-proceedings-null-issued.json"))

    record = await crossref.resolve(IdKind.DOI, "10.1109/icdcsw.2003.1203662")

    assert record is not None
    assert record.year == 2003
    assert record.type == "paper-conference"


async def test_resolve_percent_encodes_doi_but_keeps_slash(router: respx.Router, crossref: CrossrefSource) -> None:
    route = router.get(host=HOST).respond(404, text="Resource not found.")

    await crossref.resolve(IdKind.DOI, "10.1002/(sici)1097-4636<35:4>")

    assert route.calls.last.request.url.raw_path.startswith(b"/works/10.1002/%28sici%291097-4636%3C35%3A4%3E")


async def test_resolve_unknown_doi_is_none_without_parsing_body(router: respx.Router, crossref: CrossrefSource) -> None:
    """Crossref's 404 says application/json but carries plain text."""
    router.get(host=HOST, path=WORK).respond(
        404, text="Resource not found.", headers={"content-type": "application/json;charset=utf-8"}
    )

    assert await crossref.resolve(IdKind.DOI, "10.1126/science.169.3946.635") is None


async def test_resolve_400_is_unavailable(router: respx.Router, crossref: CrossrefSource) -> None:
    router.get(host=HOST, path=WORK).respond(400, json=load("crossref/validation-failure-400.json"))

    with pytest.raises(SourceUnavailable):
        await crossref.resolve(IdKind.DOI, "10.1126/science.169.3946.635")


async def test_resolve_sends_polite_pool_identification(router: respx.Router, crossref: CrossrefSource) -> None:
    route = router.get(host=HOST, path=WORK, params={"mailto": "test@example.org"}).respond(
        json=load("crossref/work-journal-article.json")
    )

    await crossref.resolve(IdKind.DOI, "10.1126/science.169.3946.635")

    assert route.called
    assert "mailto:test@example.org" in route.calls.last.request.headers["user-agent"]


async def test_search_sends_raw_citation_to_bibliographic_query(router: respx.Router, crossref: CrossrefSource) -> None:
    raw = "Lopez M. Single-cell atlas of the ageing mouse lung.  Nature 2020;580:101-7."
    route = router.get(
        host=HOST,
        path="/works",
        params={"query.bibliographic": " ".join(raw.split()), "rows": "3", "mailto": "test@example.org"},
    ).respond(json=load("crossref/works-query.json"))

    records = await crossref.search(Reference(raw=raw, title="ignored when raw is given"), limit=3)

    assert route.called
    assert "score" in route.calls.last.request.url.params["select"].split(",")
    assert [r.doi for r in records] == ["10.1101/2020.03.01.971234", "10.1038/s41586-020-2000-1"]
    assert [r.score for r in records] == [142.57, 117.3]


async def test_search_without_raw_joins_title_authors_venue_year(
    router: respx.Router, crossref: CrossrefSource
) -> None:
    expected = "Single-cell atlas Lopez Smith Nature 2020"
    route = router.get(host=HOST, path="/works", params={"query.bibliographic": expected}).respond(
        json=load("crossref/works-query.json")
    )
    ref = Reference(
        title="Single-cell atlas",
        authors=(Name(family="Lopez", given="M."), Name(family="Smith")),
        venue="Nature",
        year=2020,
    )

    await crossref.search(ref)

    assert route.called


async def test_search_maps_posted_content_as_preprint_with_server_venue(
    router: respx.Router, crossref: CrossrefSource
) -> None:
    router.get(host=HOST, path="/works").respond(json=load("crossref/works-query.json"))

    preprint, article = await crossref.search(Reference(raw="Lopez 2020 single-cell atlas"))

    assert (preprint.type, preprint.preprint, preprint.venue) == ("article", True, "bioRxiv")
    assert (article.type, article.preprint, article.venue) == ("article-journal", False, "Nature")


async def test_search_with_no_hits_is_empty(router: respx.Router, crossref: CrossrefSource) -> None:
    router.get(host=HOST, path="/works").respond(json=load("crossref/works-query-empty.json"))

    assert await crossref.search(Reference(raw="zzzz qqqq")) == []


async def test_search_with_nothing_to_query_asks_nothing(crossref: CrossrefSource) -> None:
    assert await crossref.search(Reference()) == []


async def test_429_raises_rate_limited_with_retry_after(router: respx.Router, crossref: CrossrefSource) -> None:
    route = router.get(host=HOST, path="/works").respond(
        429, text=load("crossref/too-many-requests-429.html"), headers={"Retry-After": "30"}
    )

    with pytest.raises(SourceRateLimited) as caught:
        await crossref.search(Reference(raw="anything"))

    assert caught.value.retry_after == 30.0
    assert route.call_count == 1  # longer than we wait inside a reference: not retried


async def test_5xx_is_retried_then_unavailable(router: respx.Router, crossref: CrossrefSource) -> None:
    route = router.get(host=HOST, path=WORK).respond(503, text="<h1>503 Service Temporarily Unavailable</h1>")

    with pytest.raises(SourceUnavailable):
        await crossref.resolve(IdKind.DOI, "10.1126/science.169.3946.635")

    assert route.call_count == 2  # settings.retries = 1


async def test_non_json_body_is_unavailable(router: respx.Router, crossref: CrossrefSource) -> None:
    router.get(host=HOST, path="/works").respond(200, text="<html><title>Just a moment...</title></html>")

    with pytest.raises(SourceUnavailable):
        await crossref.search(Reference(raw="anything"))


async def test_timeout_is_source_timeout(router: respx.Router, crossref: CrossrefSource) -> None:
    router.get(host=HOST, path=WORK).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(SourceTimeout):
        await crossref.resolve(IdKind.DOI, "10.1126/science.169.3946.635")


async def test_singletons_and_searches_share_three_requests_in_flight(
    router: respx.Router, client: httpx.AsyncClient, settings: Settings
) -> None:
    """Crossref's concurrency limit covers both pools together, whatever their rates."""

    class Unhurried(CrossrefSource):  # rates too high to wait on, limits as declared
        policy = Policy(rate=1e9, concurrency=3)
        singleton_policy = Policy(rate=1e9, concurrency=3)

    in_flight, peak = 0, 0
    release = asyncio.Event()

    async def answer(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await release.wait()
        in_flight -= 1
        if request.url.path == "/works":
            return httpx.Response(200, json=load("crossref/works-query-empty.json"))
        return httpx.Response(200, json=load("crossref/work-journal-article.json"))

    router.get(host=HOST).mock(side_effect=answer)
    crossref = Unhurried(client, settings.model_copy(update={"throttle": True}))
    calls = [crossref.resolve(IdKind.DOI, f"10.1/{i}") for i in range(3)]
    calls += [crossref.search(Reference(raw=f"citation {i}")) for i in range(3)]
    tasks = [asyncio.ensure_future(c) for c in calls]
    for _ in range(20):
        await asyncio.sleep(0)
    release.set()
    await asyncio.gather(*tasks)

    assert peak == 3
