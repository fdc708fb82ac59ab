"""Crossref REST API (api.crossref.org): DOI lookup and bibliographic search.

Polite pool (requests identified by `mailto`), limits since December 2025 as announced by Crossref and shown
in the `x-api-pool` / `x-rate-limit-*` / `x-concurrency-limit` headers: `/works/{doi}` ("polite-single")
10 requests/s, lists and searches ("polite-array") 3 requests/s, and 3 requests in flight for both together.
https://www.crossref.org/documentation/retrieve-metadata/rest-api/tips-for-using-the-crossref-rest-api/
"""

from __future__ import annotations

from typing import Any, ClassVar

import httpx

from app.errors import SourceUnavailable
from app.models import Record, Reference
from app.settings import Settings
from app.sources.base import HttpSource, IdKind, Policy, Throttle
from app.sources.doi import bare_doi, doi_path, record_from_csl

# Root fields a search needs (valid `select` values; `institution` is not one, so preprint servers found
# by search carry no venue).
_SELECT = (
    "DOI,title,subtitle,author,issued,published-print,published-online,published,posted,"
    "container-title,volume,issue,page,publisher,type,ISBN,URL,score"
)


class CrossrefSource(HttpSource):
    """Crossref works: resolves DOIs registered with Crossref and searches by the full citation text."""

    name = "crossref"
    url_setting = "crossref_url"
    identifiers = frozenset({IdKind.DOI})
    searchable = True
    policy = Policy(rate=3.0, concurrency=3)  # lists and searches
    singleton_policy: ClassVar[Policy] = Policy(rate=10.0, concurrency=3)  # /works/{doi}
    connections = 3  # Crossref counts requests in flight (x-concurrency-limit): both pools together

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        super().__init__(client, settings)
        # One count of requests in flight for both pools (in Redis too: a source's throttles share its slots).
        self._singletons = Throttle(
            self.singleton_policy, enabled=settings.throttle, pool=self._throttle.pool, counted=True, yields=True
        )

    async def resolve(self, kind: IdKind, value: str) -> Record | None:
        """The Crossref record of the DOI; None when Crossref has no such DOI (404)."""
        if kind is not IdKind.DOI:
            return await super().resolve(kind, value)
        doi = bare_doi(value)
        if not doi:
            return None
        # A 404 body is text/plain "Resource not found." even when labelled JSON: never parse it.
        response = await self._get(
            f"/works/{doi_path(doi)}",
            params=self._polite(),
            headers=self._headers(),
            ok=(200, 404),
            throttle=self._singletons,
        )
        if response.status_code == 404:
            return None
        return record_from_csl(self._message(response), self.name)

    async def search(self, ref: Reference, *, limit: int = 5) -> list[Record]:
        """Crossref's best matches for the reference, with Crossref's relevance score; [] when none."""
        query = _query(ref)
        if not query:
            return []
        params = {**self._polite(), "query.bibliographic": query, "rows": limit, "select": _SELECT}
        response = await self._get("/works", params=params, headers=self._headers())
        items = self._message(response).get("items") or []
        return [_scored(item, self.name) for item in items if isinstance(item, dict)]

    def _message(self, response: httpx.Response) -> dict[str, Any]:
        """The `message` of Crossref's `{"status": "ok", "message": {...}}` envelope."""
        data = self._json(response)
        message = data.get("message") if isinstance(data, dict) else None
        if not isinstance(message, dict):
            raise SourceUnavailable(self.name, "answer has no message")
        return message

    def _polite(self) -> dict[str, str]:
        return {"mailto": self._settings.mailto}

    def _headers(self) -> dict[str, str]:
        return {"User-Agent": self._settings.user_agent}


def _query(ref: Reference) -> str:
    # query.bibliographic is Crossref's citation matcher: the whole citation string is what it is built for.
    if ref.raw and ref.raw.strip():
        return " ".join(ref.raw.split())
    parts = [ref.title, *(a.family for a in ref.authors), ref.venue, str(ref.year) if ref.year else None]
    return " ".join(" ".join(p.split()) for p in parts if p and p.strip())


def _scored(item: dict[str, Any], source: str) -> Record:
    score = item.get("score")
    return record_from_csl(item, source, score=float(score) if isinstance(score, int | float) else None)
