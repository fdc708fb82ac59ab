"""Open Library adapter: ISBN lookups through the Books API, work search, and failures."""

from __future__ import annotations

import httpx
import pytest
import respx

from app.errors import SourceRateLimited, SourceTimeout, SourceUnavailable
from app.models import Name, Reference
from app.settings import Settings
from app.sources.base import IdKind
from app.sources.openlibrary import OpenLibrarySource, isbn13, isbn_digits
from tests.conftest import load

BOOKS = "https://openlibrary.org/api/books"
SEARCH = "https://openlibrary.org/search.json"
REF = Reference(title="Thinking, Fast and Slow", authors=(Name(family="Kahneman", given="Daniel"),), year=2011)


@pytest.fixture
def ol(client: httpx.AsyncClient, settings: Settings) -> OpenLibrarySource:
    return OpenLibrarySource(client, settings)


def test_open_library_resolves_isbns_and_searches() -> None:
    assert (OpenLibrarySource.identifiers, OpenLibrarySource.searchable) == (frozenset({IdKind.ISBN}), True)


def test_policy_stays_under_the_identified_three_per_second_one_at_a_time() -> None:
    assert 2 < OpenLibrarySource.policy.rate < 3
    assert OpenLibrarySource.policy.concurrency == 1


async def test_resolve_asks_the_books_api_once_with_the_bare_isbn(router: respx.Router, ol: OpenLibrarySource) -> None:
    route = router.get(BOOKS, params={"bibkeys": "ISBN:9780316030571", "format": "json", "jscmd": "data"}).respond(
        json=load("openlibrary/books-api.json")
    )

    await ol.resolve(IdKind.ISBN, "978-0-316-03057-1")

    assert route.call_count == 1


async def test_resolve_maps_the_edition_with_inline_author_names(router: respx.Router, ol: OpenLibrarySource) -> None:
    router.get(BOOKS).respond(json=load("openlibrary/books-api.json"))

    record = await ol.resolve(IdKind.ISBN, "9780316030571")

    assert record is not None
    assert (record.title, record.type, record.source) == ("Use of Weapons", "book", "openlibrary")
    assert record.authors == (Name(family="Banks", given="Iain M."),)
    assert (record.year, record.publisher, record.isbn) == (2008, "Orbit", "9780316030571")  # "July 28, 2008"
    assert (record.source_id, record.url) == ("OL10426208M", "https://openlibrary.org/books/OL10426208M")


async def test_resolve_sends_the_identifying_user_agent(router: respx.Router, ol: OpenLibrarySource) -> None:
    route = router.get(BOOKS).respond(json=load("openlibrary/books-api.json"))

    await ol.resolve(IdKind.ISBN, "9780316030571")

    assert "mailto:test@example.org" in route.calls.last.request.headers["user-agent"]


async def test_unknown_isbn_is_none(router: respx.Router, ol: OpenLibrarySource) -> None:
    router.get(BOOKS).respond(json={})

    assert await ol.resolve(IdKind.ISBN, "9780000000002") is None


async def test_value_that_is_no_isbn_is_none_without_asking(ol: OpenLibrarySource) -> None:
    assert await ol.resolve(IdKind.ISBN, "12-34") is None


async def test_resolve_of_another_identifier_is_not_offered(ol: OpenLibrarySource) -> None:
    with pytest.raises(NotImplementedError):
        await ol.resolve(IdKind.DOI, "10.1/x")


async def test_books_api_answer_that_is_not_an_object_is_unavailable(
    router: respx.Router, ol: OpenLibrarySource
) -> None:
    router.get(BOOKS).respond(json=[])

    with pytest.raises(SourceUnavailable):
        await ol.resolve(IdKind.ISBN, "9780316030571")


async def test_search_sends_title_words_first_family_name_and_trimmed_fields(
    router: respx.Router, ol: OpenLibrarySource
) -> None:
    route = router.get(SEARCH, params={"title": "thinking fast and slow", "author": "Kahneman", "limit": "3"}).respond(
        json=load("openlibrary/search.json")
    )

    await ol.search(REF, limit=3)

    assert route.called
    assert set(route.calls.last.request.url.params["fields"].split(",")) >= {"title", "author_name", "isbn", "key"}


