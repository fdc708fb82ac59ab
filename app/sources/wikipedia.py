"""Wikipedia full-text search (MediaWiki Action API `list=search`): supporting evidence for a headline.

The records are not the cited work: they are the Wikipedia pages whose text holds the cited headline verbatim,
which means some page cites (or quotes) a publication with that title. The verifier may weigh that as evidence
that the title exists; the page snippet is not kept (a Record has no field for it).
https://www.mediawiki.org/wiki/API:Search

Etiquette (https://www.mediawiki.org/wiki/API:Etiquette, https://meta.wikimedia.org/wiki/User-Agent_policy):
requests in series, a User-Agent with contact details (required), and `maxlag` so that we back off while the
replicas lag. Errors come as HTTP 200 with `{"error": {"code", "info"}}`; `maxlag` adds `Retry-After`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from app.errors import SourceRateLimited, SourceUnavailable
from app.models import Record, Reference
from app.settings import Settings
from app.sources.base import HttpSource, Policy, retry_after
from app.sources.doi import as_object, clean_text, objects

_MAXLAG = 5  # seconds of replica lag we accept, the value the etiquette page suggests
_RATE_CODES = frozenset({"maxlag", "ratelimited"})


class WikipediaSource(HttpSource):
    """Finds Wikipedia pages (main namespace) whose text holds the cited title as an exact phrase."""

    name = "wikipedia"
    url_setting = "wikipedia_url"
    searchable = True
    policy = Policy(rate=5.0, concurrency=1)

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        super().__init__(client, settings)
        root = urlsplit(self.base_url)  # https://en.wikipedia.org/w/api.php -> https://en.wikipedia.org/wiki/
        self._wiki = f"{root.scheme}://{root.netloc}/wiki/"

    async def search(self, ref: Reference, *, limit: int = 5) -> list[Record]:
        """Pages quoting the cited title, best first; [] when none does (or the reference has no title)."""
        phrase = " ".join((ref.title or "").replace('"', " ").split())
        if not phrase:
            return []
        params = {
            "action": "query",
            "list": "search",
            "srsearch": f'"{phrase}"',
            "srwhat": "text",
            "srnamespace": 0,
            "srlimit": max(1, min(limit, 50)),
            "srprop": "snippet|timestamp",
            "format": "json",
            "formatversion": 2,
            "maxlag": _MAXLAG,
        }
        response = await self._get("", params=params, headers={"User-Agent": self._settings.user_agent})
        hits = self._hits(response)
        return [record for hit in hits if (record := self._record(hit))][:limit]

    def _hits(self, response: httpx.Response) -> list[Mapping[str, Any]]:
        body = self._json(response)
        if not isinstance(body, dict):
            raise SourceUnavailable(self.name, "answer is not a JSON object")
        error = body.get("error")
        if isinstance(error, Mapping):
            code = clean_text(error.get("code")) or "error"
            detail = f"{code}: {clean_text(error.get('info')) or 'no message'}"
            if code in _RATE_CODES:
                wait = retry_after(response)
                if wait:
                    self._throttle.pause(wait)
                raise SourceRateLimited(self.name, detail, retry_after=wait)
            raise SourceUnavailable(self.name, detail)
        # formatversion=2 and the legacy format share query.search[]; the continuation keys differ, unused here.
        search = as_object(body.get("query")).get("search")
        if not isinstance(search, list):
            raise SourceUnavailable(self.name, "answer without query.search")
        return objects(search)

    def _record(self, hit: Mapping[str, Any]) -> Record | None:
        title = clean_text(hit.get("title"))
        if not title:
            return None
        page_id = hit.get("pageid")
        return Record(
            source=self.name,
            source_id=str(page_id) if isinstance(page_id, int) and not isinstance(page_id, bool) else None,
            type="webpage",
            title=title,
            url=self._wiki + quote(title.replace(" ", "_"), safe="/:(),'!*"),
        )
