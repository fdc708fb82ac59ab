"""Semantic Scholar Academic Graph API (https://api.semanticscholar.org/api-docs/graph).

Limits (https://www.semanticscholar.org/product/api): keyless callers share one pool and meet 429 often; with an
`x-api-key` about one request per second. Answers carry no rate-limit headers and `Retry-After` is not promised.
Errors come in two shapes: the API's own `{"error": …}` (400, 404) and the gateway's `{"message": …}` (403, 429).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx

from app.errors import SourceUnavailable
from app.models import Name, Record, Reference
from app.settings import Settings
from app.sources.arxiv import arxiv_id
from app.sources.base import HttpSource, IdKind, Policy

FIELDS = "title,authors,year,venue,publicationVenue,externalIds,journal,publicationTypes"
_PREPRINT_VENUES = frozenset({"arxiv", "arxiv.org", "corr", "biorxiv", "medrxiv", "ssrn"})
# S2 publicationTypes -> CSL type; the first listed type found wins (a paper can be JournalArticle + Conference).
_TYPES = (
    ("Conference", "paper-conference"),
    ("Book", "book"),
    ("BookSection", "chapter"),
    ("Dataset", "dataset"),
    ("JournalArticle", "article-journal"),
    ("Review", "article-journal"),
)


class SemanticScholarSource(HttpSource):
    """Resolves DOIs, arXiv ids and PMIDs; searches by title through the single-best-match endpoint."""

    name = "semantic_scholar"
    url_setting = "semantic_scholar_url"
    identifiers = frozenset({IdKind.DOI, IdKind.ARXIV, IdKind.PMID})
    searchable = True
    search_reads = frozenset({"title"})
    # No concurrency limit is documented; a second request in flight lets the next leave on time while a slow
    # answer is still coming (the rate alone keeps to the limit).
    policy = Policy(rate=1.0, concurrency=2)

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        super().__init__(client, settings)
        key = settings.semantic_scholar_api_key
        self._headers = {"x-api-key": key} if key else {}

    async def resolve(self, kind: IdKind, value: str) -> Record | None:
        """The paper for `DOI:`, `ARXIV:` (version-less; S2 knows no versions) or `PMID:`; None on 404."""
        if kind is IdKind.ARXIV:
            ident = arxiv_id(value)
            if ident is None:
                return None
            paper_id = f"ARXIV:{ident}"
        elif kind is IdKind.DOI:
            doi = value.strip().lower()
            # arXiv DOIs (10.48550/arXiv.<id>, sometimes cited with a version) are the arXiv id's alias.
            ident = arxiv_id(doi) if doi.startswith("10.48550/") else None
            paper_id = f"ARXIV:{ident}" if ident else f"DOI:{doi}"
        elif kind is IdKind.PMID:
            paper_id = f"PMID:{value.strip()}"
        else:
            return await super().resolve(kind, value)
        # DOIs may hold "<", "#", "?", ";": escape all but the slashes the API expects.
        response = await self._get(
            f"/paper/{quote(paper_id, safe='/:')}",
            params={"fields": FIELDS},
            headers=self._headers,
            ok=(200, 400, 403, 404),
        )
        body = self._checked(response)
        return None if body is None else self._record(body)

    async def search(self, ref: Reference, *, limit: int = 5) -> list[Record]:
        """At most one record: S2's best title match (its `matchScore` as score); [] when nothing matches."""
        title = " ".join((ref.title or "").split())
        if not title:
            return []
        response = await self._get(
            "/paper/search/match",
            params={"query": title, "fields": FIELDS},
            headers=self._headers,
            ok=(200, 400, 403, 404),
        )
        if response.status_code == 400 and "required parameter: 'query'" in response.text:
            return []  # the title has no word S2 indexes (only stopwords): nothing to match
        body = self._checked(response)  # 404 "Title match not found" is the empty answer
        if body is None:
            return []
        data = body.get("data")
        if not isinstance(data, list):
            raise SourceUnavailable(self.name, "match answer without a data list")
        return [self._record(paper) for paper in data if isinstance(paper, dict)][:limit]

    def _checked(self, response: httpx.Response) -> dict[str, Any] | None:
        """The JSON object of a 200; None for a 404; the upstream's own message as a failure otherwise."""
        body = self._json(response)
        if not isinstance(body, dict):
            raise SourceUnavailable(self.name, f"HTTP {response.status_code}: answer is not a JSON object")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            message = body.get("error") or body.get("message") or "no message"
            raise SourceUnavailable(self.name, f"HTTP {response.status_code}: {message}")
        return body

    def _record(self, paper: dict[str, Any]) -> Record:
        ids = paper.get("externalIds") or {}
        journal = paper.get("journal") or {}
        venue_obj = paper.get("publicationVenue") or {}
        doi = _str(ids.get("DOI"))
        doi = doi.lower() if doi else None
        arxiv = _str(ids.get("ArXiv"))
        venue = _str(paper.get("venue")) or _str(venue_obj.get("name")) or _str(journal.get("name"))
        preprint = (
            (venue or "").lower() in _PREPRINT_VENUES
            or (_str(journal.get("name")) or "").lower() == "arxiv"
            or (doi or "").startswith("10.48550/")
            or (arxiv is not None and doi is None and venue is None)
        )
        types = paper.get("publicationTypes") or []
        csl_type = next((csl for s2, csl in _TYPES if s2 in types), None)
        volume = _str(journal.get("volume"))
        pages = _str(journal.get("pages"))
        pmcid = _str(ids.get("PubMedCentral"))
        year = paper.get("year")
        return Record(
            source=self.name,
            source_id=_str(paper.get("paperId")),
            type="article" if preprint else csl_type,
            title=" ".join((_str(paper.get("title")) or "").split()) or None,
            authors=tuple(
                Name.parse(name)
                for author in paper.get("authors") or []
                if isinstance(author, dict) and (name := _str(author.get("name")))
            ),
            year=year if isinstance(year, int) else None,
            venue=venue,
            # ArXiv "journals" carry the id as volume ("abs/2101.00001"), not a volume.
            volume=None if volume is None or volume.startswith("abs/") else volume,
            pages=re.sub(r"\s*[-–]\s*", "-", pages) if pages else None,
            doi=doi,
            arxiv=(arxiv_id(arxiv) or arxiv) if arxiv else None,
            pmid=_str(ids.get("PubMed")),
            pmcid=(pmcid if pmcid.upper().startswith("PMC") else f"PMC{pmcid}") if pmcid else None,
            preprint=preprint,
            score=_float(paper.get("matchScore")),
        )


def _str(value: Any) -> str | None:
    """A non-empty stripped string from a JSON value (ids sometimes come as numbers), else None."""
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _float(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
