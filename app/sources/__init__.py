"""The upstream adapters. Adding an upstream: one module here and one line in `ADAPTERS`."""

from __future__ import annotations

import httpx

from app.settings import Settings
from app.sources.arxiv import ArxivSource
from app.sources.base import HttpSource, IdKind, Source
from app.sources.crossref import CrossrefSource
from app.sources.datacite import DataCiteSource
from app.sources.dblp import DblpSource
from app.sources.doi import DoiSource
from app.sources.europepmc import EuropePmcSource
from app.sources.googlebooks import GoogleBooksSource
from app.sources.guardian import GuardianSource
from app.sources.nyt import NytSource
from app.sources.openalex import OpenAlexSource
from app.sources.openlibrary import OpenLibrarySource
from app.sources.pubmed import PubMedSource
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
    WaybackSource,
    WebPageSource,
)


def build_sources(client: httpx.AsyncClient, settings: Settings) -> dict[str, Source]:
    """One adapter per enabled upstream, all sharing the one HTTP client."""
    return {
        cls.name: cls(client, settings)
        for cls in ADAPTERS
        if settings.source_enabled(cls.name) and cls.configured(settings)
    }


__all__ = ["ADAPTERS", "IdKind", "Source", "build_sources"]
