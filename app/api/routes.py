"""HTTP routes. Thin: read the input, call the verifier, return models."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from app.errors import InputError
from app.models import Summary, VerifyResponse
from app.parsing import parse_document
from app.settings import Settings
from app.sources import ADAPTERS
from app.sources.base import Source
from app.verifier import Verifier

from .problems import UnsupportedMediaType

router = APIRouter()

DOCUMENT_TYPES = (
    "text/plain",
    "application/x-bibtex",
    "application/x-research-info-systems",
    "application/vnd.citationstyles.csl+json",
)


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


class SourceInfo(BaseModel):
    name: str
    enabled: bool
    base_url: str
    key_set: bool


class Health(BaseModel):
    status: str


def get_verifier(request: Request) -> Verifier:
    verifier: Verifier = request.state.verifier
    return verifier


def get_settings(request: Request) -> Settings:
    settings: Settings = request.state.settings
    return settings


def get_sources(request: Request) -> dict[str, Source]:
    sources: dict[str, Source] = request.state.sources
    return sources


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


@router.post(
    "/v1/verify",
    response_model=VerifyResponse,
    openapi_extra={
        "requestBody": {
            "content": {
                "application/json": {"schema": VerifyRequest.model_json_schema()},
                **{t: {"schema": {"type": "string"}} for t in DOCUMENT_TYPES},
            },
            "required": True,
        }
    },
)
async def verify(
    body: Annotated[VerifyRequest, Depends(read_request)],
    verifier: Annotated[Verifier, Depends(get_verifier)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> VerifyResponse:
    """Verify a list of references: JSON `{"references": [...]}` or a whole BibTeX, RIS, CSL-JSON or text file."""
    if len(body.references) > settings.max_references:
        raise InputError(f"at most {settings.max_references} references per request", where="references")
    if body.options.sources is not None:
        verifier = verifier.restricted_to(body.options.sources)
    results = await verifier.verify(body.references)
    return VerifyResponse(results=results, summary=Summary.of(results))


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
    return Health(status="ok")
