"""arXiv adapter: Atom parsing, version-less ids, error feeds, and failures."""

from __future__ import annotations

import httpx
import pytest
import respx

from app.errors import SourceRateLimited, SourceTimeout, SourceUnavailable
from app.models import Name, Reference
from app.settings import Settings
from app.sources.arxiv import ArxivSource, arxiv_id
from app.sources.base import IdKind, Policy
from tests.conftest import load

QUERY = "https://export.arxiv.org/api/query"
ATOM = {"content-type": "application/atom+xml; charset=utf-8"}
REF = Reference(title="Sparse attention for long documents")


@pytest.fixture
def arxiv(client: httpx.AsyncClient, settings: Settings) -> ArxivSource:
    return ArxivSource(client, settings)


def test_policy_is_one_request_every_three_seconds() -> None:
    assert ArxivSource.policy == Policy(rate=1 / 3, concurrency=1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2101.00001", "2101.00001"),
        ("2101.00001v2", "2101.00001"),
        ("arXiv:1501.00001v10", "1501.00001"),
        ("hep-th/9901001v3", "hep-th/9901001"),
        ("math.GT/0309136", "math.GT/0309136"),
        ("http://arxiv.org/abs/2101.00001v2", "2101.00001"),
        ("10.48550/arXiv.2101.00001", "2101.00001"),
        ("not an id", None),
    ],
)
def test_arxiv_id_is_version_less(text: str, expected: str | None) -> None:
    assert arxiv_id(text) == expected


async def test_resolve_maps_the_entry(router: respx.Router, arxiv: ArxivSource) -> None:
    router.get(QUERY, params={"id_list": "2101.00001"}).respond(text=load("arxiv/entry.xml"), headers=ATOM)

    record = await arxiv.resolve(IdKind.ARXIV, "2101.00001")

    assert record is not None
    assert record.title == "Sparse Attention for Long Documents: A Study of Efficiency"  # wrapped lines joined
    assert record.authors == (Name(family="Lovelace", given="Ada"), Name(family="van Beethoven", given="Ludwig"))
    assert record.year == 2020  # from <published> (v1), not <updated>
    assert (record.arxiv, record.source_id) == ("2101.00001", "2101.00001")  # entry id carries "v2"
    assert record.doi == "10.18653/v1/2021.acl-long.10"
    assert record.venue == "Proceedings of ACL 2021, pp. 100-110"  # journal_ref
    assert (record.type, record.preprint, record.source) == ("article", True, "arxiv")


async def test_resolve_asks_for_the_version_less_id(router: respx.Router, arxiv: ArxivSource) -> None:
    route = router.get(QUERY, params={"id_list": "2101.00001"}).respond(text=load("arxiv/entry.xml"), headers=ATOM)

    record = await arxiv.resolve(IdKind.ARXIV, "arXiv:2101.00001v5")

    assert route.called
    assert record is not None and record.arxiv == "2101.00001"


async def test_venue_is_arxiv_without_journal_ref(router: respx.Router, arxiv: ArxivSource) -> None:
    router.get(QUERY, params={"search_query": "ti:sparse AND ti:attention AND ti:long AND ti:documents"}).respond(
        text=load("arxiv/search.xml"), headers=ATOM
    )

    records = await arxiv.search(REF)

    assert [r.venue for r in records] == ["arXiv", "arXiv"]
    assert [r.doi for r in records] == [None, None]


async def test_unknown_id_is_none(router: respx.Router, arxiv: ArxivSource) -> None:
    router.get(QUERY, params={"id_list": "2101.99999"}).respond(text=load("arxiv/empty.xml"), headers=ATOM)

    assert await arxiv.resolve(IdKind.ARXIV, "2101.99999") is None


async def test_malformed_id_error_feed_is_none(router: respx.Router, arxiv: ArxivSource) -> None:
    route = router.get(QUERY).respond(400, text=load("arxiv/error-400.xml"), headers=ATOM)

    assert await arxiv.resolve(IdKind.ARXIV, "1234.5678") is None
    assert route.call_count == 1


async def test_text_that_is_no_arxiv_id_is_none_without_asking(arxiv: ArxivSource) -> None:
    assert await arxiv.resolve(IdKind.ARXIV, "abc") is None


async def test_400_without_error_feed_is_unavailable(router: respx.Router, arxiv: ArxivSource) -> None:
    router.get(QUERY).respond(400, text="Bad Request", headers={"content-type": "text/plain"})

    with pytest.raises(SourceUnavailable):
        await arxiv.resolve(IdKind.ARXIV, "2101.00001")


async def test_search_ands_title_words_and_keeps_relevance_order(router: respx.Router, arxiv: ArxivSource) -> None:
    route = router.get(
        QUERY,
        params={"search_query": "ti:sparse AND ti:attention AND ti:long AND ti:documents", "max_results": "5"},
    ).respond(text=load("arxiv/search.xml"), headers=ATOM)

    records = await arxiv.search(REF, limit=5)

    assert route.called
    assert [r.arxiv for r in records] == ["2101.00001", "hep-th/9901001"]
    assert records[1].year == 1999


async def test_search_drops_punctuation_from_the_query(router: respx.Router, arxiv: ArxivSource) -> None:
    route = router.get(QUERY, params={"search_query": "ti:u AND ti:net AND ti:segmentation"}).respond(
        text=load("arxiv/empty.xml"), headers=ATOM
    )

    assert await arxiv.search(Reference(title='U-Net: "segmentation" (of) the')) == []
    assert route.called


async def test_empty_search_is_empty(router: respx.Router, arxiv: ArxivSource) -> None:
    router.get(QUERY).respond(text=load("arxiv/empty.xml"), headers=ATOM)

    assert await arxiv.search(REF) == []


async def test_error_feed_in_search_is_unavailable(router: respx.Router, arxiv: ArxivSource) -> None:
    router.get(QUERY).respond(400, text=load("arxiv/error-400.xml"), headers=ATOM)

    with pytest.raises(SourceUnavailable, match="incorrect id format"):
        await arxiv.search(REF)


async def test_429_is_rate_limited_with_retry_after(router: respx.Router, arxiv: ArxivSource) -> None:
    route = router.get(QUERY).respond(429, text="Rate exceeded.", headers={"Retry-After": "3"})

    with pytest.raises(SourceRateLimited) as caught:
        await arxiv.search(REF)
    assert caught.value.retry_after == 3.0
    assert route.call_count == 2


async def test_503_is_unavailable_after_retries(router: respx.Router, arxiv: ArxivSource) -> None:
    route = router.get(QUERY).respond(503, text="<html>503 Service Temporarily Unavailable</html>")

    with pytest.raises(SourceUnavailable):
        await arxiv.resolve(IdKind.ARXIV, "2101.00001")
    assert route.call_count == 2


@pytest.mark.parametrize(
    "body",
    ["<html><body>maintenance</body></html>", "<?xml version='1.0'?><feed xmlns='http://www.w3.org/2005/Atom'><entry>"],
)
async def test_garbage_or_truncated_xml_is_unavailable(router: respx.Router, arxiv: ArxivSource, body: str) -> None:
    router.get(QUERY).respond(200, text=body, headers=ATOM)

    with pytest.raises(SourceUnavailable):
        await arxiv.search(REF)


async def test_timeout_is_source_timeout(router: respx.Router, arxiv: ArxivSource) -> None:
    router.get(QUERY).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(SourceTimeout):
        await arxiv.resolve(IdKind.ARXIV, "2101.00001")
