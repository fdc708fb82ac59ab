"""Cited web pages: a live page with the cited title verifies; a dead one archived is link rot; a dead one never
archived did not exist."""

from __future__ import annotations

from collections.abc import Sequence

import httpx
import respx

from app.models import Verdict
from app.settings import Settings
from app.sources.wayback import WaybackSource
from app.sources.web import WebPageSource
from app.verifier import Verifier

PUBLIC_IP = "93.184.216.34"
CITATION = "Open Data Institute. (2019). The data spectrum. Retrieved from https://example.org/spectrum"
PAGE = "<html><head><title>The data spectrum | Open Data Institute</title></head><body>x</body></html>"


async def public(host: str, port: int) -> Sequence[str]:
    return [PUBLIC_IP]


def html(body: str) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/html; charset=utf-8"}, text=body)


async def verdict(router: respx.Router, settings: Settings) -> tuple[Verdict, str]:
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler)) as client:
        sources = {"web": WebPageSource(client, settings, resolver=public), "wayback": WaybackSource(client, settings)}
        result = (await Verifier(sources, settings).verify([CITATION]))[0]
        return result.verdict, result.explanation


async def test_a_live_page_with_the_cited_title_is_verified(router: respx.Router, settings: Settings) -> None:
    router.route(host=PUBLIC_IP, path="/spectrum").mock(side_effect=[html(""), html(PAGE)])
    assert (await verdict(router, settings))[0] is Verdict.VERIFIED


async def test_a_dead_page_that_was_archived_is_link_rot_not_fabrication(
    router: respx.Router, settings: Settings
) -> None:
    router.route(host=PUBLIC_IP, path="/spectrum").mock(return_value=httpx.Response(404))
    snapshot = "http://web.archive.org/web/20190301000000/https://example.org/spectrum"
    router.get(url__startswith="https://archive.org/wayback/available").mock(
        return_value=httpx.Response(
            200,
            json={
                "url": "example.org/spectrum",
                "archived_snapshots": {
                    "closest": {"status": "200", "available": True, "url": snapshot, "timestamp": "20190301000000"}
                },
            },
        )
    )
    router.route(host=PUBLIC_IP, path__startswith="/web/").mock(side_effect=[html(""), html(PAGE)])
    found, explanation = await verdict(router, settings)
    assert found is Verdict.VERIFIED
    assert "archived copy" in explanation


async def test_a_dead_page_never_archived_is_not_found(router: respx.Router, settings: Settings) -> None:
    router.route(host=PUBLIC_IP, path="/spectrum").mock(return_value=httpx.Response(404))
    router.get(url__startswith="https://archive.org/wayback/available").mock(
        return_value=httpx.Response(200, json={"url": "example.org/spectrum", "archived_snapshots": {}})
    )
    assert (await verdict(router, settings))[0] is Verdict.NOT_FOUND
