"""HTTP routes for batch jobs: submit a list, answered at once with 202; poll it for progress and results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from app.batch import MAX_JOB_REFERENCES, JobRunner
from app.errors import InputError
from app.jobs import JobStatus, JobStore, UnknownJob
from app.models import Result

from .inputs import REQUEST_BODY, VerifyRequest, get_jobs, get_store, read_request

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])

# Results per page of `GET /v1/jobs/{id}`: by default as many as a synchronous request may hold; at most ten times
# that, so one poll never serialises a whole 100,000-reference job.
PAGE = 1000
MAX_PAGE = 10_000


class JobLinks(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    self_: str = Field(alias="self", description="Where to poll the job.")


class JobAccepted(BaseModel):
    id: str
    status: JobStatus
    total: int
    links: JobLinks


class PageLinks(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    self_: str = Field(alias="self", description="This page.")
    next: str | None = Field(None, description="The next page, while this one ends before the last reference.")


class JobProgress(BaseModel):
    """A job's progress; `JobView` adds one page of results."""

    id: str
    status: JobStatus = Field(description="queued, running, done or failed.")
    total: int
    done: int = Field(description="Results decided so far, over the whole job.")
    counts: dict[str, int] = Field(description="Results so far, by verdict, over the whole job.")
    created: datetime
    error: str | None = Field(None, description="Why a failed job stopped.")
    offset: int = Field(description="Index of the first reference this page covers.")
    limit: int = Field(description="How many references this page covers.")
    links: PageLinks


class JobView(JobProgress):
    """A job's progress and the results decided so far for references `offset` to `offset + limit - 1`, in input
    order (fewer than `limit` while some of them are undecided)."""

    results: list[Result]


def _link(job_id: str) -> str:
    return f"{router.prefix}/{job_id}"


@router.post("", status_code=202, response_model=JobAccepted, openapi_extra=REQUEST_BODY)
async def create_job(
    body: Annotated[VerifyRequest, Depends(read_request)],
    jobs: Annotated[JobRunner, Depends(get_jobs)],
    response: Response,
) -> JobAccepted:
    """Verify a list in the background (same inputs as /v1/verify, up to 100,000 references); poll `links.self`."""
    if len(body.references) > MAX_JOB_REFERENCES:
        raise InputError(f"at most {MAX_JOB_REFERENCES} references per job", where="references")
    if body.options.sources is not None:
        # A resumed job must verify the way it started, and the job store keeps only the items.
        raise InputError("jobs consult every enabled source; options.sources is not supported", where="options")
    job_id = await jobs.submit(body.references)
    response.headers["Location"] = _link(job_id)
    return JobAccepted(
        id=job_id, status=JobStatus.QUEUED, total=len(body.references), links=JobLinks(self_=_link(job_id))
    )


@router.get("/{job_id}", response_model=JobView, responses={404: {"description": "No job has this id."}})
async def get_job(
    job_id: str,
    store: Annotated[JobStore, Depends(get_store)],
    offset: Annotated[int, Query(ge=0, description="First reference (by input index) of the page.")] = 0,
    limit: Annotated[int, Query(ge=0, le=MAX_PAGE, description="References the page covers; 0 for progress only.")] = (
        PAGE
    ),
) -> Response:
    """The job's status, progress and verdict counts, and the results decided so far for one page of references."""
    job = await store.get(job_id, offset=offset, limit=limit)
    if job is None:
        raise UnknownJob(job_id)
    end = offset + limit
    links = PageLinks(
        self_=f"{_link(job_id)}?offset={offset}&limit={limit}",
        next=f"{_link(job_id)}?offset={end}&limit={limit}" if limit > 0 and end < job.total else None,
    )
    progress = JobProgress(
        id=job.id,
        status=job.status,
        total=job.total,
        done=job.done,
        counts=job.counts,
        created=job.created,
        error=job.error,
        offset=offset,
        limit=limit,
        links=links,
    )
    # The results are served as the JSON they were stored as: each was a validated `Result` when it was stored,
    # and parsing, validating and serialising them again on every poll was the cost of polling a large job.
    head = progress.model_dump_json(by_alias=True)
    body = f'{head[:-1]},"results":[{",".join(r.text for r in job.results)}]}}'
    return Response(body.encode(), media_type="application/json")
