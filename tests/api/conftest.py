"""API test plumbing: a job store in tmp_path, and the app served in the test's own event loop.

`serve` runs the app's lifespan here and hands its state to each request the way a server does, so background
jobs run on the same loop as the test, which can wait for them without sleeping.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Receive, Scope, Send

from app.batch import JobRunner
from app.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The shared test settings, with the job store in a fresh file instead of ./data."""
    return Settings(
        throttle=False,
        retries=1,
        mailto="test@example.org",
        cache_url=f"sqlite:///{tmp_path / 'refverify.sqlite'}",
        _env_file=None,
    )


def offline(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("network unreachable", request=request)


class Served:
    """A running app: an HTTP client on it and the lifespan's state (the job runner, the metrics...)."""

    def __init__(self, client: httpx.AsyncClient, state: dict[str, Any]) -> None:
        self.client = client
        self.state = state

    @property
    def jobs(self) -> JobRunner:
        runner: JobRunner = self.state["jobs"]
        return runner


@asynccontextmanager
async def serve(app: FastAPI) -> AsyncIterator[Served]:
    async with app.router.lifespan_context(app) as state:
        assert state is not None

        async def with_state(scope: Scope, receive: Receive, send: Send) -> None:
            await app({**scope, "state": dict(state)}, receive, send)

        transport = httpx.ASGITransport(app=with_state)
        async with httpx.AsyncClient(transport=transport, base_url="http://refverify.test") as client:
            yield Served(client, dict(state))
