"""Metrics in Prometheus text format, readiness, the request id and the one JSON access-log line per request."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from app.settings import Settings

from .conftest import Served, offline, serve


async def samples(served: Served) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of /metrics, keyed by name and labels."""
    text = (await served.client.get("/metrics")).text
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def key(name: str, **labels: str) -> tuple[str, frozenset[tuple[str, str]]]:
    return name, frozenset(labels.items())


async def test_metrics_are_prometheus_text(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        response = await served.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert "# TYPE refverify_references_verified_total counter" in response.text


async def test_a_verify_moves_the_verdict_reference_upstream_and_request_counters(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        before = await samples(served)
        await served.client.post("/v1/verify", json={"references": ["10.1000/a", "10.1000/b"]})
        after = await samples(served)
    assert before.get(key("refverify_references_verified_total"), 0) == 0
    assert after[key("refverify_references_verified_total")] == 2
    assert after[key("refverify_verdicts_total", verdict="unverified")] == 2
    # Offline, every source consulted for a DOI failed; Crossref is always asked first.
    assert after[key("refverify_upstream_calls_total", source="crossref", status="error")] == 2
    assert not any(
        name == "refverify_upstream_calls_total" and ("status", "skipped") in labels for name, labels in after
    )
    requests = key("refverify_http_requests_total", method="POST", route="/v1/verify", status="200")
    assert after[requests] == 1
    assert after[key("refverify_http_request_duration_seconds_count", method="POST", route="/v1/verify")] == 1


async def test_requests_are_counted_by_route_template_not_by_path(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        await served.client.get("/v1/jobs/abc")
        await served.client.get("/v1/jobs/def")
        await served.client.get("/no/such/page")
        after = await samples(served)
    assert after[key("refverify_http_requests_total", method="GET", route="/v1/jobs/{job_id}", status="404")] == 2
    assert after[key("refverify_http_requests_total", method="GET", route="unmatched", status="404")] == 1


async def test_jobs_are_counted(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        job_id = (await served.client.post("/v1/jobs", json={"references": ["10.1000/a"]})).json()["id"]
        await served.jobs.wait(job_id)
        after = await samples(served)
    assert after[key("refverify_jobs_total", event="created")] == 1
    assert after[key("refverify_jobs_total", event="done")] == 1
    assert after[key("refverify_jobs_running")] == 0
    assert after[key("refverify_verdicts_total", verdict="unverified")] == 1


async def test_two_apps_count_separately(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as first:
        await first.client.post("/v1/verify", json={"references": ["10.1000/a"]})
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as second:
        assert (await samples(second))[key("refverify_references_verified_total")] == 0


async def test_upstream_answers_served_from_the_cache_are_counted_by_source(settings: Settings) -> None:
    def absent(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404)  # "no such DOI": an answer, so it is cached

    async with serve(create_app(settings, transport=httpx.MockTransport(absent))) as served:
        await served.client.post("/v1/verify", json={"references": ["10.1000/a"]})
        before = await samples(served)
        # Another form of the same DOI: a verdict of its own, the same questions to the upstreams.
        await served.client.post("/v1/verify", json={"references": ["doi:10.1000/a"]})
        after = await samples(served)
    assert before.get(key("refverify_cache_hits_total", source="crossref"), 0) == 0
    assert after[key("refverify_cache_hits_total", source="crossref")] == 1


async def test_the_verifier_reads_through_the_cache_and_its_counts_are_exported(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        await served.client.post("/v1/verify", json={"references": ["10.1000/a"]})
        after = await samples(served)
    assert after[key("refverify_cache_operations_total", outcome="miss")] >= 1
    assert after[key("refverify_cache_operations_total", outcome="error")] == 0


async def test_readyz_is_200_when_the_job_store_answers(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        response = await served.client.get("/readyz")
    assert (response.status_code, response.json()) == (200, {"status": "ready"})


async def test_readyz_is_a_503_problem_when_the_job_store_fails_but_healthz_stays_ok(
    settings: Settings, tmp_path: Path
) -> None:
    broken = settings.model_copy(update={"cache_url": f"sqlite:///{tmp_path}"})  # a directory, not a database
    async with serve(create_app(broken, transport=httpx.MockTransport(offline))) as served:
        response = await served.client.get("/readyz")
        assert (await served.client.get("/healthz")).status_code == 200
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "SQLite" in response.json()["detail"]


async def test_a_given_request_id_is_echoed_and_logged_as_one_json_line(
    settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="app.access")
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        response = await served.client.get("/healthz", headers={"x-request-id": "req-42"})
    assert response.headers["x-request-id"] == "req-42"
    [record] = [r for r in caplog.records if r.name == "app.access"]
    line = json.loads(record.getMessage())
    assert line["request_id"] == "req-42"
    assert (line["method"], line["path"], line["status"]) == ("GET", "/healthz", 200)
    assert isinstance(line["duration_ms"], float)


async def test_a_request_without_an_id_gets_a_fresh_one(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        first = (await served.client.get("/healthz")).headers["x-request-id"]
        second = (await served.client.get("/healthz")).headers["x-request-id"]
    assert len(first) == 32 and first != second


async def test_an_unsafe_request_id_is_replaced(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        response = await served.client.get("/healthz", headers={"x-request-id": 'x"}\n{"forged": 1'})
    assert response.headers["x-request-id"] != 'x"}\n{"forged": 1'
    assert len(response.headers["x-request-id"]) == 32


async def test_errors_are_logged_with_their_status(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="app.access")
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        await served.client.get("/v1/jobs/nope")
    [record] = [r for r in caplog.records if r.name == "app.access"]
    assert json.loads(record.getMessage())["status"] == 404
