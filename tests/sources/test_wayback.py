"""WaybackSource: Availability API snapshots, CDX captures (JSON and text), blocked sites and the 429 rule."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import respx

from app.errors import SourceRateLimited, SourceUnavailable
from app.settings import Settings
from app.sources.wayback import Capture, Snapshot, WaybackSource
from tests.conftest import load

AVAILABLE = "https://archive.org/wayback/available"
CDX = "https://web.archive.org/cdx/search/cdx"
TEXT = {"content-type": "text/plain;charset=UTF-8"}
BLOCKED = (
    "org.archive.util.io.RuntimeIOException: org.archive.wayback.exception.AdministrativeAccessControlException: "
    "Blocked Site Error"
)


@pytest.fixture
def wayback(client: httpx.AsyncClient, settings: Settings) -> WaybackSource:
    return WaybackSource(client, settings)


def test_wayback_neither_searches_nor_resolves() -> None:
    assert (WaybackSource.searchable, WaybackSource.identifiers) == (False, frozenset())


def test_cdx_policy_keeps_under_30_requests_a_minute() -> None:
    assert WaybackSource.policy.rate * 60 <= 30
    assert WaybackSource.policy.concurrency == 1


async def test_snapshot_asks_for_the_url_near_the_date(router: respx.Router, wayback: WaybackSource) -> None:
    route = router.get(AVAILABLE, params={"url": "https://www.example.org/report", "timestamp": "20190301"}).respond(
        json=load("wayback/available.json")
    )

    snapshot = await wayback.snapshot("https://www.example.org/report", timestamp="20190301")

    assert route.called
    assert snapshot == Snapshot(
        url="https://web.archive.org/web/20190312081530/https://www.example.org/report",  # http upgraded
        timestamp="20190312081530",
        status="200",
    )
    assert snapshot.captured == datetime(2019, 3, 12, 8, 15, 30, tzinfo=UTC)


async def test_snapshot_without_timestamp_sends_none(router: respx.Router, wayback: WaybackSource) -> None:
    route = router.get(AVAILABLE).respond(json=load("wayback/available.json"))

    await wayback.snapshot("https://www.example.org/report")

    assert "timestamp" not in route.calls.last.request.url.params


async def test_not_archived_is_none(router: respx.Router, wayback: WaybackSource) -> None:
    router.get(AVAILABLE).respond(json=load("wayback/not-archived.json"))

    assert await wayback.snapshot("https://example.org/never-archived") is None


async def test_unavailable_closest_is_none(router: respx.Router, wayback: WaybackSource) -> None:
    router.get(AVAILABLE).respond(json={"archived_snapshots": {"closest": {"available": False}}})

    assert await wayback.snapshot("https://example.org/x") is None


async def test_bad_timestamp_is_a_caller_error(wayback: WaybackSource) -> None:
    with pytest.raises(ValueError):
        await wayback.snapshot("https://example.org/", timestamp="2019-03-01")


async def test_availability_429_is_not_retried_and_quiets_the_endpoint(
    router: respx.Router, wayback: WaybackSource
) -> None:
    route = router.get(AVAILABLE).respond(429, text="Too Many Requests")

    with pytest.raises(SourceRateLimited) as caught:
        await wayback.snapshot("https://example.org/a")
    with pytest.raises(SourceRateLimited):
        await wayback.snapshot("https://example.org/b")

    assert route.call_count == 1  # no retry, and nothing sent during the quiet minute
    assert caught.value.retry_after == 60.0


async def test_availability_server_error_is_unavailable(router: respx.Router, wayback: WaybackSource) -> None:
    router.get(AVAILABLE).respond(503, text="Service Unavailable")

    with pytest.raises(SourceUnavailable, match="HTTP 503"):
        await wayback.snapshot("https://example.org/a")


async def test_availability_non_json_is_unavailable_not_none(router: respx.Router, wayback: WaybackSource) -> None:
    router.get(AVAILABLE).respond(200, html="<html><title>Internet Archive: Error</title></html>")

    with pytest.raises(SourceUnavailable):
        await wayback.snapshot("https://example.org/a")


async def test_captures_ask_for_json_prefix_and_200s(router: respx.Router, wayback: WaybackSource) -> None:
    route = router.get(
        CDX,
        params={
            "url": "https://www.example.org/report",
            "matchType": "prefix",
            "output": "json",
            "limit": "10",
            "from": "2019",
            "to": "2020",
            "filter": "statuscode:200",
        },
    ).respond(json=load("wayback/cdx-rows.json"))

    await wayback.captures("https://www.example.org/report", limit=10, from_="2019", to="2020")

    assert route.called
    assert route.calls.last.request.headers["user-agent"].startswith("refverify/")


async def test_json_captures_are_parsed_by_header(router: respx.Router, wayback: WaybackSource) -> None:
    router.get(CDX).respond(json=load("wayback/cdx-rows.json"))

    captures = await wayback.captures("https://www.example.org/report")

    assert captures == [
        Capture("20190312081530", "https://www.example.org/report", "text/html", "200", 8123),
        Capture("20190313101010", "https://www.example.org/report/appendix.pdf", "application/pdf", "200", 120344),
    ]


async def test_text_captures_are_parsed_and_duplicates_dropped(router: respx.Router, wayback: WaybackSource) -> None:
    router.get(CDX).respond(200, headers=TEXT, text=load("wayback/cdx-rows.txt"))

    captures = await wayback.captures("https://www.example.org/report")

    assert [c.timestamp for c in captures] == ["20190312081530", "20200601120000"]
    assert captures[1] == Capture("20200601120000", "https://www.example.org/report", "text/html", "200", 8240)


async def test_revisit_rows_keep_their_dash_status(router: respx.Router, wayback: WaybackSource) -> None:
    route = router.get(CDX).respond(200, headers=TEXT, text=load("wayback/cdx-revisits.txt"))

    captures = await wayback.captures("example.org/", statuscode=None)

    assert "filter" not in route.calls.last.request.url.params
    assert [(c.mimetype, c.statuscode) for c in captures] == [
        ("text/html", "301"),
        ("warc/revisit", "-"),
        ("text/html", "200"),
    ]


@pytest.mark.parametrize("body", ["", "[]"])
async def test_no_captures_is_empty(router: respx.Router, wayback: WaybackSource, body: str) -> None:
    router.get(CDX).respond(200, headers=TEXT, text=body)

    assert await wayback.captures("https://example.org/never") == []


@pytest.mark.parametrize(("fixture", "count"), [("wayback/cdx-resumekey.txt", 2), ("wayback/cdx-resumekey.json", 1)])
async def test_resume_key_after_the_rows_is_ignored(
    router: respx.Router, wayback: WaybackSource, fixture: str, count: int
) -> None:
    body = load(fixture)
    router.get(CDX).respond(200, **({"text": body} if isinstance(body, str) else {"json": body}))

    captures = await wayback.captures("example.org/")

    assert len(captures) == count
    assert all(c.timestamp.isdigit() for c in captures)


async def test_limit_caps_the_answer(router: respx.Router, wayback: WaybackSource) -> None:
    router.get(CDX).respond(200, headers=TEXT, text=load("wayback/cdx-revisits.txt"))

    assert len(await wayback.captures("example.org/", limit=2)) == 2


async def test_blocked_site_is_unavailable_with_its_reason(router: respx.Router, wayback: WaybackSource) -> None:
    route = router.get(CDX).respond(
        403, headers={**TEXT, "x-archive-wayback-runtime-error": BLOCKED}, text=BLOCKED + "\n"
    )

    with pytest.raises(SourceUnavailable, match="excluded from the Wayback Machine"):
        await wayback.captures("https://nationalpost.example/health")

    assert route.call_count == 1  # permanent: not retried


async def test_other_403_is_unavailable(router: respx.Router, wayback: WaybackSource) -> None:
    router.get(CDX).respond(403, headers=TEXT, text="Forbidden")

    with pytest.raises(SourceUnavailable, match="HTTP 403: Forbidden"):
        await wayback.captures("https://example.org/")


async def test_cdx_429_without_retry_after_is_not_retried(router: respx.Router, wayback: WaybackSource) -> None:
    route = router.get(CDX).respond(429, headers=TEXT, text="Too Many Requests")

    with pytest.raises(SourceRateLimited):
        await wayback.captures("https://example.org/")

    assert route.call_count == 1


async def test_cdx_quiet_minute_does_not_silence_availability(router: respx.Router, wayback: WaybackSource) -> None:
    router.get(CDX).respond(429, text="Too Many Requests")
    router.get(AVAILABLE).respond(json=load("wayback/not-archived.json"))

    with pytest.raises(SourceRateLimited):
        await wayback.captures("https://example.org/")

    assert await wayback.snapshot("https://example.org/") is None


async def test_html_instead_of_cdx_is_unavailable(router: respx.Router, wayback: WaybackSource) -> None:
    router.get(CDX).respond(200, html="<!DOCTYPE html><html><body>Wayback Machine is down</body></html>")

    with pytest.raises(SourceUnavailable, match="not CDX"):
        await wayback.captures("https://example.org/")


async def test_cdx_server_error_is_retried_then_unavailable(router: respx.Router, wayback: WaybackSource) -> None:
    route = router.get(CDX).respond(502, text="Bad Gateway")

    with pytest.raises(SourceUnavailable, match="HTTP 502"):
        await wayback.captures("https://example.org/")

    assert route.call_count == 2  # settings.retries == 1
