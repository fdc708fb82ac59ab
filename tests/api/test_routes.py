"""The HTTP contract: inputs by content type, the response shape, problem+json errors, and no network needed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def offline(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("network unreachable", request=request)


@pytest.fixture
def api(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings, transport=httpx.MockTransport(offline))) as client:
        yield client


def test_seed_references_without_network_are_all_unverified_naming_failed_sources(api: TestClient) -> None:
    body = json.loads((ROOT / "references.json").read_text(encoding="utf-8"))
    response = api.post("/v1/verify", json=body)
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["index"] for r in results] == list(range(7))
    for r in results:
        assert r["verdict"] == "unverified"
        failed = [s["name"] for s in r["sources"] if s["status"] == "error"]
        assert failed and all(name in r["explanation"] for name in failed)
    assert response.json()["summary"] == {"total": 7, "verified": 0, "miscited": 0, "not_found": 0, "unverified": 7}


def test_results_echo_input_and_what_was_understood(api: TestClient) -> None:
    item = {"type": "article-journal", "title": "A title", "author": [{"family": "Doe", "given": "J."}]}
    result = api.post("/v1/verify", json={"references": [item]}).json()["results"][0]
    assert result["input"] == item
    assert result["reference"]["title"] == "A title"
    assert {"verdict", "confidence", "match", "discrepancies", "sources", "explanation"} <= result.keys()


def test_a_bibtex_file_is_split_into_entries(api: TestClient) -> None:
    bib = (
        "@article{a, title={First paper}, author={Doe, Jane}, year={2020}}\n"
        "@article{b, title={Second paper}, author={Roe, Rick}, year={2021}}\n"
    )
    response = api.post("/v1/verify", content=bib, headers={"content-type": "application/x-bibtex"})
    assert response.status_code == 200
    assert [r["reference"]["title"] for r in response.json()["results"]] == ["First paper", "Second paper"]


def test_malformed_json_is_a_problem_naming_the_position(api: TestClient) -> None:
    response = api.post("/v1/verify", content=b'{"references": [', headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "line 1" in response.json()["detail"] or "EOF" in response.json()["detail"]


def test_an_empty_reference_list_is_rejected(api: TestClient) -> None:
    response = api.post("/v1/verify", json={"references": []})
    assert response.status_code == 422
    assert response.json()["errors"][0]["where"].startswith("body.references")


def test_an_unreadable_item_is_unverified_naming_the_entry_and_the_rest_still_answered(api: TestClient) -> None:
    response = api.post("/v1/verify", json={"references": ["Doe J. A paper. 2020.", "   "]})
    assert response.status_code == 200
    first, second = response.json()["results"]
    assert first["reference"]["title"]
    assert second["verdict"] == "unverified" and "references[1]" in second["explanation"]
    assert all(s["status"] == "skipped" for s in second["sources"])


def test_an_unknown_content_type_is_415(api: TestClient) -> None:
    response = api.post("/v1/verify", content=b"x", headers={"content-type": "application/pdf"})
    assert response.status_code == 415
    assert "text/plain" in response.json()["supported"]


def test_unknown_option_sources_are_rejected(api: TestClient) -> None:
    response = api.post("/v1/verify", json={"references": ["10.1000/x"], "options": {"sources": ["nope"]}})
    assert response.status_code == 400
    assert response.json()["where"] == "options.sources"


def test_too_many_references_are_rejected(settings: Settings) -> None:
    small = settings.model_copy(update={"max_references": 2})
    with TestClient(create_app(small, transport=httpx.MockTransport(offline))) as api:
        response = api.post("/v1/verify", json={"references": ["a b c", "d e f", "g h i"]})
    assert response.status_code == 400


def test_sources_lists_every_upstream_with_its_base_url(api: TestClient) -> None:
    sources = {s["name"]: s for s in api.get("/v1/sources").json()}
    assert {
        "crossref",
        "doi",
        "datacite",
        "openalex",
        "semantic_scholar",
        "arxiv",
        "dblp",
        "pubmed",
        "europepmc",
    } <= sources.keys()
    assert sources["crossref"]["base_url"] == "https://api.crossref.org"
    assert sources["crossref"]["enabled"] and not sources["openalex"]["key_set"]


def test_healthz_answers_ok(api: TestClient) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}


def test_openapi_documents_the_verify_route(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    content = spec["paths"]["/v1/verify"]["post"]["requestBody"]["content"]
    assert {"application/json", "application/x-bibtex", "text/plain"} <= content.keys()


def test_openapi_documents_jobs_readiness_metrics_and_the_ndjson_answer(api: TestClient) -> None:
    spec = api.get("/openapi.json").json()
    assert {"/v1/jobs", "/v1/jobs/{job_id}", "/readyz", "/metrics"} <= spec["paths"].keys()
    assert "application/x-ndjson" in spec["paths"]["/v1/verify"]["post"]["responses"]["200"]["content"]
    assert "application/x-bibtex" in spec["paths"]["/v1/jobs"]["post"]["requestBody"]["content"]
