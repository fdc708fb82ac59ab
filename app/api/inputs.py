"""Request bodies and the typed state routes depend on: read once here, so that routes stay short."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.batch import Backlog, JobRunner
from app.errors import InputError
from app.jobs import JobStore
from app.observability import Metrics
from app.parsing import parse_document
from app.settings import Settings
from app.sources.base import Source
from app.verifier import Verifier

from .problems import UnsupportedMediaType

DOCUMENT_TYPES = (
    "text/plain",
    "application/x-bibtex",
    "application/x-research-info-systems",
    "application/vnd.citationstyles.csl+json",
)
NDJSON = "application/x-ndjson"


class VerifyOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sources: list[str] | None = Field(None, description="Consult only these sources (names from /v1/sources).")


class VerifyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    references: list[str | dict[str, Any]] = Field(
        description="Free-text citations, single BibTeX entries, bare identifiers, or CSL-JSON objects.",
        min_length=1,
    )
    options: VerifyOptions = VerifyOptions()


# The request body as documented in OpenAPI: JSON or a whole file by content type.
REQUEST_BODY: dict[str, Any] = {
    "requestBody": {
        "content": {
            "application/json": {"schema": VerifyRequest.model_json_schema()},
            **{t: {"schema": {"type": "string"}} for t in DOCUMENT_TYPES},
        },
        "required": True,
    }
}


async def read_request(request: Request) -> VerifyRequest:
    """The request body as a `VerifyRequest`, whatever supported content type it came in."""
    content_type = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    raw = await request.body()
    if content_type in ("application/json", ""):
        try:
            return VerifyRequest.model_validate_json(raw)
        except ValidationError as exc:
            raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from exc
    if content_type not in DOCUMENT_TYPES:
        raise UnsupportedMediaType(content_type, ("application/json", *DOCUMENT_TYPES))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("body is not UTF-8 text", where=f"byte {exc.start}") from exc
    items = parse_document(text, content_type)
    if not items:
        raise InputError("no references found in the body")
    return VerifyRequest(references=items)


def wants_ndjson(request: Request) -> bool:
    """Whether the client asked for one JSON line per result (`Accept: application/x-ndjson`)."""
    accepted = (part.split(";")[0].strip().lower() for part in request.headers.get("accept", "").split(","))
    return NDJSON in accepted


def get_verifier(request: Request) -> Verifier:
    verifier: Verifier = request.state.verifier
    return verifier


def get_settings(request: Request) -> Settings:
    settings: Settings = request.state.settings
    return settings


def get_sources(request: Request) -> dict[str, Source]:
    sources: dict[str, Source] = request.state.sources
    return sources


def get_jobs(request: Request) -> JobRunner:
    jobs: JobRunner = request.state.jobs
    return jobs


def get_backlog(request: Request) -> Backlog:
    backlog: Backlog = request.state.backlog
    return backlog


def get_store(request: Request) -> JobStore:
    store: JobStore = request.state.store
    return store


def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.state.metrics
    return metrics
