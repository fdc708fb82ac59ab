"""The Guardian Open Platform content API (content.guardianapis.com): newspaper articles by headline.

https://open-platform.theguardian.com/documentation/search: `q` takes AND/OR/NOT and quoted phrases,
`query-fields` picks the indexed fields searched, `from-date`/`to-date` bound the publication date, and
`show-fields=headline,byline` adds what the result list leaves out (there is no byline without it).

Limits (https://open-platform.theguardian.com/access/): 12 calls/s and 5,000 calls/day on a free developer key
(the public `test` key is for development). We keep to 10/s, two in flight, to stay clear of the per-second cap
despite network jitter; the daily budget is not counted here, past it the API answers 429.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import httpx

from app.errors import SourceUnavailable
from app.models import Name, Record, Reference
from app.sources.base import HttpSource, Policy
from app.sources.doi import as_object, clean_text, objects

VENUE = "The Guardian"
_WORD = re.compile(r"[^\W_]+")
# Words that carry no meaning in a headline; requiring them would only make a small slip fatal.
_STOPWORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "is", "of", "on", "or", "the", "to", "with"}
)
_MAX_TERMS = 12
_BYLINE_SPLIT = re.compile(r",|&|\band\b", re.IGNORECASE)
_PLACE = re.compile(r"\s+in\s+\S.*$", re.IGNORECASE)  # "Jennifer Rankin in Brussels"
# Bylines that name an organisation or a desk rather than people: kept whole, as an organisation.
_ORGANISATION = re.compile(
    r"\b(staff|agencies|agency|press|reuters|editorial|correspondents?|reporters?|newsroom|bloomberg|afp)\b|^the\s",
    re.IGNORECASE,
)


class GuardianSource(HttpSource):
    """Searches Guardian articles whose headline holds the cited title's words, within the cited year."""

    name = "guardian"
    url_setting = "guardian_url"
    searchable = True
    policy = Policy(rate=10.0, concurrency=2)

    async def search(self, ref: Reference, *, limit: int = 5, dated: bool = True) -> list[Record]:
        """Articles by relevance; [] when none. With `dated` and a cited year, only articles of that year:
        a newspaper's date is precise, but a caller may retry with `dated=False` when the year finds nothing."""
        words = _headline_words(ref.title or "")
        if not words:
            return []
        params: dict[str, Any] = {
            "q": " AND ".join(words),
            "query-fields": "headline",
            "show-fields": "headline,byline",
            "page-size": max(1, min(limit, 50)),
            "order-by": "relevance",
            "api-key": self._settings.guardian_api_key,
        }
        if dated and ref.year:
            params |= {"from-date": f"{ref.year}-01-01", "to-date": f"{ref.year}-12-31"}
        response = await self._get("/search", params=params, ok=(200, 400, 401, 403, 404))
        results = self._results(response)
        return [self._record(r) for r in results][:limit]

    def _results(self, response: httpx.Response) -> list[Mapping[str, Any]]:
        body = self._json(response)
        if not isinstance(body, dict):
            raise SourceUnavailable(self.name, f"HTTP {response.status_code}: answer is not a JSON object")
        envelope = as_object(body.get("response"))
        if response.status_code != 200 or envelope.get("status") != "ok":
            # A bad key: 401/403 {"message": …} from the gateway; a bad request: {"response": {"status": "error", …}}.
            message = clean_text(envelope.get("message")) or clean_text(body.get("message")) or "no message"
            raise SourceUnavailable(self.name, f"HTTP {response.status_code}: {message}")
        if not isinstance(envelope.get("results"), list):
            raise SourceUnavailable(self.name, "answer without results")
        return objects(envelope["results"])

    def _record(self, result: Mapping[str, Any]) -> Record:
        fields = as_object(result.get("fields"))
        date = clean_text(result.get("webPublicationDate")) or ""  # "2017-03-21T15:09:59Z"
        return Record(
            source=self.name,
            source_id=clean_text(result.get("id")),
            type="article-newspaper",
            title=clean_text(result.get("webTitle")) or clean_text(fields.get("headline")),
            authors=byline_names(clean_text(fields.get("byline"))),
            year=int(date[:4]) if date[:4].isdigit() else None,
            venue=VENUE,
            url=clean_text(result.get("webUrl")),
        )


def byline_names(byline: str | None) -> tuple[Name, ...]:
    """The people of a newspaper byline ("By Jane Doe and John Roe", "Jane Doe, John Roe and Ann Poe in Paris").

    All-capitals names are title-cased; an agency or desk ("Guardian staff", "By THE ASSOCIATED PRESS") is kept
    whole, as an organisation.
    """
    text = re.sub(r"^by\s+", "", (byline or "").strip(), flags=re.IGNORECASE)
    if not text:
        return ()
    names = []
    for part in _BYLINE_SPLIT.split(text):
        who = _title_case(_PLACE.sub("", part).strip(" .;"))
        if who:
            names.append(Name(family=who) if _ORGANISATION.search(who) else Name.parse(who))
    return tuple(names)


def _title_case(text: str) -> str:
    return text.title() if text.isupper() else text


def _headline_words(title: str) -> list[str]:
    # Words only, lower case: upper-case AND/OR/NOT, quotes and parentheses are query syntax.
    words = list(dict.fromkeys(_WORD.findall(title.lower())))
    return ([w for w in words if w not in _STOPWORDS] or words)[:_MAX_TERMS]
