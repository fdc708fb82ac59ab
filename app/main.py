"""The application factory. Nothing runs at import: `create_app()` builds an app whose lifespan owns every
resource (the one HTTP client, the sources, the verifier) and hands them to routes as typed state."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypedDict

import httpx
from fastapi import FastAPI

from app.api import problems
from app.api.routes import router
from app.settings import Settings
from app.sources import build_sources
from app.sources.base import Source
from app.verifier import Verifier


class State(TypedDict):
    settings: Settings
    sources: dict[str, Source]
    verifier: Verifier


def create_app(settings: Settings | None = None, *, transport: httpx.AsyncBaseTransport | None = None) -> FastAPI:
    """Build the service. `transport` replaces the network (tests pass a respx or MockTransport)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[State]:
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20)
        async with httpx.AsyncClient(
            transport=transport, headers={"User-Agent": settings.user_agent}, limits=limits
        ) as client:
            sources = build_sources(client, settings)
            yield State(settings=settings, sources=sources, verifier=Verifier(sources, settings))

    app = FastAPI(
        title="refverify",
        version="0.1.0",
        summary="Checks that cited publications exist and are cited correctly.",
        lifespan=lifespan,
    )
    app.include_router(router)
    problems.install(app)
    return app
