"""New York Times Article Search (api.nytimes.com/svc/search/v2/articlesearch.json): articles by headline.

https://developer.nytimes.com/docs/articlesearch-product/1/overview: `q` searches headline, body and byline,
`begin_date`/`end_date` (YYYYMMDD) bound the publication date, ten documents per page. An `api-key` is
required; without one this source cannot answer, so `configured()` is False and the registry should leave it out
(reported as skipped); asked anyway, it raises `SourceUnavailable("no API key")`, never "not found".

Two schemas are in use: before 2025-04-08 `response.meta`, `multimedia` as a list, `byline.person[]`; since then
some answers carry `response.metadata`, `multimedia` as an object and `byline.original` only. Only keys common to
both are read. Limits: about 5 requests/min and 500/day per key, so one request every 12 s, one at a time; a 429
is not retried (the window is a minute or a day, far beyond a retry's wait).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from app.errors import SourceRateLimited, SourceUnavailable
from app.models import Name, Record, Reference
from app.settings import Settings
from app.sources.base import HttpSource, Policy, retry_after
from app.sources.doi import as_object, clean_text, objects
from app.sources.guardian import byline_names

VENUE = "The New York Times"
_WORD = re.compile(r"[^\W_]+")


class NytSource(HttpSource):
    """Searches NYT articles by headline words, within the cited year; needs `nyt_api_key`."""

    name = "nyt"
    url_setting = "nyt_url"
    searchable = True
    policy = Policy(rate=5 / 60, concurrency=1)

    @classmethod
    def configured(cls, settings: Settings) -> bool:
        """Whether this source can answer at all with these settings (it needs an API key)."""
        return bool(settings.nyt_api_key)

    async def search(self, ref: Reference, *, limit: int = 5, dated: bool = True) -> list[Record]:
        """Articles by relevance; [] when none. With `dated` and a cited year, only articles of that year."""
        key = self._settings.nyt_api_key
        if not key:
            raise SourceUnavailable(self.name, "no API key")
        # Words only: q is Lucene-like, where quotes, parentheses and ":" are syntax.
        words = list(dict.fromkeys(_WORD.findall(ref.title or "")))
        if not words:
            return []
        params: dict[str, Any] = {"q": " ".join(words), "sort": "relevance", "api-key": key}
        if dated and ref.year:
            params |= {"begin_date": f"{ref.year}0101", "end_date": f"{ref.year}1231"}
        response = await self._get("/articlesearch.json", params=params, ok=(200, 400, 401, 403, 429))
        return [self._record(doc) for doc in self._docs(response)][:limit]

    def _docs(self, response: httpx.Response) -> list[Mapping[str, Any]]:
        if response.status_code == 429 and not response.content.lstrip().startswith(b"{"):
            raise self._failure(response, {"message": response.text[:200]})  # reported as plain text
        body = self._json(response)
        if not isinstance(body, dict):
            raise SourceUnavailable(self.name, f"HTTP {response.status_code}: answer is not a JSON object")
        if response.status_code != 200:
            raise self._failure(response, body)
        envelope = as_object(body.get("response"))
        if not envelope or not any(k in envelope for k in ("docs", "meta", "metadata")):
            raise SourceUnavailable(self.name, "answer without response.docs")
        return objects(envelope.get("docs"))  # docs may be null when nothing matched

    def _failure(self, response: httpx.Response, body: Mapping[str, Any]) -> Exception:
        # Gateway errors: {"fault": {"faultstring": "Invalid ApiKey", …}}; API errors: {"errors": [...]}
        # or {"message": …}.
        fault = as_object(body.get("fault"))
        listed = body.get("errors")
        errors = [e for x in listed if (e := clean_text(x))] if isinstance(listed, list) else []
        message = (
            clean_text(fault.get("faultstring")) or "; ".join(errors) or clean_text(body.get("message")) or "no message"
        )
        detail = f"HTTP {response.status_code}: {message}"
        if response.status_code == 429:
            wait = retry_after(response)
            if wait:
                self._throttle.pause(wait)
            return SourceRateLimited(self.name, detail, retry_after=wait)
        return SourceUnavailable(self.name, detail)

    def _record(self, doc: Mapping[str, Any]) -> Record:
        headline = as_object(doc.get("headline"))
        date = clean_text(doc.get("pub_date")) or ""  # "2017-03-15T16:34:07+0000"
        return Record(
            source=self.name,
            source_id=clean_text(doc.get("_id")),
            type="article-newspaper",
            title=clean_text(headline.get("main")) or clean_text(headline.get("print_headline")),
            authors=_authors(as_object(doc.get("byline"))),
            year=int(date[:4]) if date[:4].isdigit() else None,
            venue=VENUE,
            url=clean_text(doc.get("web_url")),
        )


def _authors(byline: Mapping[str, Any]) -> tuple[Name, ...]:
    """People from the legacy `person[]` when it lists any, else parsed from `original` ("By Jane Doe and …")."""
    people = []
    for person in sorted(objects(byline.get("person")), key=lambda p: _rank(p.get("rank"))):
        family = clean_text(person.get("lastname"))
        if family:
            given = " ".join(n for n in (clean_text(person.get(k)) for k in ("firstname", "middlename")) if n)
            people.append(Name(family=_title_case(family), given=_title_case(given)))
    return tuple(people) or byline_names(clean_text(byline.get("original")))


def _rank(value: Any) -> int:
    return int(value) if isinstance(value, int | str) and str(value).isdigit() else 0


def _title_case(text: str) -> str:
    return text.title() if text.isupper() else text
