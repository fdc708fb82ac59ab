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
from app.sources.openalex import OpenAlexSource
from app.sources.pubmed import PubMedSource
from app.sources.semantic_scholar import SemanticScholarSource

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
)


def build_sources(client: httpx.AsyncClient, settings: Settings) -> dict[str, Source]:
    """One adapter per enabled upstream, all sharing the one HTTP client."""
    return {cls.name: cls(client, settings) for cls in ADAPTERS if settings.source_enabled(cls.name)}


__all__ = ["ADAPTERS", "IdKind", "Source", "build_sources"]
