"""Shared test plumbing: explicit settings, an injected transport (respx), no real sleeping, no network."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
import stamina

from app.settings import Settings

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _retries_without_waiting() -> Iterator[None]:
    """Retries keep their attempt count (cap) but never sleep."""
    with stamina.set_testing(True, attempts=3, cap=True):
        yield


@pytest.fixture
def settings() -> Settings:
    return Settings(throttle=False, retries=1, mailto="test@example.org", _env_file=None)


@pytest.fixture
def router() -> Iterator[respx.Router]:
    """A respx router that fails the test on any request it has no route for."""
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as mock:
        yield mock


@pytest.fixture
async def client(router: respx.Router) -> AsyncIterator[httpx.AsyncClient]:
    """The one shared AsyncClient, its transport handed to respx instead of the network."""
    async with httpx.AsyncClient(transport=httpx.MockTransport(router.async_handler)) as c:
        yield c


def load(relative: str) -> Any:
    """A hand-made fixture under tests/data/ (JSON parsed, anything else as text)."""
    path = DATA / relative
    text = path.read_text(encoding="utf-8")
    return json.loads(text) if path.suffix == ".json" else text
