"""Google Books adapter: ISBN and title searches, the key, and the quota errors' several shapes."""

from __future__ import annotations

import httpx
import pytest
import respx

from app.errors import SourceRateLimited, SourceTimeout, SourceUnavailable
from app.models import Name, Reference
from app.settings import Settings
from app.sources.base import IdKind
from app.sources.googlebooks import GoogleBooksSource
from tests.conftest import load

VOLUMES = "https://www.googleapis.com/books/v1/volumes"
REF = Reference(title="The Dog Bible", authors=(Name(family="Hotchner", given="Tracie"),))


@pytest.fixture
def gb(client: httpx.AsyncClient, settings: Settings) -> GoogleBooksSource:
    return GoogleBooksSource(client, settings)


@pytest.fixture
def keyed(client: httpx.AsyncClient, settings: Settings) -> GoogleBooksSource:
    return GoogleBooksSource(client, settings.model_copy(update={"google_books_api_key": "s3cret"}))


def test_google_books_resolves_isbns_one_request_per_second() -> None:
    assert GoogleBooksSource.identifiers == frozenset({IdKind.ISBN})
    assert (GoogleBooksSource.policy.rate, GoogleBooksSource.policy.concurrency) == (1.0, 1)


async def test_resolve_queries_the_isbn_field(router: respx.Router, gb: GoogleBooksSource) -> None:
    route = router.get(VOLUMES, params={"q": "isbn:9781592401321"}).respond(json=load("googlebooks/isbn.json"))

    await gb.resolve(IdKind.ISBN, "978-1-59240-132-1")

    assert route.called


async def test_resolve_takes_the_volume_carrying_the_isbn(router: respx.Router, gb: GoogleBooksSource) -> None:
    router.get(VOLUMES).respond(json=load("googlebooks/isbn.json"))

    record = await gb.resolve(IdKind.ISBN, "1592401325")  # the ISBN-10 form: the second volume lists both

    assert record is not None
    assert (record.source_id, record.isbn, record.type) == ("USfJJOu3VAkC", "1592401325", "book")
    assert record.title == "The Dog Bible: Everything Your Dog Wants You to Know"
    assert (record.year, record.publisher) == (2005, "Penguin")
    assert record.url == "https://books.google.com/books/about/The_Dog_Bible.html?id=USfJJOu3VAkC"


async def test_resolve_falls_back_to_the_first_hit_with_its_own_isbn(
    router: respx.Router, gb: GoogleBooksSource
) -> None:
    router.get(VOLUMES).respond(json=load("googlebooks/isbn.json"))

    record = await gb.resolve(IdKind.ISBN, "9780000000002")

    assert record is not None
    assert (record.source_id, record.isbn, record.year) == ("aaaaAAAAaaaC", "9781592409999", 2011)  # "2011-11"


async def test_no_items_key_when_nothing_is_found(router: respx.Router, gb: GoogleBooksSource) -> None:
    router.get(VOLUMES).respond(json=load("googlebooks/empty.json"))

    assert await gb.resolve(IdKind.ISBN, "9780000000002") is None
    assert await gb.search(REF) == []


async def test_value_that_is_no_isbn_is_none_without_asking(gb: GoogleBooksSource) -> None:
    assert await gb.resolve(IdKind.ISBN, "not an isbn") is None


async def test_search_puts_significant_title_words_and_the_family_name_in_fields(
    router: respx.Router, gb: GoogleBooksSource
) -> None:
    route = router.get(VOLUMES, params={"q": "intitle:dog intitle:bible inauthor:Hotchner", "maxResults": "3"}).respond(
        json=load("googlebooks/volumes.json")
    )

    await gb.search(REF, limit=3)

    assert route.called


async def test_search_maps_volumes(router: respx.Router, gb: GoogleBooksSource) -> None:
    router.get(VOLUMES).respond(json=load("googlebooks/volumes.json"))

    first, second = await gb.search(REF)

    assert first.isbn == "9781592401321"  # ISBN_13 preferred though listed after ISBN_10
    assert first.authors == (Name(family="Hotchner", given="Tracie"),)
    assert second.authors == (Name(family="Poe", given="Ann"), Name(family="Roe", given="Bo"))
    assert (second.year, second.publisher, second.isbn) == (2019, None, None)  # OTHER is no ISBN
    assert second.url == "http://books.google.com/books?id=xK3aDwAAQBAJ&source=gbs_api"


async def test_title_without_words_asks_nothing(gb: GoogleBooksSource) -> None:
    assert await gb.search(Reference(title="…")) == []


async def test_key_is_sent_when_set(router: respx.Router, keyed: GoogleBooksSource) -> None:
    route = router.get(VOLUMES, params={"key": "s3cret"}).respond(json=load("googlebooks/empty.json"))

    await keyed.search(REF)

    assert route.called


async def test_no_key_is_sent_when_unset(router: respx.Router, gb: GoogleBooksSource) -> None:
    route = router.get(VOLUMES).respond(json=load("googlebooks/empty.json"))

    await gb.search(REF)

    assert "key" not in route.calls.last.request.url.params


async def test_resource_exhausted_429_is_rate_limited_and_not_retried(
    router: respx.Router, gb: GoogleBooksSource
) -> None:
    route = router.get(VOLUMES).respond(429, json=load("googlebooks/quota-429.json"))

    with pytest.raises(SourceRateLimited, match="RESOURCE_EXHAUSTED"):
        await gb.search(REF)
    assert route.call_count == 1  # a retry would spend quota that is already gone


async def test_429_with_an_html_body_is_still_rate_limited(router: respx.Router, gb: GoogleBooksSource) -> None:
    router.get(VOLUMES).respond(429, text="<html>Too Many Requests</html>", headers={"Retry-After": "30"})

    with pytest.raises(SourceRateLimited) as caught:
        await gb.search(REF)
    assert caught.value.retry_after == 30.0


async def test_quota_reason_in_a_400_is_rate_limited(router: respx.Router, keyed: GoogleBooksSource) -> None:
    router.get(VOLUMES).respond(400, json=load("googlebooks/quota-400.json"))

    with pytest.raises(SourceRateLimited, match="Daily Limit Exceeded"):
        await keyed.resolve(IdKind.ISBN, "9781592401321")


async def test_other_400_is_unavailable_with_the_message(router: respx.Router, keyed: GoogleBooksSource) -> None:
    router.get(VOLUMES).respond(400, json=load("googlebooks/key-invalid-400.json"))

    with pytest.raises(SourceUnavailable, match="API key not valid") as caught:
        await keyed.search(REF)
    assert not isinstance(caught.value, SourceRateLimited)


async def test_5xx_is_unavailable_after_retries(router: respx.Router, gb: GoogleBooksSource) -> None:
    route = router.get(VOLUMES).respond(503, text="<html>Service Unavailable</html>")

    with pytest.raises(SourceUnavailable, match="503"):
        await gb.search(REF)
    assert route.call_count == 2


async def test_json_without_total_items_is_unavailable(router: respx.Router, gb: GoogleBooksSource) -> None:
    router.get(VOLUMES).respond(json={"kind": "books#volumes"})

    with pytest.raises(SourceUnavailable):
        await gb.search(REF)


async def test_timeout_is_source_timeout(router: respx.Router, gb: GoogleBooksSource) -> None:
    router.get(VOLUMES).mock(side_effect=httpx.ConnectTimeout("slow"))

    with pytest.raises(SourceTimeout):
        await gb.resolve(IdKind.ISBN, "9781592401321")
