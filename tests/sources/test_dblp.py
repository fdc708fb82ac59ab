"""DBLP adapter: the JSON envelope's quirks, CoRR duplicates, and bot-check pages."""

from __future__ import annotations

import httpx
import pytest
import respx

from app.errors import SourceRateLimited, SourceTimeout, SourceUnavailable
from app.models import Name, Reference
from app.settings import Settings
from app.sources.base import IdKind
from app.sources.dblp import DblpSource
from tests.conftest import load

API = "https://dblp.org/search/publ/api"
REF = Reference(title="U-Net: Convolutional Networks for Biomedical Image Segmentation")
HTML = {"content-type": "text/html; charset=utf-8"}


@pytest.fixture
def dblp(client: httpx.AsyncClient, settings: Settings) -> DblpSource:
    return DblpSource(client, settings)


def test_dblp_only_searches() -> None:
    assert (DblpSource.searchable, DblpSource.identifiers) == (True, frozenset())


async def test_search_asks_for_json_with_words_only(router: respx.Router, dblp: DblpSource) -> None:
    route = router.get(
        API, params={"q": "u net convolutional networks biomedical image segmentation", "format": "json", "h": "3"}
    ).respond(json=load("dblp/empty.json"))

    await dblp.search(REF, limit=3)

    assert route.called


async def test_venue_version_comes_before_its_corr_duplicate(router: respx.Router, dblp: DblpSource) -> None:
    router.get(API).respond(json=load("dblp/hits.json"))

    records = await dblp.search(REF)

    assert [r.source_id for r in records] == [
        "conf/miccai/RonnebergerFB15",
        "conf/bildmed/Ronneberger17",
        "journals/corr/RonnebergerFB15",
    ]


async def test_conference_hit_is_mapped(router: respx.Router, dblp: DblpSource) -> None:
    router.get(API).respond(json=load("dblp/hits.json"))

    record = (await dblp.search(REF))[0]

    assert record.title == "U-Net: Convolutional Networks for Biomedical Image Segmentation"  # final "." gone
    assert (record.type, record.venue, record.year, record.pages) == ("paper-conference", "MICCAI", 2015, "234-241")
    assert record.doi == "10.1007/978-3-319-24574-4_28"
    assert (record.preprint, record.arxiv, record.score) == (False, None, 8.0)


async def test_homonym_numbers_are_stripped(router: respx.Router, dblp: DblpSource) -> None:
    router.get(API).respond(json=load("dblp/hits.json"))

    record = (await dblp.search(REF))[0]

    assert record.authors[1] == Name(family="Fischer", given="Philipp")  # "Philipp Fischer 0002"


async def test_single_author_object_and_venue_list(router: respx.Router, dblp: DblpSource) -> None:
    router.get(API).respond(json=load("dblp/hits.json"))

    record = (await dblp.search(REF))[1]

    assert record.authors == (Name(family="Ronneberger", given="Olaf"),)
    assert record.venue == "Bildverarbeitung für die Medizin, Informatik aktuell"
    assert (record.type, record.volume, record.issue) == ("article-journal", "12", "4")


async def test_corr_hit_is_a_preprint_with_its_arxiv_id(router: respx.Router, dblp: DblpSource) -> None:
    router.get(API).respond(json=load("dblp/hits.json"))

    record = (await dblp.search(REF))[2]

    assert (record.type, record.preprint, record.venue) == ("article", True, "CoRR")
    assert record.arxiv == "1505.04597"
    assert record.volume is None  # "abs/1505.04597" is the arXiv id, not a volume


async def test_arxiv_id_from_an_arxiv_doi(router: respx.Router, dblp: DblpSource) -> None:
    hit = {
        "@score": "5",
        "info": {
            "title": "Something.",
            "venue": "CoRR",
            "year": "2023",
            "type": "Informal and Other Publications",
            "doi": "10.48550/ARXIV.2301.00002",
            "ee": "https://doi.org/10.48550/ARXIV.2301.00002",
        },
    }
    router.get(API).respond(json={"result": {"status": {"@code": "200"}, "hits": {"@total": "1", "hit": [hit]}}})

    [record] = await dblp.search(REF)

    assert (record.arxiv, record.doi) == ("2301.00002", "10.48550/arxiv.2301.00002")


async def test_limit_caps_the_answer(router: respx.Router, dblp: DblpSource) -> None:
    router.get(API).respond(json=load("dblp/hits.json"))

    assert len(await dblp.search(REF, limit=2)) == 2


async def test_empty_result_has_no_hit_key(router: respx.Router, dblp: DblpSource) -> None:
    router.get(API).respond(json=load("dblp/empty.json"))

    assert await dblp.search(REF) == []


async def test_title_without_words_asks_nothing(dblp: DblpSource) -> None:
    assert await dblp.search(Reference(title="?!")) == []


async def test_resolve_is_not_offered(dblp: DblpSource) -> None:
    with pytest.raises(NotImplementedError):
        await dblp.resolve(IdKind.DOI, "10.1007/978-3-319-24574-4_28")


async def test_bot_check_page_with_200_is_unavailable(router: respx.Router, dblp: DblpSource) -> None:
    router.get(API).respond(200, text=load("dblp/bot-check.html"), headers=HTML)

    with pytest.raises(SourceUnavailable):
        await dblp.search(REF)


async def test_bot_check_page_with_500_is_unavailable_after_retries(router: respx.Router, dblp: DblpSource) -> None:
    route = router.get(API).respond(500, text=load("dblp/bot-check.html"), headers=HTML)

    with pytest.raises(SourceUnavailable):
        await dblp.search(REF)
    assert route.call_count == 2


async def test_json_that_is_not_the_envelope_is_unavailable(router: respx.Router, dblp: DblpSource) -> None:
    router.get(API).respond(json={"message": "maintenance"})

    with pytest.raises(SourceUnavailable):
        await dblp.search(REF)


async def test_error_status_in_envelope_is_unavailable(router: respx.Router, dblp: DblpSource) -> None:
    router.get(API).respond(json={"result": {"status": {"@code": "500", "text": "error"}, "hits": {"@total": "0"}}})

    with pytest.raises(SourceUnavailable, match="500"):
        await dblp.search(REF)


async def test_400_is_unavailable(router: respx.Router, dblp: DblpSource) -> None:
    router.get(API).respond(400, text="<html>Bad Request</html>", headers=HTML)

    with pytest.raises(SourceUnavailable, match="400"):
        await dblp.search(REF)


async def test_html_429_is_rate_limited_with_retry_after(router: respx.Router, dblp: DblpSource) -> None:
    route = router.get(API).respond(
        429, text="<html><h1>429 Too Many Requests</h1></html>", headers={**HTML, "Retry-After": "1"}
    )

    with pytest.raises(SourceRateLimited) as caught:
        await dblp.search(REF)
    assert caught.value.retry_after == 1.0
    assert route.call_count == 2


async def test_timeout_is_source_timeout(router: respx.Router, dblp: DblpSource) -> None:
    router.get(API).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(SourceTimeout):
        await dblp.search(REF)
