"""SearXNG (https://docs.searxng.org/dev/search_api.html): general web search, for news articles and web pages.

Optional: SearXNG is a metasearch engine one hosts oneself, named by `searxng_url`; without it `configured()` is
False and the registry leaves this source out (asked anyway, it raises `SourceUnavailable`, never "not found").

`GET /search?q=…&format=json&categories=…` answers `{"query", "number_of_results", "results": [{"url", "title",
"content", "engine", "publishedDate", "score"}, …], "unresponsive_engines": [[name, reason], …]}`. We ask for the
cited title as an exact phrase, narrowed to the outlet's site (`site:`) when the cited venue is a known outlet.
Instances serve only HTML unless `search.formats` lists `json`: they answer 403 to `format=json`, which is a
configuration failure, reported with that reason.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from app.classify import outlet_site
from app.errors import SourceUnavailable
from app.models import Record, Reference
from app.settings import Settings
from app.sources.base import HttpSource, Policy
from app.sources.doi import clean_text, objects

# A site name appended to a page title: "Headline | World news | The Guardian", "Headline - BBC News".
_PIPE_SUFFIX = re.compile(r"\s+\|\s+[^|]+$")
_DASH_SUFFIX = re.compile(r"\s+[-–—]\s+(?P<site>[^-–—]+)$")
_MAX_SITE_WORDS = 5  # longer dash-separated tails are more likely part of the headline than a site name


class SearxngSource(HttpSource):
    """Searches the web through a self-hosted SearXNG instance for a page with the cited title."""

    name = "searxng"
    url_setting = "searxng_url"
    searchable = True
    # Self-hosted, so no published limit; but each query fans out to public engines (Google, Bing, DuckDuckGo…)
    # which block an instance that asks too often, and its own limiter answers 429. One a second, one at a time.
    policy = Policy(rate=1.0, concurrency=1)

    @classmethod
    def configured(cls, settings: Settings) -> bool:
        """Whether an instance is configured (`searxng_url`): there is no public default."""
        return bool(settings.searxng_url)

    async def search(self, ref: Reference, *, limit: int = 5) -> list[Record]:
        """Pages with the cited title, best first; [] when none. News (`categories=news`) when the reference
        names a venue, else the general web. `SourceUnavailable` when the instance refuses JSON, answers
        something else than JSON, or none of its engines answered."""
        if not self._settings.searxng_url:
            raise SourceUnavailable(self.name, "no SearXNG instance configured (REFVERIFY_SEARXNG_URL)")
        title = " ".join((ref.title or "").replace('"', " ").split())
        if not title:
            return []
        site = outlet_site(ref.venue)
        news = bool(ref.venue)
        query = f'"{title}"' + (f" site:{site}" if site else "")
        params = {"q": query, "format": "json", "categories": "news" if news else "general"}
        response = await self._get("/search", params=params, ok=(200, 403))
        if response.status_code == 403:
            # https://docs.searxng.org/admin/settings/settings_search.html: `formats` defaults to html only.
            raise SourceUnavailable(self.name, "HTTP 403: format json not allowed (add json to search.formats)")
        results = self._results(response)
        records = [self._record(r, ref, site, news) for r in results]
        return [r for r in records if r is not None][:limit]

    def _results(self, response: httpx.Response) -> list[Mapping[str, Any]]:
        body = self._json(response)
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            raise SourceUnavailable(self.name, "answer without results")
        results = objects(body["results"])
        failed = [_engine_failure(e) for e in body.get("unresponsive_engines") or [] if isinstance(e, list)]
        if not results and failed:
            # The answer does not list the engines asked, so with engines failing an empty page cannot be told
            # from "no such page": it is a failure, never "not found".
            raise SourceUnavailable(self.name, f"no search engine answered ({'; '.join(failed)})")
        return results

    def _record(self, result: Mapping[str, Any], ref: Reference, site: str | None, news: bool) -> Record | None:
        url = clean_text(result.get("url"))
        title = page_title(clean_text(result.get("title")), cited=ref.title)
        host = (urlsplit(url).hostname or "").removeprefix("www.") if url else ""
        if not url or not title or not host:
            return None
        date = clean_text(result.get("publishedDate")) or ""  # ISO 8601: "2017-03-21T15:09:59"
        score = result.get("score")
        on_site = bool(site) and (host == site or host.endswith(f".{site}"))
        return Record(
            source=self.name,
            type="article-newspaper" if news else "webpage",
            title=title,
            year=int(date[:4]) if date[:4].isdigit() else None,
            venue=ref.venue if on_site else host,
            url=url,
            score=float(score) if isinstance(score, int | float) else None,
        )


def page_title(title: str | None, *, cited: str | None = None) -> str | None:
    """A page title without the site name appended to it ("Headline | Section | Site", "Headline - Site").

    A dash-separated tail is removed only when short and not part of the `cited` title, since headlines use
    dashes too; pipes separate site names only.
    """
    if not title:
        return None
    while (stripped := _PIPE_SUFFIX.sub("", title)) != title and stripped:
        title = stripped
    tail = _DASH_SUFFIX.search(title)
    short = tail is not None and tail.start() > 0 and len(tail["site"].split()) <= _MAX_SITE_WORDS
    if tail and short and not (cited and tail["site"].casefold() in cited.casefold()):
        title = title[: tail.start()]
    return title


def _engine_failure(entry: list[Any]) -> str:
    """ "google (timeout)" from `["google", "timeout"]`."""
    name, reason = [*entry, None, None][:2]
    return f"{name} ({reason})" if reason else str(name)
