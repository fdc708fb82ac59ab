"""HTTP routes for batch jobs: submit a list, answered at once with 202; poll it for progress and results."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from app.batch import MAX_JOB_REFERENCES, JobRunner
from app.errors import InputError
from app.jobs import JobStatus, JobStore, UnknownJob
from app.models import Result

from .inputs import REQUEST_BODY, VerifyRequest, get_jobs, get_store, read_request

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


class JobLinks(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    self_: str = Field(alias="self", description="Where to poll the job.")


class JobAccepted(BaseModel):
    id: str
    status: JobStatus
    total: int
    links: JobLinks


class JobView(BaseModel):
    """A job's progress and the results decided so far, in input order."""

    id: str
    status: JobStatus = Field(description="queued, running, done or failed.")
    total: int
    done: int
    counts: dict[str, int] = Field(description="Results so far, by verdict.")
    results: list[Result]
    created: datetime
    error: str | None = Field(None, description="Why a failed job stopped.")


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
async def get_job(job_id: str, store: Annotated[JobStore, Depends(get_store)]) -> JobView:
    """The job's status, progress, verdict counts and every result decided so far."""
    job = await store.get(job_id)
    if job is None:
        raise UnknownJob(job_id)
    results = [Result.model_validate(r.result) for r in job.results]
    return JobView(
        id=job.id,
        status=job.status,
        total=job.total,
        done=job.done,
        counts=job.counts,
        results=results,
        created=job.created,
        error=job.error,
    )
