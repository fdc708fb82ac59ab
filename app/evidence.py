"""Evidence for news and web references: the cited page itself, and the Wayback Machine's memory of it.

A page that answers with the cited title is the cited work. A page that is gone but was archived existed: link rot,
not fabrication. A news headline whose words form the URL slug of an archived page on the outlet's site, in the
cited year, is that article. Nothing here is authoritative for absence except the cited URL itself: a URL that does
not answer and was never archived did not exist.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from app.decision import judge
from app.matching import normalize
from app.models import Record, Reference
from app.sources.base import Source

if TYPE_CHECKING:
    from app.sources.wayback import Capture, WaybackSource
    from app.sources.web import WebPageSource
    from app.verifier import Inquiry

T = TypeVar("T")
Ask = Callable[["Inquiry", str, Awaitable[Any]], Awaitable[Any]]

_SLUG_NOISE = re.compile(r"(\.s?html?|\.php|\.aspx?)$|^\d+$|^[a-f0-9]{8,}$")
MIN_SLUG_WORD = 4  # short words are too common in URLs to narrow an archive search


class Evidence:
    """Gathers page and archive evidence into an inquiry, through the verifier's `ask` (which records failures)."""

    def __init__(self, sources: Mapping[str, Source], ask: Ask) -> None:
        self._sources = sources
        self._ask = ask

    async def gather(self, inquiry: Inquiry) -> None:
        ref = inquiry.ref
        if ref.url and inquiry.route.fetch_url:
            await self._cited_page(inquiry, ref.url)
        if inquiry.route.news_site and ref.title and not any(c.title_same for c in inquiry.candidates):
            await self._archived_articles(inquiry, inquiry.route.news_site)

    async def _cited_page(self, inquiry: Inquiry, url: str) -> None:
        web: WebPageSource | None = self._sources.get("web")  # type: ignore[assignment]
        if web is None:
            return
        page = await self._ask(inquiry, "web", web.fetch_title(url))
        if page is None:
            return
        if page.exists:
            inquiry.candidates.append(judge(inquiry.ref, page.to_record(), by_identifier=True))
            return
        wayback: WaybackSource | None = self._sources.get("wayback")  # type: ignore[assignment]
        if wayback is None:
            return
        snapshot = await self._ask(inquiry, "wayback", wayback.snapshot(url, timestamp=_stamp(inquiry.ref)))
        if snapshot is None:
            inquiry.notes.append(f"{url} answers {page.status} and was never archived")
            return
        inquiry.notes.append(f"the cited page is gone (HTTP {page.status}); archived copy: {snapshot.url}")
        archived = await self._ask(inquiry, "web", web.fetch_title(snapshot.url))
        if archived is not None and archived.exists:
            record = archived.to_record().model_copy(update={"source": "wayback", "url": snapshot.url})
            inquiry.candidates.append(judge(inquiry.ref, record, by_identifier=True))

    async def _archived_articles(self, inquiry: Inquiry, site: str) -> None:
        wayback: WaybackSource | None = self._sources.get("wayback")  # type: ignore[assignment]
        words = _distinctive_words(inquiry.ref.title or "")
        if wayback is None or not words:
            return
        year = str(inquiry.ref.year) if inquiry.ref.year else None
        pattern = ".*" + ".*".join(words) + ".*"
        captures = await self._ask(
            inquiry,
            "wayback",
            wayback.captures(site, match_type="domain", limit=25, from_=year, to=year, url_pattern=pattern),
        )
        for capture in captures or ():
            record = _article(capture, inquiry.ref)
            if record is not None:
                inquiry.candidates.append(judge(inquiry.ref, record))


def _distinctive_words(title: str) -> list[str]:
    """Up to three of the longest words of a headline, in headline order, as they appear in URL slugs."""
    words = [w for w in normalize(title).split() if len(w) >= MIN_SLUG_WORD]
    longest = set(sorted(words, key=len, reverse=True)[:3])
    return [w for w in dict.fromkeys(words) if w in longest]


def _article(capture: Capture, ref: Reference) -> Record | None:
    """An archived article page as a record whose title is its URL slug."""
    segments = [s for s in urlsplit(capture.original).path.split("/") if s and not _SLUG_NOISE.search(s)]
    if not segments:
        return None
    slug = max(segments, key=lambda s: s.count("-") + s.count("_"))
    title = " ".join(re.split(r"[-_]+", _SLUG_NOISE.sub("", slug)))
    return Record(
        source="wayback",
        type="article-newspaper",
        title=title,
        venue=ref.venue,
        year=int(capture.timestamp[:4]),
        url=capture.original,
    )


def _stamp(ref: Reference) -> str | None:
    return f"{ref.year}0101" if ref.year else None
