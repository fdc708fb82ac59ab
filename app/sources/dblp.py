"""DBLP publication search (https://dblp.org/faq/How+to+use+the+dblp+search+API.html), computer science only.

DBLP publishes no rate limit; it answers bursts with HTML 429 pages and often answers plain HTTP clients with an
Anubis bot-check page (HTTP 500, or 200 from a mirror). Any answer that is not the JSON envelope is "unavailable",
never "not found". One request per second, at most two in flight.
"""

from __future__ import annotations

import re
from typing import Any

from app.errors import SourceUnavailable
from app.models import Name, Record, Reference
from app.sources.arxiv import arxiv_id
from app.sources.base import HttpSource, Policy

_TYPES = {
    "Journal Articles": "article-journal",
    "Conference and Workshop Papers": "paper-conference",
    "Informal and Other Publications": "article",
    "Books and Theses": "book",
    "Editorship": "book",
    "Parts in Books or Collections": "chapter",
    "Reference Works": "entry",
    "Data and Artifacts": "dataset",
}
_INFORMAL = "Informal and Other Publications"
# Homonyms are told apart by a four-digit number after the name: "Wei Wang 0001".
_HOMONYM = re.compile(r"\s+\d{4}$")
_WORD = re.compile(r"[^\W_]+")
# Every query word must match (as a prefix); leaving out words that carry no meaning tolerates "a"/"the" slips.
_STOPWORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "is", "of", "on", "or", "the", "to", "with"}
)
_MAX_TERMS = 12


class DblpSource(HttpSource):
    """Searches DBLP by title words; venue versions come before their CoRR (arXiv) duplicates."""

    name = "dblp"
    url_setting = "dblp_url"
    searchable = True
    search_reads = frozenset({"title"})
    # A second request in flight lets the next leave on time while a slow answer is still coming.
    policy = Policy(rate=1.0, concurrency=2)

    async def search(self, ref: Reference, *, limit: int = 5) -> list[Record]:
        """Publications whose text holds every significant word of the cited title (prefix match), best first."""
        words = _query_words(ref.title or "")
        if not words:
            return []
        # Punctuation is syntax to DBLP ("-" excludes, "|" ORs, "$" anchors, "title:" fields): words only.
        response = await self._get("/search/publ/api", params={"q": " ".join(words), "format": "json", "h": limit})
        hits = self._hits(self._json(response))
        records = [self._record(hit) for hit in hits]
        # The same paper is often listed twice, as CoRR preprint and venue version: the venue version first.
        return sorted(records, key=lambda r: r.preprint)[:limit]

    def _hits(self, body: Any) -> list[dict[str, Any]]:
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, dict) or not isinstance(result.get("hits"), dict):
            raise SourceUnavailable(self.name, "answer is not a DBLP result envelope")
        code = (result.get("status") or {}).get("@code", "200")
        if str(code) != "200":
            raise SourceUnavailable(self.name, f"result status {code}")
        hit = result["hits"].get("hit", [])  # absent when @total is "0"
        return [h for h in _as_list(hit) if isinstance(h, dict)]

    def _record(self, hit: dict[str, Any]) -> Record:
        info = hit.get("info") or {}
        kind = _str(info.get("type"))
        venue = ", ".join(v for v in (_str(x) for x in _as_list(info.get("venue"))) if v) or None
        preprint = kind == _INFORMAL or venue == "CoRR"
        volume = _str(info.get("volume"))
        doi = _str(info.get("doi"))
        year = _str(info.get("year"))
        links = [link for link in (_str(x) for x in _as_list(info.get("ee"))) if link]
        return Record(
            source=self.name,
            source_id=_str(info.get("key")),
            type=_TYPES.get(kind or ""),
            title=_title(info.get("title")),
            authors=tuple(
                Name.parse(_HOMONYM.sub("", text))
                for author in _as_list((info.get("authors") or {}).get("author"))
                if (text := _str(author.get("text") if isinstance(author, dict) else author))
            ),
            year=int(year) if year and year.isdigit() else None,
            venue=venue,
            # CoRR entries carry the arXiv id as volume ("abs/1505.04597").
            volume=None if volume is None or volume.startswith("abs/") else volume,
            issue=_str(info.get("number")),
            pages=_str(info.get("pages")),
            doi=doi.lower() if doi else None,
            arxiv=_arxiv(volume, doi, links),
            url=_str(info.get("url")),
            preprint=preprint,
            score=_score(hit.get("@score")),
        )


def _as_list(value: Any) -> list[Any]:
    """DBLP gives an object for one item and a list for several."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _str(value: Any) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None


def _title(value: Any) -> str | None:
    """DBLP ends every title with "."; "?" and "!" are the title's own."""
    text = " ".join((_str(value) or "").split())
    return text.removesuffix(".") or None


def _arxiv(volume: str | None, doi: str | None, links: list[str]) -> str | None:
    """The arXiv id of a CoRR entry: its volume "abs/…", its 10.48550 DOI or an arxiv.org link."""
    if volume and volume.startswith("abs/"):
        return arxiv_id(volume.removeprefix("abs/"))
    return next((a for text in [doi or "", *links] if "arxiv" in text.lower() and (a := arxiv_id(text))), None)


def _score(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _query_words(title: str) -> list[str]:
    words = list(dict.fromkeys(_WORD.findall(title.lower())))
    return ([w for w in words if w not in _STOPWORDS] or words)[:_MAX_TERMS]
