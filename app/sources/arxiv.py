"""arXiv API (https://info.arxiv.org/help/api/user-manual.html): Atom feeds for id lookups and title searches.

Terms of use (https://info.arxiv.org/help/api/tou.html): no more than one request every three seconds, on a single
connection. The API sends no rate-limit headers; under load it answers 429 or 503.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from app.errors import SourceUnavailable
from app.models import Name, Record, Reference
from app.sources.base import HttpSource, IdKind, Policy

_NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "opensearch": "http://a9.com/-/spec/opensearch/1.1/",
    "arxiv": "http://arxiv.org/schemas/atom",
}
# Identifier grammar: https://info.arxiv.org/help/arxiv_identifier.html (new 0704.0001 / 1501.00001, old
# hep-th/9901001 or math.GT/0309136), optionally versioned.
_ID = re.compile(r"(\d{4}\.\d{4,5}|[a-z]+(?:-[a-z]+)*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?", re.IGNORECASE)
_ID_IN_TEXT = re.compile(r"(?:arxiv\.org/(?:abs|pdf)/|arxiv[:.])\s*" + _ID.pattern, re.IGNORECASE)
_WORD = re.compile(r"[^\W_]+")
# Lucene drops these from the title index; requiring them would only lose hits.
_STOPWORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "is", "of", "on", "or", "the", "to", "with"}
)
_MAX_TERMS = 12


def arxiv_id(text: str) -> str | None:
    """The version-less arXiv id in `text`: a bare id, "arXiv:…", an arxiv.org URL or a 10.48550/arXiv.… DOI."""
    text = text.strip()
    match = _ID.fullmatch(text.removeprefix("arXiv:").removeprefix("arxiv:")) or _ID_IN_TEXT.search(text)
    return match.group(1) if match else None


class ArxivSource(HttpSource):
    """Resolves arXiv ids and searches titles. Every record is the preprint (`preprint=True`)."""

    name = "arxiv"
    url_setting = "arxiv_url"
    identifiers = frozenset({IdKind.ARXIV})
    searchable = True
    search_reads = frozenset({"title"})
    policy = Policy(rate=1 / 3, concurrency=1)
    connections = 1  # one request at a time, counted by the API

    async def resolve(self, kind: IdKind, value: str) -> Record | None:
        """The preprint for the id (any version asked for; the record carries the version-less id)."""
        if kind is not IdKind.ARXIV:
            return await super().resolve(kind, value)
        ident = arxiv_id(value)
        if ident is None:
            return None  # not an arXiv identifier: nothing by that name can exist
        # A malformed id is answered 400 with an error feed: the id does not exist as such.
        response = await self._get("/query", params={"id_list": ident, "max_results": 1}, ok=(200, 400))
        feed = self._feed(response.content)
        message = _error_entry(feed)
        if response.status_code == 400:
            if message is None:
                raise SourceUnavailable(self.name, "HTTP 400 without an error feed")
            return None
        if message is not None:
            raise SourceUnavailable(self.name, f"error feed: {message}")
        records = [self._record(entry) for entry in feed.findall("atom:entry", _NS)]
        return next((r for r in records if r.arxiv == ident), None)

    async def search(self, ref: Reference, *, limit: int = 5) -> list[Record]:
        """Preprints whose titles hold every significant word of the cited title, by relevance."""
        words = _query_words(ref.title or "")
        if not words:
            return []
        # Juxtaposed terms are OR-ed by the API; AND every title word instead of a quoted phrase, which an
        # inserted or dropped word in the citation (or a different arXiv title version) would defeat.
        query = " AND ".join(f"ti:{w}" for w in words)
        params = {"search_query": query, "start": 0, "max_results": limit, "sortBy": "relevance"}
        # A 400 error feed names what the API rejected: report it rather than retry it.
        response = await self._get("/query", params=params, ok=(200, 400))
        feed = self._feed(response.content)
        if (message := _error_entry(feed)) is not None or response.status_code == 400:
            raise SourceUnavailable(self.name, f"HTTP {response.status_code}: {message or 'bad request'}")
        return [self._record(entry) for entry in feed.findall("atom:entry", _NS)][:limit]

    def _feed(self, content: bytes) -> ET.Element:
        try:
            root = ET.fromstring(content)
        except ET.ParseError as exc:
            raise SourceUnavailable(self.name, "answer is not a valid Atom feed") from exc
        if root.tag != f"{{{_NS['atom']}}}feed":
            raise SourceUnavailable(self.name, f"answer is not an Atom feed but <{root.tag}>")
        return root

    def _record(self, entry: ET.Element) -> Record:
        entry_id = _text(entry, "atom:id") or ""
        ident = arxiv_id(entry_id)
        if ident is None:
            raise SourceUnavailable(self.name, f"entry without an arXiv id: {entry_id!r}")
        published = _text(entry, "atom:published") or ""
        doi = _text(entry, "arxiv:doi")
        return Record(
            source=self.name,
            source_id=ident,
            type="article",
            title=_text(entry, "atom:title"),
            authors=tuple(
                Name.parse(name) for author in entry.findall("atom:author", _NS) if (name := _text(author, "atom:name"))
            ),
            year=int(published[:4]) if published[:4].isdigit() else None,
            venue=_text(entry, "arxiv:journal_ref") or "arXiv",
            doi=doi.lower() if doi else None,
            arxiv=ident,
            url=f"https://arxiv.org/abs/{ident}",
            preprint=True,
        )


def _text(element: ET.Element, path: str) -> str | None:
    """The element's text with whitespace collapsed (older feeds wrap titles over lines), or None."""
    found = element.find(path, _NS)
    text = " ".join((found.text or "").split()) if found is not None else ""
    return text or None


def _error_entry(feed: ET.Element) -> str | None:
    """The message of the API's error entry (id https://arxiv.org/api/errors#…), if the feed is one."""
    for entry in feed.findall("atom:entry", _NS):
        if "/api/errors" in (_text(entry, "atom:id") or ""):
            return _text(entry, "atom:summary") or "error"
    return None


def _query_words(title: str) -> list[str]:
    words = list(dict.fromkeys(_WORD.findall(title.lower())))
    return ([w for w in words if w not in _STOPWORDS] or words)[:_MAX_TERMS]
