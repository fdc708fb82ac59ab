"""OpenAlex (api.openalex.org): works by DOI or PMID, and title search.

An API key is required since 2026-02-13 (`api_key=`) and spending is metered per day; `mailto` still
identifies us. The hard cap is 100 requests/s; we keep to 10/s, 5 in flight.
https://developers.openalex.org/how-to-use-the-api/rate-limits-and-authentication
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from app.errors import SourceUnavailable
from app.models import Name, Record, Reference
from app.sources.base import HttpSource, IdKind, Policy
from app.sources.doi import (
    arxiv_from_doi,
    as_object,
    bare_doi,
    clean_text,
    doi_path,
    objects,
    page_range,
    text_of,
)

# OpenAlex work types (https://developers.openalex.org/api-entities/works/work-object#type) -> CSL types.
_CSL_TYPES = {
    "article": "article-journal",
    "review": "article-journal",
    "letter": "article-journal",
    "editorial": "article-journal",
    "erratum": "article-journal",
    "conference-paper": "paper-conference",
    "proceedings-article": "paper-conference",
    "preprint": "article",
    "posted-content": "article",
    "book": "book",
    "book-chapter": "chapter",
    "dissertation": "thesis",
    "dataset": "dataset",
    "report": "report",
}
# Root fields a singleton needs (`select` works on /works/{id}). Searches are not trimmed: whether
# `relevance_score` can be selected is not documented, and an unknown field is a 400.
_SELECT = "id,doi,title,display_name,publication_year,ids,primary_location,locations,type,authorships,biblio"
# search= honours AND/OR/NOT (upper case), quotes and parentheses: a title must not speak that syntax.
_OPERATORS = frozenset({"AND", "OR", "NOT"})
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/(.+?)(?:\.pdf)?/?$", re.IGNORECASE)


class OpenAlexSource(HttpSource):
    """OpenAlex works: resolves DOIs and PMIDs; searches by title alone, so a wrong cited year still finds."""

    name = "openalex"
    url_setting = "openalex_url"
    identifiers = frozenset({IdKind.DOI, IdKind.PMID})
    searchable = True
    search_reads = frozenset({"title"})
    policy = Policy(rate=10.0, concurrency=5)

    async def resolve(self, kind: IdKind, value: str) -> Record | None:
        """The OpenAlex work with this DOI or PMID; None when OpenAlex has none (404)."""
        if kind is IdKind.DOI:
            doi = bare_doi(value)
            key = f"doi:{doi_path(doi)}" if doi else None
        elif kind is IdKind.PMID:
            digits = "".join(c for c in value if c.isdigit())
            key = f"pmid:{digits}" if digits else None
        else:
            return await super().resolve(kind, value)
        if not key:
            return None
        params = {**self._identity(), "select": _SELECT}
        response = await self._get(f"/works/{key}", params=params, ok=(200, 404))
        if response.status_code == 404:
            return None
        return _record(self._object(response), self.name)

    async def search(self, ref: Reference, *, limit: int = 5) -> list[Record]:
        """OpenAlex works matching every word of the reference's title, best first; [] when none."""
        words = [w.lower() if w in _OPERATORS else w for w in re.sub(r"[^\w\s]", " ", ref.title or "").split()]
        if not words:
            return []
        params = {**self._identity(), "search": " ".join(words), "per_page": max(1, min(limit, 200))}
        results = self._object(await self._get("/works", params=params)).get("results")
        return [_record(work, self.name) for work in objects(results)]

    def _identity(self) -> dict[str, str]:
        params = {"mailto": self._settings.mailto}
        if self._settings.openalex_api_key:
            params["api_key"] = self._settings.openalex_api_key
        return params

    def _object(self, response: httpx.Response) -> dict[str, Any]:
        data = self._json(response)
        if not isinstance(data, dict):
            raise SourceUnavailable(self.name, "answer is not a JSON object")
        return data


def _record(work: Mapping[str, Any], source: str) -> Record:
    kind = work.get("type")
    csl = _CSL_TYPES.get(kind, kind) if isinstance(kind, str) and kind else None
    ids = as_object(work.get("ids"))
    primary = as_object(work.get("primary_location"))
    locations = [primary, *objects(work.get("locations"))]
    biblio = as_object(work.get("biblio"))
    doi = bare_doi(work.get("doi") or ids.get("doi"))
    return Record(
        source=source,
        source_id=_tail(work.get("id")),
        type=csl,
        title=clean_text(work.get("title")) or clean_text(work.get("display_name")),
        authors=tuple(n for n in map(_author, objects(work.get("authorships"))) if n),
        year=work.get("publication_year") if isinstance(work.get("publication_year"), int) else None,
        venue=_venue(primary, locations),
        volume=text_of(biblio.get("volume")),
        issue=text_of(biblio.get("issue")),
        pages=page_range(biblio.get("first_page"), biblio.get("last_page")),
        publisher=clean_text(_source(primary).get("host_organization_name")),
        doi=doi,
        arxiv=_arxiv(locations) or arxiv_from_doi(doi),
        pmid=_tail(ids.get("pmid")),
        pmcid=_pmcid(ids.get("pmcid")),
        url=clean_text(primary.get("landing_page_url")),
        preprint=csl == "article",
        score=float(work["relevance_score"]) if isinstance(work.get("relevance_score"), int | float) else None,
    )


def _tail(value: Any) -> str | None:
    # ids are URLs: https://openalex.org/W2741809807, https://pubmed.ncbi.nlm.nih.gov/17183658
    text = clean_text(value)
    return text.rstrip("/").rsplit("/", 1)[-1] if text else None


def _pmcid(value: Any) -> str | None:
    # https://www.ncbi.nlm.nih.gov/pmc/articles/PMC4133452 or, in some records, without the "PMC".
    tail = _tail(value)
    return f"PMC{tail}" if tail and tail.isdigit() else tail


def _author(authorship: Mapping[str, Any]) -> Name | None:
    # OpenAlex gives one display name, never family/given.
    author = as_object(authorship.get("author"))
    name = clean_text(author.get("display_name")) or clean_text(authorship.get("raw_author_name"))
    return Name.parse(name) if name else None


def _source(location: Mapping[str, Any]) -> Mapping[str, Any]:
    return as_object(location.get("source"))


def _venue(primary: Mapping[str, Any], locations: list[Mapping[str, Any]]) -> str | None:
    # `source` is often null for proceedings papers and datasets: fall back to the publisher's raw name for
    # the primary location, then to any other location's source.
    return (
        clean_text(_source(primary).get("display_name"))
        or clean_text(primary.get("raw_source_name"))
        or next((n for n in (clean_text(_source(loc).get("display_name")) for loc in locations) if n), None)
    )


def _arxiv(locations: list[Mapping[str, Any]]) -> str | None:
    for location in locations:
        for key in ("landing_page_url", "pdf_url"):
            match = _ARXIV_URL.search(clean_text(location.get(key)) or "")
            if match:
                return match.group(1)
    return None
