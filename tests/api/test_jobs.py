"""Batch jobs: 202 at once, progress while running, results kept across a restart, problem+json for unknown ids."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from app.api.jobs import MAX_PAGE
from app.batch import MAX_JOB_REFERENCES
from app.main import create_app
from app.models import Result
from app.settings import Settings

from .conftest import Served, offline, serve

ITEMS = ["10.1000/first", "10.1000/second", "10.1000/third"]


class Gate:
    """An upstream that is offline, except that requests naming `blocked` wait until the gate opens."""

    def __init__(self, blocked: str) -> None:
        self.blocked = blocked
        self.open = asyncio.Event()
        self.waiting = asyncio.Event()
        self.urls: list[str] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.urls.append(str(request.url))
        if self.blocked in str(request.url):
            self.waiting.set()
            await self.open.wait()
        raise httpx.ConnectError("network unreachable", request=request)


async def poll(served: Served, job_id: str, until: Any, *, rounds: int = 2000) -> dict[str, Any]:
    """The job once `until(job)` holds, yielding to the background task between polls (no real sleeping)."""
    for _ in range(rounds):
        job: dict[str, Any] = (await served.client.get(f"/v1/jobs/{job_id}")).json()
        if until(job):
            return job
        await asyncio.sleep(0)
    raise AssertionError(f"job never reached the expected state: {job}")


async def test_a_job_is_accepted_at_once_with_a_link_to_poll(settings: Settings) -> None:
    gate = Gate("10.1000")  # every reference blocks: nothing can be decided before the answer
    async with serve(create_app(settings, transport=httpx.MockTransport(gate))) as served:
        response = await served.client.post("/v1/jobs", json={"references": ITEMS})
        assert response.status_code == 202
        body = response.json()
        assert body == {"id": body["id"], "status": "queued", "total": 3, "links": {"self": f"/v1/jobs/{body['id']}"}}
        assert response.headers["location"] == body["links"]["self"]
        job = (await served.client.get(body["links"]["self"])).json()
        assert (job["done"], job["results"]) == (0, [])
        gate.open.set()


async def test_a_finished_job_has_every_result_in_index_order_and_counts_by_verdict(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        job_id = (await served.client.post("/v1/jobs", json={"references": ITEMS})).json()["id"]
        await served.jobs.wait(job_id)
        job = (await served.client.get(f"/v1/jobs/{job_id}")).json()
    assert job["status"] == "done"
    assert (job["total"], job["done"]) == (3, 3)
    assert job["counts"] == {"unverified": 3}
    assert [r["index"] for r in job["results"]] == [0, 1, 2]
    assert [r["input"] for r in job["results"]] == ITEMS
    assert job["created"].startswith("20")


async def test_progress_shows_the_results_decided_so_far(settings: Settings) -> None:
    gate = Gate("10.1000/third")
    async with serve(create_app(settings, transport=httpx.MockTransport(gate))) as served:
        job_id = (await served.client.post("/v1/jobs", json={"references": ITEMS})).json()["id"]
        job = await poll(served, job_id, lambda j: j["done"] == 2)
        assert job["status"] == "running"
        assert [r["index"] for r in job["results"]] == [0, 1]
        gate.open.set()
        await served.jobs.wait(job_id)
        assert (await served.client.get(f"/v1/jobs/{job_id}")).json()["status"] == "done"


async def test_an_unknown_job_is_a_404_problem(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        response = await served.client.get("/v1/jobs/0123456789abcdef")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "0123456789abcdef" in response.json()["detail"]


async def test_a_job_accepts_whole_files_by_content_type(settings: Settings) -> None:
    bib = "@article{a, title={First paper}, author={Doe, Jane}, year={2020}}\n@article{b, title={Second}, year={2021}}"
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        response = await served.client.post("/v1/jobs", content=bib, headers={"content-type": "application/x-bibtex"})
        assert response.status_code == 202
        assert response.json()["total"] == 2
        await served.jobs.wait(response.json()["id"])


async def test_an_unreadable_item_gets_an_unverified_result_naming_it(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        response = await served.client.post("/v1/jobs", json={"references": ["10.1000/x", "  "]})
        assert response.status_code == 202
        await served.jobs.wait(response.json()["id"])
        job = (await served.client.get(f"/v1/jobs/{response.json()['id']}")).json()
    unreadable = job["results"][1]
    assert unreadable["verdict"] == "unverified" and "references[1]" in unreadable["explanation"]


async def test_a_job_larger_than_the_limit_is_rejected(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        too_many = ["10.1000/x"] * (MAX_JOB_REFERENCES + 1)
        response = await served.client.post("/v1/jobs", json={"references": too_many})
    assert response.status_code == 400
    assert response.json()["where"] == "references"


async def test_a_job_may_be_larger_than_a_synchronous_request(settings: Settings) -> None:
    small = settings.model_copy(update={"max_references": 2})
    async with serve(create_app(small, transport=httpx.MockTransport(offline))) as served:
        response = await served.client.post("/v1/jobs", json={"references": ITEMS})
        assert response.status_code == 202
        await served.jobs.wait(response.json()["id"])


async def test_a_restarted_service_resumes_the_job_without_redoing_decided_references(settings: Settings) -> None:
    gate = Gate("10.1000/third")
    async with serve(create_app(settings, transport=httpx.MockTransport(gate))) as served:
        job_id = (await served.client.post("/v1/jobs", json={"references": ITEMS})).json()["id"]
        await poll(served, job_id, lambda j: j["done"] == 2)
        await gate.waiting.wait()
    # The first process stopped with the third reference in flight; the second starts on the same file.
    after = Gate("never")
    async with serve(create_app(settings, transport=httpx.MockTransport(after))) as served:
        assert served.jobs.running == [job_id]
        await served.jobs.wait(job_id)
        job = (await served.client.get(f"/v1/jobs/{job_id}")).json()
    assert (job["status"], job["done"]) == ("done", 3)
    assert [r["index"] for r in job["results"]] == [0, 1, 2]
    assert after.urls and not any("first" in u or "second" in u for u in after.urls)
    assert any("third" in u for u in after.urls)


async def test_results_come_in_pages_by_index_with_progress_over_the_whole_job(settings: Settings) -> None:
    items = [f"10.1000/item{i}" for i in range(5)]
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        job_id = (await served.client.post("/v1/jobs", json={"references": items})).json()["id"]
        await served.jobs.wait(job_id)
        first = (await served.client.get(f"/v1/jobs/{job_id}?limit=2")).json()
        last = (await served.client.get(f"/v1/jobs/{job_id}?offset=4&limit=2")).json()
    assert [r["index"] for r in first["results"]] == [0, 1]
    assert (first["done"], first["counts"], first["offset"], first["limit"]) == (5, {"unverified": 5}, 0, 2)
    assert first["links"] == {
        "self": f"/v1/jobs/{job_id}?offset=0&limit=2",
        "next": f"/v1/jobs/{job_id}?offset=2&limit=2",
    }
    assert [r["index"] for r in last["results"]] == [4]
    assert last["links"]["next"] is None


async def test_limit_zero_answers_progress_only(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        job_id = (await served.client.post("/v1/jobs", json={"references": ITEMS})).json()["id"]
        await served.jobs.wait(job_id)
        job = (await served.client.get(f"/v1/jobs/{job_id}?limit=0")).json()
    assert (job["status"], job["done"], job["counts"], job["results"]) == ("done", 3, {"unverified": 3}, [])
    assert job["links"]["next"] is None


async def test_a_page_larger_than_the_maximum_is_a_422_problem(settings: Settings) -> None:
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        job_id = (await served.client.post("/v1/jobs", json={"references": ITEMS})).json()["id"]
        response = await served.client.get(f"/v1/jobs/{job_id}?limit={MAX_PAGE + 1}")
        await served.jobs.wait(job_id)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


async def test_the_results_served_are_the_results_decided(settings: Settings) -> None:
    """Served from the stored JSON, a result still reads back as the `Result` the verifier decided."""
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))) as served:
        job_id = (await served.client.post("/v1/jobs", json={"references": ITEMS[:1]})).json()["id"]
        await served.jobs.wait(job_id)
        job = (await served.client.get(f"/v1/jobs/{job_id}")).json()
    result = Result.model_validate(job["results"][0])
    assert (result.index, result.input, result.verdict) == (0, ITEMS[0], "unverified")


async def test_a_job_has_job_concurrency_references_in_flight_a_verify_request_concurrency(
    settings: Settings,
) -> None:
    """Jobs keep more references waiting at the upstreams than a synchronous request does."""
    settings = settings.model_copy(update={"concurrency": 2, "job_concurrency": 5})
    gate = Gate("10.1000")
    items = [f"10.1000/{i}" for i in range(8)]
    async with serve(create_app(settings, transport=httpx.MockTransport(gate))) as served:
        job_id = (await served.client.post("/v1/jobs", json={"references": items})).json()["id"]
        # Each reference asks Crossref for its DOI first and waits there: one request per reference in flight.
        for _ in range(5000):  # the items are parsed in a thread: yield until the references start
            if len(gate.urls) >= 5:
                break
            await asyncio.sleep(0)
        for _ in range(200):
            await asyncio.sleep(0)
        assert len(set(gate.urls)) == 5
        gate.open.set()
        await served.jobs.wait(job_id)
