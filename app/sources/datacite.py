"""DataCite REST API (api.datacite.org): DOIs of datasets, software, and arXiv preprints (10.48550/arxiv.*).

Answers are JSON:API documents (`data.attributes`). Identified clients (a contact in the User-Agent) get about
1,000 requests per 5 minutes: we keep to 3 requests/s, 3 in flight.
https://support.datacite.org/docs/rate-limit
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
    join_subtitle,
    objects,
    page_range,
    text_of,
)

# resourceTypeGeneral (DataCite Metadata Schema 4.5) -> CSL type; others fall back to `types.citeproc`.
_CSL_TYPES = {
    "JournalArticle": "article-journal",
    "ConferencePaper": "paper-conference",
    "ConferenceProceeding": "book",
    "Preprint": "article",
    "Book": "book",
    "BookChapter": "chapter",
    "Dissertation": "thesis",
    "Report": "report",
    "Dataset": "dataset",
    "Software": "software",
}
# Elasticsearch query_string syntax characters: a title is words, not a query.
_QUERY_SYNTAX = re.compile(r'[+\-=&|><!(){}\[\]^"~*?:\\/]')


class DataCiteSource(HttpSource):
    """DataCite DOIs: resolves them and searches by title."""

    name = "datacite"
    url_setting = "datacite_url"
    identifiers = frozenset({IdKind.DOI})
    searchable = True
    search_reads = frozenset({"title"})
    policy = Policy(rate=3.0, concurrency=3)

    async def resolve(self, kind: IdKind, value: str) -> Record | None:
        """The DataCite record of the DOI; None when DataCite does not hold it (404)."""
        if kind is not IdKind.DOI:
            return await super().resolve(kind, value)
        doi = bare_doi(value)
        if not doi:
            return None
        response = await self._get(f"/dois/{doi_path(doi)}", headers=self._headers(), ok=(200, 404))
        if response.status_code == 404:
            return None
        data = self._document(response).get("data")
        if not isinstance(data, dict):
            raise SourceUnavailable(self.name, "answer has no data")
        return _record(data, self.name)

    async def search(self, ref: Reference, *, limit: int = 5) -> list[Record]:
        """DataCite records whose metadata match the reference's title; [] when none (or no title)."""
        query = " ".join(_QUERY_SYNTAX.sub(" ", ref.title or "").split())
        if not query:
            return []
        params = {"query": query, "page[size]": limit}
        data = self._document(await self._get("/dois", params=params, headers=self._headers())).get("data")
        return [_record(item, self.name) for item in data or [] if isinstance(item, dict)]

    def _document(self, response: httpx.Response) -> dict[str, Any]:
        document = self._json(response)
        if not isinstance(document, dict):
            raise SourceUnavailable(self.name, "answer is not a JSON:API document")
        return document

    def _headers(self) -> dict[str, str]:
        return {"User-Agent": self._settings.user_agent}


def _record(resource: Mapping[str, Any], source: str) -> Record:
    attrs = as_object(resource.get("attributes"))
    doi = bare_doi(attrs.get("doi") or resource.get("id"))
    types = as_object(attrs.get("types"))
    kind = _CSL_TYPES.get(str(types.get("resourceTypeGeneral"))) or clean_text(types.get("citeproc"))
    container = as_object(attrs.get("container"))
    return Record(
        source=source,
        source_id=doi,
        type=kind,
        title=_title(attrs.get("titles")),
        authors=tuple(n for n in map(_name, objects(attrs.get("creators"))) if n),
        year=_year(attrs.get("publicationYear")),
        venue=clean_text(container.get("title")),
        volume=text_of(container.get("volume")),
        issue=text_of(container.get("issue")),
        pages=page_range(container.get("firstPage"), container.get("lastPage")),
        publisher=_publisher(attrs.get("publisher")),
        doi=doi,
        arxiv=arxiv_from_doi(doi) or _arxiv_identifier(attrs),
        url=clean_text(attrs.get("url")),
        preprint=kind == "article",  # CSL "article" is the preprint type
    )


def _title(titles: Any) -> str | None:
    # Main title: the entry without titleType; Subtitle / AlternativeTitle / TranslatedTitle are others.
    entries = objects(titles)
    main = next((t for t in entries if not t.get("titleType")), entries[0] if entries else {})
    subtitle = next((t for t in entries if t.get("titleType") == "Subtitle"), {})
    return join_subtitle(clean_text(main.get("title")), clean_text(subtitle.get("title")))


def _name(creator: Mapping[str, Any]) -> Name | None:
    full = clean_text(creator.get("name"))
    if creator.get("nameType") == "Organizational":
        return Name(family=full) if full else None
    family = clean_text(creator.get("familyName"))
    if family:
        return Name(family=family, given=clean_text(creator.get("givenName")) or "")
    return Name.parse(full) if full else None  # "Family, Given"


def _year(value: Any) -> int | None:
    # An int in 2026 answers; older answers give a string.
    text = text_of(value)
    return int(text[:4]) if text and text[:4].isdigit() else None


def _publisher(value: Any) -> str | None:
    # A string, or {"name": ...} when asked for `publisher=true` (schema 4.5).
    return clean_text(value.get("name")) if isinstance(value, Mapping) else clean_text(value)


def _arxiv_identifier(attrs: Mapping[str, Any]) -> str | None:
    for entry in objects(attrs.get("identifiers")):
        if entry.get("identifierType") == "arXiv":
            return clean_text(entry.get("identifier"))
    for entry in objects(attrs.get("alternateIdentifiers")):
        if entry.get("alternateIdentifierType") == "arXiv":
            return clean_text(entry.get("alternateIdentifier"))
    return None
