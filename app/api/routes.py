"""HTTP routes for synchronous verification, the source list, health and metrics. Thin: read, call, return."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel

from app.batch import Backlog, as_decided, decide_all, parse_items
from app.cache import StoreUnavailable
from app.errors import InputError
from app.jobs import JobStore
from app.models import Result, Summary, VerifyResponse
from app.observability import CONTENT_TYPE, Metrics
from app.settings import Settings
from app.sources import ADAPTERS
from app.sources.base import Source
from app.verifier import Verifier

from .inputs import (
    NDJSON,
    REQUEST_BODY,
    VerifyOptions,
    VerifyRequest,
    get_backlog,
    get_metrics,
    get_settings,
    get_sources,
    get_store,
    get_verifier,
    read_request,
    wants_ndjson,
)

__all__ = ["VerifyOptions", "VerifyRequest", "read_request", "router"]

router = APIRouter()

# Seconds the readiness probe waits for the job store: a hung Redis must not hang the probe.
READY_TIMEOUT = 2.0
# An id no job has (ids are uuid4 hex): looking it up is the cheapest call that touches the store.
_PROBE_ID = "readiness-probe"


class SourceInfo(BaseModel):
    name: str
    enabled: bool
    base_url: str
    key_set: bool


class Health(BaseModel):
    status: str


_NDJSON_DOC = {
    "description": "The results; with `Accept: application/x-ndjson`, one `Result` per line as each is decided "
    '(completion order, each with its `index`), then a line `{"summary": {...}}`.',
    "content": {NDJSON: {"schema": {"type": "string"}}},
}


@router.post("/v1/verify", response_model=VerifyResponse, responses={200: _NDJSON_DOC}, openapi_extra=REQUEST_BODY)
async def verify(
    request: Request,
    body: Annotated[VerifyRequest, Depends(read_request)],
    verifier: Annotated[Verifier, Depends(get_verifier)],
    settings: Annotated[Settings, Depends(get_settings)],
    metrics: Annotated[Metrics, Depends(get_metrics)],
    backlog: Annotated[Backlog, Depends(get_backlog)],
) -> VerifyResponse | Response:
    """Verify a list of references: JSON `{"references": [...]}` or a whole BibTeX, RIS, CSL-JSON or text file."""
    if len(body.references) > settings.max_references:
        raise InputError(f"at most {settings.max_references} references per request", where="references")
    if body.options.sources is not None:
        verifier = verifier.restricted_to(body.options.sources)
    tasks = parse_items(body.references)
    if wants_ndjson(request):
        # Parsed before the first byte is sent, so an unusable item is still a 400, not a broken stream.
        lines = _ndjson(as_decided(verifier, tasks, concurrency=settings.concurrency, backlog=backlog), metrics)
        return StreamingResponse(lines, media_type=NDJSON)
    results = await decide_all(verifier, tasks, concurrency=settings.concurrency, backlog=backlog)
    for result in results:
        metrics.result(result)
    return VerifyResponse(results=results, summary=Summary.of(results))


async def _ndjson(decisions: AsyncGenerator[Result, None], metrics: Metrics) -> AsyncIterator[str]:
    results: list[Result] = []
    # aclosing: a client that disconnects cancels the references still in flight at once.
    async with aclosing(decisions) as decided:
        async for result in decided:
            metrics.result(result)
            results.append(result)
            yield result.model_dump_json() + "\n"
    yield json.dumps({"summary": Summary.of(results).model_dump()}) + "\n"


@router.get("/v1/sources", response_model=list[SourceInfo])
async def sources(
    settings: Annotated[Settings, Depends(get_settings)],
    enabled: Annotated[dict[str, Source], Depends(get_sources)],
) -> list[SourceInfo]:
    """Every upstream the service knows: whether it is enabled, its base URL, whether an API key is set."""
    keys = {
        "openalex": settings.openalex_api_key,
        "semantic_scholar": settings.semantic_scholar_api_key,
        "pubmed": settings.pubmed_api_key,
        "google_books": settings.google_books_api_key,
        "guardian": settings.guardian_api_key,
        "nyt": settings.nyt_api_key,
    }
    return [
        SourceInfo(
            name=cls.name,
            enabled=cls.name in enabled,
            base_url=str(getattr(settings, cls.url_setting, "") or ""),
            key_set=bool(keys.get(cls.name)),
        )
        for cls in ADAPTERS
    ]


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    """Liveness: the process answers."""
    return Health(status="ok")


@router.get("/readyz", response_model=Health, responses={503: {"description": "The job store does not answer."}})
async def readyz(store: Annotated[JobStore, Depends(get_store)]) -> Health:
    """Readiness: the job store answers a lookup (503 problem+json when it fails or takes over 2 s)."""
    try:
        async with asyncio.timeout(READY_TIMEOUT):
            await store.get(_PROBE_ID)
    except TimeoutError as exc:
        raise StoreUnavailable(f"the job store did not answer within {READY_TIMEOUT:g} s") from exc
    return Health(status="ready")


@router.get("/metrics", response_class=Response, responses={200: {"content": {CONTENT_TYPE: {}}}})
async def metrics(metrics: Annotated[Metrics, Depends(get_metrics)]) -> Response:
    """Counters and histograms in the Prometheus text exposition format."""
    return Response(metrics.render(), media_type=CONTENT_TYPE)
