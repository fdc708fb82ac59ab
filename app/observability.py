"""Metrics (Prometheus text format) and one structured log line per HTTP request.

`Metrics` holds its own `CollectorRegistry`, so every app (and every test) counts on its own instead of in the
process-wide default registry. `RequestObserver` is pure ASGI middleware (it also wraps streaming responses,
which `BaseHTTPMiddleware` would buffer): it takes the request id from `X-Request-ID` or makes one, echoes it,
times the request, counts it, and logs it as one JSON line on the `app.access` logger.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.cache import Cache
from app.models import Result

__all__ = ["CONTENT_TYPE", "Metrics", "RequestObserver", "configure_logging"]

access_log = logging.getLogger("app.access")

REQUEST_ID = "x-request-id"
# A client's id is echoed only when it is short and plain, so it cannot forge log lines or headers.
_SAFE_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Seconds: from a health probe to a long synchronous batch.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)


class Metrics:
    """The service's counters, in a registry owned by one app. `render()` is the `/metrics` body."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "refverify_http_requests", "HTTP requests answered.", ["method", "route", "status"], registry=r
        )
        self.latency = Histogram(
            "refverify_http_request_duration_seconds",
            "Time to answer an HTTP request, body included.",
            ["method", "route"],
            buckets=_LATENCY_BUCKETS,
            registry=r,
        )
        self.references = Counter("refverify_references_verified", "References decided.", registry=r)
        self.verdicts = Counter("refverify_verdicts", "References decided, by verdict.", ["verdict"], registry=r)
        self.upstream = Counter(
            "refverify_upstream_calls",
            "Upstream lookups made (cache hits excluded), by source and how the source last answered.",
            ["source", "status"],
            registry=r,
        )
        self.cache_hits = Counter(
            "refverify_cache_hits", "Upstream answers served from the cache.", ["source"], registry=r
        )
        self.jobs = Counter(
            "refverify_jobs", "Batch jobs, by event (created, resumed, done, failed).", ["event"], registry=r
        )
        self.jobs_running = Gauge("refverify_jobs_running", "Batch jobs being worked on by this process.", registry=r)

    def result(self, result: Result) -> None:
        """Count one decided reference: its verdict and the upstream lookups it made, per source."""
        self.references.inc()
        self.verdicts.labels(result.verdict.value).inc()
        for report in result.sources:
            if report.calls:
                self.upstream.labels(report.name, report.status.value).inc(report.calls)

    def cache_hit(self, source: str) -> None:
        """One upstream answer for `source` served from the cache instead of asking it (`Lookups`' `on_hit`)."""
        self.cache_hits.labels(source).inc()

    def watch_cache(self, cache: Cache) -> CacheCollector:
        """Export `cache.stats()` at each scrape; unregister the returned collector when the cache closes."""
        collector = CacheCollector(cache)
        self.registry.register(collector)
        return collector

    def job(self, event: str) -> None:
        self.jobs.labels(event).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class CacheCollector:
    """The cache's own hit, miss and error counts, read when scraped (the cache counts; we only expose)."""

    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    def collect(self) -> Iterator[Metric]:
        stats = self._cache.stats()
        family = CounterMetricFamily(
            "refverify_cache_operations", "Cache reads by outcome (hit, miss) and backend errors.", labels=["outcome"]
        )
        for outcome, count in (("hit", stats.hits), ("miss", stats.misses), ("error", stats.errors)):
            family.add_metric([outcome], count)
        yield family


class RequestObserver:
    """Pure ASGI middleware: request id, access log line, request count and latency for every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        status = 500  # what the client gets when the app raises before answering
        start = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID.encode()]
                message = {**message, "headers": [*headers, (REQUEST_ID.encode(), request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - start
            # The route template ("/v1/jobs/{job_id}"), set by the router on the scope: bounded label values.
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            method = str(scope["method"])
            self.metrics.requests.labels(method, route, str(status)).inc()
            self.metrics.latency.labels(method, route).observe(elapsed)
            line = {
                "method": method,
                "path": scope["path"],
                "status": status,
                "duration_ms": round(elapsed * 1000, 1),
                "request_id": request_id,
            }
            access_log.info(json.dumps(line), extra={"request": line})


def _request_id(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == REQUEST_ID.encode():
            text = bytes(value).decode("latin-1")
            if _SAFE_ID.fullmatch(text):
                return text
    return uuid.uuid4().hex


def configure_logging(level: int = logging.INFO) -> None:
    """For `refverify serve`: access lines as bare JSON on stderr, other `app` logs with level and logger name."""
    access = logging.StreamHandler(sys.stderr)
    access.setFormatter(logging.Formatter("%(message)s"))
    access_log.addHandler(access)
    access_log.propagate = False
    app_log = logging.getLogger("app")
    other = logging.StreamHandler(sys.stderr)
    other.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    app_log.addHandler(other)
    app_log.setLevel(level)
