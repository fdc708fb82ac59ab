"""What the app's lifespan sets up for the process while it runs, and gives back when it stops."""

from __future__ import annotations

import gc

import httpx

from app.main import GC_THRESHOLD, create_app
from app.settings import Settings

from .conftest import offline, serve


async def test_the_garbage_collector_runs_less_often_while_the_app_runs_and_as_before_after(
    settings: Settings,
) -> None:
    before = gc.get_threshold()
    async with serve(create_app(settings, transport=httpx.MockTransport(offline))):
        assert gc.get_threshold()[:2] == GC_THRESHOLD
    assert gc.get_threshold() == before
