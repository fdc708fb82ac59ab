"""Google Books (www.googleapis.com/books/v1): volumes by ISBN and by title and author.

https://developers.google.com/books/docs/v1/using: `q=` takes field keywords (`isbn:`, `intitle:`, `inauthor:`);
`key=` identifies the project. Without a key, requests share one anonymous pool that is exhausted almost
constantly; with one the quota is 1,000 requests/day. We still ask without a key and report the failure as such.

Quota errors are not transient and are not retried here (a retry spends quota): 429 `RESOURCE_EXHAUSTED`, and
the same quota reasons arriving as 400 or 403 (a documented quirk of keyed quotas). One request per second.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from app.errors import SourceRateLimited, SourceUnavailable
from app.models import Name, Record, Reference
from app.sources.base import HttpSource, IdKind, Policy, retry_after
from app.sources.doi import as_object, clean_text, join_subtitle, objects
from app.sources.openlibrary import isbn13, isbn_digits

# Partial response (https://developers.google.com/books/docs/v1/performance#partial-response): what a Record needs.
_FIELDS = (
    "totalItems,items(id,volumeInfo(title,subtitle,authors,publisher,publishedDate,"
    "industryIdentifiers,canonicalVolumeLink,infoLink))"
)
_QUOTA_REASONS = frozenset(
    {"ratelimitexceeded", "dailylimitexceeded", "quotaexceeded", "userratelimitexceeded", "resource_exhausted"}
)
_WORD = re.compile(r"[^\W_]+")
# Left out of intitle: terms: a title the index stores without them would not match.
_STOPWORDS = frozenset({"a", "an", "and", "at", "by", "for", "from", "in", "of", "on", "or", "the", "to", "with"})
_MAX_TERMS = 10


class GoogleBooksSource(HttpSource):
    """Resolves ISBNs to volumes; searches volumes by title words and the first author's family name."""

    name = "google_books"
    url_setting = "google_books_url"
    identifiers = frozenset({IdKind.ISBN})
    searchable = True
    policy = Policy(rate=1.0, concurrency=1)

    async def resolve(self, kind: IdKind, value: str) -> Record | None:
        """The volume carrying this ISBN (else Google's first hit); None when there is none."""
        if kind is not IdKind.ISBN:
            return await super().resolve(kind, value)
        isbn = isbn_digits(value)
        if isbn is None:
            return None
        items = await self._volumes(f"isbn:{isbn}", limit=5)
        if not items:
            return None
        carrying = next((v for v in items if isbn13(isbn) in {isbn13(i) for i in _isbns(v)}), None)
        if carrying is not None:
            return self._record(carrying, isbn)
        return self._record(items[0], None)

    async def search(self, ref: Reference, *, limit: int = 5) -> list[Record]:
        """Volumes whose titles hold the cited title's words (and by the first cited author); [] when none."""
        words = list(dict.fromkeys(_WORD.findall((ref.title or "").lower())))
        words = ([w for w in words if w not in _STOPWORDS] or words)[:_MAX_TERMS]
        if not words:
            return []
        # A field keyword applies to the one term after it: one intitle: per word ANDs them all.
        terms = [f"intitle:{w}" for w in words]
        if ref.authors and (family := "".join(_WORD.findall(ref.authors[0].family))):
            terms.append(f"inauthor:{family}")
        items = await self._volumes(" ".join(terms), limit=limit)
        return [self._record(v, None) for v in items][:limit]

    async def _volumes(self, query: str, *, limit: int) -> list[Mapping[str, Any]]:
        params: dict[str, Any] = {"q": query, "maxResults": max(1, min(limit, 40)), "printType": "books"}
        params["fields"] = _FIELDS
        if self._settings.google_books_api_key:
            params["key"] = self._settings.google_books_api_key
        response = await self._get("/volumes", params=params, ok=(200, 400, 401, 403, 429))
        if response.status_code == 429 and not response.content.lstrip().startswith(b"{"):
            raise self._failure(response, {})  # a 429 is a rate limit whatever its body
        body = self._json(response)
        if not isinstance(body, dict):
            raise SourceUnavailable(self.name, f"HTTP {response.status_code}: answer is not a JSON object")
        if response.status_code != 200 or "error" in body:
            raise self._failure(response, as_object(body.get("error")))
        if not isinstance(body.get("totalItems"), int):
            raise SourceUnavailable(self.name, "answer is not a volume list")
        return objects(body.get("items"))  # no `items` key at all when totalItems is 0

    def _failure(self, response: httpx.Response, error: Mapping[str, Any]) -> Exception:
        """The error for a Google API error envelope: quota reasons are rate limits, anything else a failure."""
        reasons = [clean_text(e.get("reason")) or "" for e in objects(error.get("errors"))]
        status = clean_text(error.get("status")) or ""
        message = clean_text(error.get("message")) or f"HTTP {response.status_code}"
        label = status or ",".join(r for r in reasons if r)
        detail = f"HTTP {response.status_code}" + (f" {label}" if label else "") + f": {message}"
        quota = bool({r.lower() for r in [*reasons, status]} & _QUOTA_REASONS) or "quota" in message.lower()
        if response.status_code == 429 or quota:
            wait = retry_after(response)
            if wait:
                self._throttle.pause(wait)
            return SourceRateLimited(self.name, detail, retry_after=wait)
        return SourceUnavailable(self.name, detail)

    def _record(self, volume: Mapping[str, Any], isbn: str | None) -> Record:
        info = as_object(volume.get("volumeInfo"))
        date = clean_text(info.get("publishedDate")) or ""  # "2005-11-03", "2011-11" or "2019"
        return Record(
            source=self.name,
            source_id=clean_text(volume.get("id")),
            type="book",
            title=join_subtitle(clean_text(info.get("title")), clean_text(info.get("subtitle"))),
            authors=tuple(Name.parse(n) for a in _strings(info.get("authors")) if (n := clean_text(a))),
            year=int(date[:4]) if date[:4].isdigit() else None,
            publisher=clean_text(info.get("publisher")),
            isbn=isbn or _preferred_isbn(info),
            url=clean_text(info.get("canonicalVolumeLink")) or clean_text(info.get("infoLink")),
        )


def _isbns(volume: Mapping[str, Any]) -> list[str]:
    ids = objects(as_object(volume.get("volumeInfo")).get("industryIdentifiers"))
    return [
        i for x in ids if str(x.get("type", "")).startswith("ISBN") and (i := isbn_digits(str(x.get("identifier"))))
    ]


def _preferred_isbn(info: Mapping[str, Any]) -> str | None:
    """ISBN_13 before ISBN_10, whatever order the item lists them in; OTHER identifiers are not ISBNs."""
    ids = {str(x.get("type")): clean_text(x.get("identifier")) for x in objects(info.get("industryIdentifiers"))}
    for kind in ("ISBN_13", "ISBN_10"):
        if (value := ids.get(kind)) and (isbn := isbn_digits(value)):
            return isbn
    return None


def _strings(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
