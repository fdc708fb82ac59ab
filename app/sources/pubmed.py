"""PubMed through NCBI E-utilities (https://www.ncbi.nlm.nih.gov/books/NBK25497/), JSON answers.

Usage rules (NBK25497, "Usage Guidelines and Requirements"): at most 3 requests per second, 10 with an `api_key`;
every request names the `tool` and a contact `email`. Above the limit NCBI answers 429 with a JSON body.
Errors often come inside a 200: an `ERROR` in the esearch result, an `error` per document summary.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import httpx

from app.errors import SourceRateLimited, SourceUnavailable
from app.models import Name, Record, Reference
from app.settings import Settings
from app.sources.base import HttpSource, IdKind, Policy, Throttle

TOOL = "refverify"
_WORD = re.compile(r"[^\W_]+")
# PubMed does not search its stopwords (PubMed User Guide, "Stopwords"): never require them.
_STOPWORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "is", "of", "on", "or", "the", "to", "with"}
)
_MAX_TERMS = 12
# Name suffixes NLM writes after the initials: "Hambrick GW Jr".
_SUFFIXES = frozenset({"Jr", "Sr", "2nd", "3rd", "II", "III", "IV"})


class PubMedSource(HttpSource):
    """Resolves PMIDs (esummary) and searches titles (esearch, then one esummary for the hits)."""

    name = "pubmed"
    url_setting = "pubmed_url"
    identifiers = frozenset({IdKind.PMID})
    searchable = True
    search_reads = frozenset({"title"})
    policy = Policy(rate=3.0, concurrency=3)
    keyed_policy: ClassVar[Policy] = Policy(rate=10.0, concurrency=3)

    def __init__(self, client: httpx.AsyncClient, settings: Settings) -> None:
        super().__init__(client, settings)
        self._params: dict[str, str] = {"tool": TOOL, "email": settings.mailto, "retmode": "json"}
        if settings.pubmed_api_key:
            self._params["api_key"] = settings.pubmed_api_key
            self._throttle = Throttle(self.keyed_policy, enabled=settings.throttle)

    async def resolve(self, kind: IdKind, value: str) -> Record | None:
        """The article with this PMID; None when PubMed has no summary for it."""
        if kind is not IdKind.PMID:
            return await super().resolve(kind, value)
        pmid = value.strip()
        if not pmid.isdigit():
            return None  # PMIDs are numbers: nothing else can exist
        records = await self._summaries([pmid])
        return records[0] if records else None

    async def search(self, ref: Reference, *, limit: int = 5) -> list[Record]:
        """Articles whose titles hold every word of the cited title, by relevance."""
        words = list(dict.fromkeys(_WORD.findall((ref.title or "").lower())))
        words = ([w for w in words if w not in _STOPWORDS] or words)[:_MAX_TERMS]
        if not words:
            return []
        # One [ti] tag per word: a tag applies to the term before it only, and unquoted terms keep PubMed's
        # stemming and stopword handling. Default order is by date; ask for relevance.
        term = " AND ".join(f"{w}[ti]" for w in words)
        body = await self._call("/esearch.fcgi", {"db": "pubmed", "term": term, "retmax": limit, "sort": "relevance"})
        result = body.get("esearchresult")
        if not isinstance(result, dict):
            raise SourceUnavailable(self.name, "esearch answer without esearchresult")
        if result.get("ERROR"):
            raise SourceUnavailable(self.name, f"esearch error: {result['ERROR']}")
        ids = [str(i) for i in result.get("idlist") or []]
        return (await self._summaries(ids[:limit])) if ids else []

    async def _summaries(self, pmids: list[str]) -> list[Record]:
        """Records for the PMIDs that have a summary, in the order asked."""
        body = await self._call("/esummary.fcgi", {"db": "pubmed", "id": ",".join(pmids)})
        result = body.get("result")
        if not isinstance(result, dict):
            # An id PubMed cannot parse: {"esummaryresult": ["Invalid uid … at position=0"]}.
            messages = body.get("esummaryresult")
            if isinstance(messages, list) and any("invalid uid" in str(m).lower() for m in messages):
                return []
            raise SourceUnavailable(self.name, "esummary answer without result")
        summaries = (result.get(pmid) for pmid in pmids)
        # A uid without a summary comes back as {"uid": …, "error": "cannot get document summary"}.
        return [self._record(s) for s in summaries if isinstance(s, dict) and not s.get("error")]

    async def _call(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        response = await self._get(path, params={**params, **self._params})
        body = self._json(response)
        if not isinstance(body, dict):
            raise SourceUnavailable(self.name, "answer is not a JSON object")
        error = body.get("error")
        if isinstance(error, str):
            # The rate-limit answer can come as a 200 too: {"error": "API rate limit exceeded", …}.
            if "rate limit" in error.lower():
                raise SourceRateLimited(self.name, error)
            raise SourceUnavailable(self.name, error)
        return body

    def _record(self, summary: dict[str, Any]) -> Record:
        ids = {
            str(a.get("idtype")): str(a.get("value"))
            for a in summary.get("articleids") or []
            if isinstance(a, dict) and a.get("value")
        }
        year = re.search(r"\b(\d{4})\b", str(summary.get("pubdate") or summary.get("epubdate") or ""))
        doi = ids.get("doi")
        return Record(
            source=self.name,
            source_id=_str(summary.get("uid")),
            type="article-journal",
            title=_title(summary.get("title")),
            authors=tuple(
                _name(a) for a in summary.get("authors") or [] if isinstance(a, dict) and _str(a.get("name"))
            ),
            year=int(year.group(1)) if year else None,
            venue=_str(summary.get("fulljournalname")) or _str(summary.get("source")),
            volume=_str(summary.get("volume")),
            issue=_str(summary.get("issue")),
            pages=_pages(_str(summary.get("pages"))),
            doi=doi.strip().lower() if doi else None,
            pmid=_str(summary.get("uid")),
            pmcid=ids.get("pmc"),
        )


def _name(author: dict[str, Any]) -> Name:
    """NLM writes "Family Initials" ("LoPresti PJ", "Hambrick GW Jr"); groups are one collective name."""
    text = " ".join(str(author.get("name")).split())
    if author.get("authtype") == "CollectiveName":
        return Name(family=text)
    parts = text.split(" ")
    while len(parts) > 2 and parts[-1] in _SUFFIXES:
        parts.pop()
    if len(parts) >= 2 and parts[-1].isalpha() and parts[-1].isupper() and len(parts[-1]) <= 4:
        return Name(family=" ".join(parts[:-1]), given=parts[-1])
    return Name.parse(text)


def _title(value: Any) -> str | None:
    """PubMed ends titles with "."; translated titles come in brackets: "[Title in English]."."""
    text = " ".join((_str(value) or "").split()).removesuffix(".")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return text or None


def _pages(pages: str | None) -> str | None:
    """NLM abbreviates the last page ("188-91"); give it in full ("188-191")."""
    match = re.fullmatch(r"(\d+)-(\d+)", pages or "")
    if not match:
        return pages
    first, last = match.groups()
    if len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    return f"{first}-{last}"


def _str(value: Any) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None
