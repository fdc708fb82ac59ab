"""The upstream adapters. Adding an upstream: one module here and one line in `ADAPTERS`."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import httpx

from app.settings import Settings
from app.sources.arxiv import ArxivSource
from app.sources.base import HttpSource, IdKind, Source, Throttle
from app.sources.crossref import CrossrefSource
from app.sources.datacite import DataCiteSource
from app.sources.dblp import DblpSource
from app.sources.doi import DoiSource
from app.sources.europepmc import EuropePmcSource
from app.sources.googlebooks import GoogleBooksSource
from app.sources.guardian import GuardianSource
from app.sources.http import http_client
from app.sources.limits import Limits
from app.sources.nyt import NytSource
from app.sources.openalex import OpenAlexSource
from app.sources.openlibrary import OpenLibrarySource
from app.sources.pubmed import PubMedSource
from app.sources.searxng import SearxngSource
from app.sources.semantic_scholar import SemanticScholarSource
from app.sources.wayback import WaybackSource
from app.sources.web import WebPageSource
from app.sources.wikipedia import WikipediaSource

ADAPTERS: tuple[type[HttpSource], ...] = (
    CrossrefSource,
    DoiSource,
    DataCiteSource,
    OpenAlexSource,
    SemanticScholarSource,
    ArxivSource,
    DblpSource,
    PubMedSource,
    EuropePmcSource,
    OpenLibrarySource,
    GoogleBooksSource,
    GuardianSource,
    NytSource,
    WikipediaSource,
    SearxngSource,
    WaybackSource,
    WebPageSource,
)


class Connections:
    """HTTP clients with a pool of their own, for upstreams that count the requests in flight
    (`HttpSource.connections`); built like the shared client (`http_client`); closed together."""

    def __init__(self, settings: Settings, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._settings = settings
        self._transport = transport
        self._clients: list[httpx.AsyncClient] = []

    def __call__(self, size: int) -> httpx.AsyncClient:
        client = http_client(self._settings, self._transport, connections=size)
        self._clients.append(client)
        return client

    async def aclose(self) -> None:
        for client in self._clients:
            await client.aclose()


def build_sources(
    client: httpx.AsyncClient,
    settings: Settings,
    limits: Limits | None = None,
    *,
    connections: Connections | None = None,
) -> dict[str, Source]:
    """One adapter per enabled upstream, sharing the one HTTP client (or, with `connections`, a client of its own
    for an upstream that counts requests in flight), their throttles running on `limits` (shared by replicas when
    it has `SharedLimits`; by default this process's own, on the real clock)."""
    limits = limits or Limits()
    sources: dict[str, Source] = {}
    for cls in ADAPTERS:
        if settings.source_enabled(cls.name) and cls.configured(settings):
            size = cls.connections if settings.throttle else None  # unthrottled, nothing to keep under a count
            own = connections(size) if connections is not None and size is not None else client
            source = cls(own, settings)
            bind_throttles(source, limits)
            sources[cls.name] = source
    return sources


def throttles(source: Source) -> dict[str, Throttle]:
    """The adapter's throttles by attribute: `_throttle`, its main schedule, and any other (Crossref's
    `_singletons`, Wayback's `_availability`)."""
    found = vars(source).items() if isinstance(source, HttpSource) else ()
    return {attribute: value for attribute, value in found if isinstance(value, Throttle)}


def bind_throttles(source: HttpSource, limits: Limits) -> None:
    """Put each of the adapter's throttles on `limits`. The main one (`_throttle`) is the source's schedule; any
    other is a second schedule named by its attribute, so every replica names it alike."""
    for attribute, throttle in throttles(source).items():
        throttle.bind(limits, source.name, None if attribute == "_throttle" else attribute.strip("_"))


def backlog(sources: Mapping[str, Source]) -> Callable[[], float]:
    """Seconds, about, that a request would now wait at the busiest throttle of these sources."""
    busiest = [t for s in sources.values() for t in throttles(s).values()]
    return lambda: max((t.backlog for t in busiest), default=0.0)


__all__ = [
    "ADAPTERS",
    "Connections",
    "IdKind",
    "Limits",
    "Source",
    "backlog",
    "bind_throttles",
    "build_sources",
    "http_client",
]
