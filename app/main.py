"""The application factory. Nothing runs at import: `create_app()` builds an app whose lifespan owns every
resource (the one HTTP client, the sources, the verifier, the job store and its running jobs, the garbage
collector's pace) and hands them to routes as typed state."""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TypedDict

import httpx
from fastapi import FastAPI

from app.api import jobs, problems, routes
from app.batch import Backlog, JobRunner
from app.cache import Cache, StoreUnavailable, open_cache
from app.jobs import JobStore, open_job_store
from app.lookups import Lookups
from app.observability import Metrics, RequestObserver
from app.settings import Settings
from app.sources import Connections, Limits, backlog, build_sources, http_client
from app.sources.base import Source
from app.verifier import Verifier

log = logging.getLogger(__name__)

# Objects allocated (net) before a young-generation collection, and young collections before a middle one. Each
# reference allocates thousands of short-lived objects (parsed answers, records, comparisons) and almost all die
# by reference counting; at Python's default (700, 10) the collector ran about once a reference and its older
# generations rescanned the long-lived caches: a tenth of the service's CPU (README, "Speed").
GC_THRESHOLD = (50_000, 20)


@contextmanager
def collector_threshold(threshold: tuple[int, int]) -> Iterator[None]:
    """The cyclic garbage collector at `threshold` while the app runs; as it was, after."""
    before = gc.get_threshold()
    gc.set_threshold(*threshold, before[2])
    try:
        yield
    finally:
        gc.set_threshold(*before)


class State(TypedDict):
    settings: Settings
    sources: dict[str, Source]
    verifier: Verifier
    store: JobStore
    jobs: JobRunner
    backlog: Backlog
    metrics: Metrics


def create_app(settings: Settings | None = None, *, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """Build the service. `transport` replaces the network (tests pass a respx or MockTransport)."""
    settings = settings or Settings()
    metrics = Metrics()  # one registry per app, so apps (and tests) never count into each other

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[State]:
        with collector_threshold(GC_THRESHOLD):
            async with http_client(settings, transport) as client:
                # Upstream limits: in Redis when the replicas share one (cache_url), else this process's own.
                upstream_limits = Limits.from_settings(settings)
                # Upstreams that count requests in flight get connections of their own (HttpSource.connections).
                own = Connections(settings, transport)
                sources = build_sources(client, settings, upstream_limits, connections=own)
                # The cache and the job store share `cache_url` (one SQLite file or one Redis); neither connects yet.
                cache = open_cache(settings.cache_url)
                verifier = Verifier(sources, settings, lookups=Lookups(cache, settings, on_hit=metrics.cache_hit))
                store = open_job_store(settings.cache_url)
                # Requests and jobs start a reference only while the busiest upstream's queue is short (`Backlog`).
                admission = Backlog(backlog(sources), settings.backlog)
                runner = JobRunner(
                    store,
                    verifier,
                    concurrency=settings.job_concurrency,
                    backlog=admission,
                    on_result=metrics.result,
                    on_event=metrics.job,
                )
                metrics.jobs_running.set_function(lambda: len(runner.running))
                cache_metrics = metrics.watch_cache(cache)
                # What the first lookup would wait for in a shared store (subscriptions, scripts), opened meanwhile.
                preparing = asyncio.create_task(_prepare(cache, upstream_limits))
                try:
                    await _resume(runner)
                    yield State(
                        settings=settings,
                        sources=sources,
                        verifier=verifier,
                        store=store,
                        jobs=runner,
                        backlog=admission,
                        metrics=metrics,
                    )
                finally:
                    # Cancelled jobs stay unfinished in the store: the next start resumes them.
                    preparing.cancel()
                    await runner.close()
                    await store.close()
                    await cache.close()
                    await upstream_limits.close()
                    await own.aclose()
                    metrics.registry.unregister(cache_metrics)

    app = FastAPI(
        title="refverify",
        version="0.1.0",
        summary="Checks that cited publications exist and are cited correctly.",
        lifespan=lifespan,
    )
    app.include_router(routes.router)
    app.include_router(jobs.router)
    problems.install(app)
    app.add_middleware(RequestObserver, metrics=metrics)
    return app


async def _prepare(cache: Cache, limits: Limits) -> None:
    await cache.prepare()
    await limits.prepare()


async def _resume(runner: JobRunner) -> None:
    """Restart the jobs a previous process left unfinished. A store that is down does not stop the service:
    `/readyz` reports it, and the jobs resume on the next start."""
    try:
        resumed = await runner.resume()
    except StoreUnavailable as exc:
        log.warning("could not resume unfinished jobs: %s", exc)
        return
    if resumed:
        log.info("resumed %d unfinished jobs", len(resumed))