async def test_search_without_authors_sends_no_author(router: respx.Router, ol: OpenLibrarySource) -> None:
    route = router.get(SEARCH).respond(json=load("openlibrary/search-empty.json"))

    await ol.search(Reference(title="Thinking, Fast and Slow"))

    assert "author" not in route.calls.last.request.url.params


async def test_search_maps_works(router: respx.Router, ol: OpenLibrarySource) -> None:
    router.get(SEARCH).respond(json=load("openlibrary/search.json"))

    first, second = await ol.search(REF)

    assert (first.title, first.authors, first.year) == (
        "Thinking, Fast and Slow",
        (Name(family="Kahneman", given="Daniel"),),
        2011,
    )
    assert (first.publisher, first.isbn, first.type) == ("Farrar, Straus and Giroux", "9780374275631", "book")
    assert (first.source_id, first.url) == ("OL27258W", "https://openlibrary.org/works/OL27258W")
    assert (second.title, second.year, second.isbn, second.publisher) == (
        "Thinking Fast and Slow: A Summary",
        None,
        None,
        None,
    )


async def test_search_keeps_the_cited_isbn_when_the_work_lists_it(router: respx.Router, ol: OpenLibrarySource) -> None:
    router.get(SEARCH).respond(json=load("openlibrary/search.json"))

    records = await ol.search(REF.model_copy(update={"isbn": "0141033576"}))  # ISBN-10 of 9780141033570

    assert records[0].isbn == "0141033576"


async def test_empty_search_is_empty(router: respx.Router, ol: OpenLibrarySource) -> None:
    router.get(SEARCH).respond(json=load("openlibrary/search-empty.json"))

    assert await ol.search(REF) == []


async def test_title_without_words_asks_nothing(ol: OpenLibrarySource) -> None:
    assert await ol.search(Reference(title="?!")) == []


async def test_search_answer_without_docs_is_unavailable(router: respx.Router, ol: OpenLibrarySource) -> None:
    router.get(SEARCH).respond(json={"error": "something went wrong"})

    with pytest.raises(SourceUnavailable):
        await ol.search(REF)


async def test_503_is_unavailable_after_retries(router: respx.Router, ol: OpenLibrarySource) -> None:
    route = router.get(SEARCH).respond(503, text="<html>503 Service Temporarily Unavailable</html>")

    with pytest.raises(SourceUnavailable, match="503"):
        await ol.search(REF)
    assert route.call_count == 2


async def test_html_body_with_200_is_unavailable(router: respx.Router, ol: OpenLibrarySource) -> None:
    router.get(BOOKS).respond(200, text="<html>busy</html>", headers={"content-type": "text/html"})

    with pytest.raises(SourceUnavailable):
        await ol.resolve(IdKind.ISBN, "9780316030571")


async def test_429_is_rate_limited(router: respx.Router, ol: OpenLibrarySource) -> None:
    router.get(BOOKS).respond(429, text="<html>429 Too Many Requests</html>", headers={"Retry-After": "2"})

    with pytest.raises(SourceRateLimited) as caught:
        await ol.resolve(IdKind.ISBN, "9780316030571")
    assert caught.value.retry_after == 2.0


async def test_timeout_is_source_timeout(router: respx.Router, ol: OpenLibrarySource) -> None:
    router.get(SEARCH).mock(side_effect=httpx.ReadTimeout("slow"))

    with pytest.raises(SourceTimeout):
        await ol.search(REF)


@pytest.mark.parametrize(
    ("text", "digits"),
    [("ISBN 0-316-03057-0", "0316030570"), ("080442957x", "080442957X"), ("978 0 316", None), ("97803160305711", None)],
)
def test_isbn_digits(text: str, digits: str | None) -> None:
    assert isbn_digits(text) == digits


def test_isbn10_becomes_isbn13_with_a_new_check_digit() -> None:
    assert (isbn13("0316030570"), isbn13("9780316030571")) == ("9780316030571", "9780316030571")
