"""The seed article's references: news sources decide what they can speak for, and say so when they cannot."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import respx

from app.models import Verdict
from app.settings import Settings
from app.sources import build_sources
from app.verifier import Verifier

SEED = json.loads((Path(__file__).resolve().parents[1] / "references.json").read_text(encoding="utf-8"))["references"]
GUARDIAN, NYT = 1, 2  # "Analysis: Trump's History of Secrecy with Putin", The Guardian; the Helsinki piece, NYT
EMPTY_WIKI = {"batchcomplete": True, "query": {"searchinfo": {"totalhits": 0}, "search": []}}
EMPTY_NYT = {"status": "OK", "response": {"docs": [], "metadata": {"hits": 0, "offset": 0, "time": 3}}}
EMPTY_CDX: list[list[str]] = []


def guardian_article() -> dict[str, object]:
    return {
        "response": {
            "status": "ok",
            "total": 1,
            "results": [
                {
                    "id": "us-news/2023/mar/01/trump-putin-secrecy-analysis",
                    "type": "article",
                    "webTitle": "Analysis: Trump’s history of secrecy with Putin",
                    "webPublicationDate": "2023-03-01T06:00:00Z",
                    "webUrl": "https://www.theguardian.com/us-news/2023/mar/01/trump-putin-secrecy-analysis",
                    "fields": {"headline": "Analysis: Trump’s history of secrecy with Putin", "byline": "Jane Doe"},
                }
            ],
        }
    }


def news_settings(settings: Settings) -> Settings:
    scholarly = "crossref,doi,datacite,openalex,semantic_scholar,arxiv,dblp,pubmed,europepmc,openlibrary,google_books"
    return settings.model_copy(update={"nyt_api_key": "k", "disabled_sources": scholarly + ",web"})


async def verify_seed(settings: Settings, router: respx.Router) -> list[Verdict]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler)) as client:
        verifier = Verifier(build_sources(client, settings), settings)
        return [r.verdict for r in await verifier.verify(SEED)]


async def test_a_found_headline_is_verified_and_an_absent_one_not_found(
    router: respx.Router, settings: Settings
) -> None:
    settings = news_settings(settings)
    guardian = router.get(url__startswith="https://content.guardianapis.com/search")
    guardian.mock(return_value=httpx.Response(200, json=guardian_article()))
    router.get(url__startswith="https://api.nytimes.com/").mock(return_value=httpx.Response(200, json=EMPTY_NYT))
    router.get(url__startswith="https://en.wikipedia.org/").mock(return_value=httpx.Response(200, json=EMPTY_WIKI))
    router.get(url__startswith="https://web.archive.org/").mock(return_value=httpx.Response(200, json=EMPTY_CDX))
    verdicts = await verify_seed(settings, router)
    assert verdicts[GUARDIAN] is Verdict.VERIFIED
    assert verdicts[NYT] is Verdict.NOT_FOUND
    # Outlets no configured source speaks for stay unverified: absence there proves nothing.
    assert all(v is Verdict.UNVERIFIED for i, v in enumerate(verdicts) if i not in (GUARDIAN, NYT))


async def test_failing_news_sources_leave_every_reference_unverified(router: respx.Router, settings: Settings) -> None:
    settings = news_settings(settings)
    router.get(url__startswith="https://content.guardianapis.com/").mock(return_value=httpx.Response(503))
    router.get(url__startswith="https://api.nytimes.com/").mock(return_value=httpx.Response(503))
    router.get(url__startswith="https://en.wikipedia.org/").mock(return_value=httpx.Response(503))
    router.get(url__startswith="https://web.archive.org/").mock(return_value=httpx.Response(503))
    assert set(await verify_seed(settings, router)) == {Verdict.UNVERIFIED}


async def test_an_archived_page_whose_slug_is_the_headline_verifies_it(
    router: respx.Router, settings: Settings
) -> None:
    settings = news_settings(settings)
    slug = (
        "https://www.washingtonpost.com/politics/2019/01/13/trumps-private-talks-with-putin-may-have-put-"
        "national-security-at-risk/"
    )
    rows = [
        ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length"],
        ["com,washingtonpost)/x", "20190113120000", slug, "text/html", "200", "ABC", "1000"],
    ]
    cdx = router.get(url__startswith="https://web.archive.org/cdx/search/cdx")
    cdx.mock(return_value=httpx.Response(200, json=rows))
    router.get(url__startswith="https://en.wikipedia.org/").mock(return_value=httpx.Response(200, json=EMPTY_WIKI))
    router.get(url__startswith="https://content.guardianapis.com/").mock(
        return_value=httpx.Response(200, json={"response": {"status": "ok", "results": []}})
    )
    router.get(url__startswith="https://api.nytimes.com/").mock(return_value=httpx.Response(200, json=EMPTY_NYT))
    verdicts = await verify_seed(settings, router)
    assert verdicts[0] is Verdict.VERIFIED
    assert "washingtonpost.com" in str(cdx.calls[0].request.url)


async def test_a_web_search_hit_on_the_outlets_site_verifies_a_headline(
    router: respx.Router, settings: Settings
) -> None:
    settings = news_settings(settings).model_copy(update={"searxng_url": "http://searx.example"})
    hit = {
        "query": "q",
        "number_of_results": 1,
        "unresponsive_engines": [],
        "results": [
            {
                "url": "https://www.washingtonpost.com/world/2019/01/13/trumps-private-talks-putin/",
                "title": "Trump’s private talks with Putin may have put national security at risk"
                " - The Washington Post",
                "content": "",
                "engine": "bing news",
                "publishedDate": "2019-01-13T10:00:00",
                "score": 1.0,
            }
        ],
    }
    none = {"query": "q", "number_of_results": 0, "unresponsive_engines": [], "results": []}
    searx = router.get(url__startswith="http://searx.example/search")
    searx.mock(
        side_effect=lambda request: httpx.Response(
            200, json=hit if "washingtonpost.com" in request.url.params["q"] else none
        )
    )
    router.get(url__startswith="https://web.archive.org/").mock(return_value=httpx.Response(200, json=EMPTY_CDX))
    router.get(url__startswith="https://en.wikipedia.org/").mock(return_value=httpx.Response(200, json=EMPTY_WIKI))
    router.get(url__startswith="https://content.guardianapis.com/").mock(
        return_value=httpx.Response(200, json={"response": {"status": "ok", "results": []}})
    )
    router.get(url__startswith="https://api.nytimes.com/").mock(return_value=httpx.Response(200, json=EMPTY_NYT))
    assert (await verify_seed(settings, router))[0] is Verdict.VERIFIED
