"""Europe PMC REST search (https://europepmc.org/RestfulWebService): PubMed, PMC and preprints (bioRxiv, medRxiv).

Europe PMC publishes no rate limit and asks clients to be sequential and polite: a few requests per second, two
at a time. Identifier lookups are searches too (`DOI:"…"`, `EXT_ID:… AND SRC:MED`, `PMCID:…`).
"""

from __future__ import annotations

import re
from typing import Any

from app.errors import SourceUnavailable
from app.models import Name, Record, Reference
from app.sources.base import HttpSource, IdKind, Policy

_WORD = re.compile(r"[^\W_]+")
# The title index drops these; a fielded term made of one would match nothing.
_STOPWORDS = frozenset(
    {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "is", "of", "on", "or", "the", "to", "with"}
)
_MAX_TERMS = 12
# Europe PMC `source` codes that are not journal articles.
_TYPES = {"PPR": "article", "PAT": "patent", "ETH": "thesis", "NBK": "book"}


class EuropePmcSource(HttpSource):
    """Resolves DOIs, PMIDs and PMCIDs and searches titles, with core (full) results."""

    name = "europepmc"
    url_setting = "europepmc_url"
    identifiers = frozenset({IdKind.DOI, IdKind.PMID, IdKind.PMCID})
    searchable = True
    search_reads = frozenset({"title"})
    policy = Policy(rate=5.0, concurrency=2)

    async def resolve(self, kind: IdKind, value: str) -> Record | None:
        """The record holding this identifier, or None when the search for it has no hit."""
        value = value.strip()
        if kind is IdKind.DOI:
            field, wanted = "doi", value.lower()
            query = 'DOI:"{}"'.format(wanted.replace('"', ""))
        elif kind is IdKind.PMID:
            if not value.isdigit():
                return None  # PMIDs are numbers: nothing else can exist
            field, wanted = "pmid", value
            query = f"EXT_ID:{value} AND SRC:MED"
        elif kind is IdKind.PMCID:
            field, wanted = "pmcid", value.upper() if value.upper().startswith("PMC") else f"PMC{value}"
            if not wanted[3:].isdigit():
                return None
            query = f"PMCID:{wanted}"
        else:
            return await super().resolve(kind, value)
        records = await self._search(query, limit=5)
        # Keep only a record that carries the identifier asked for, whatever else the index matched.
        return next((r for r in records if getattr(r, field) == wanted), None)

    async def search(self, ref: Reference, *, limit: int = 5) -> list[Record]:
        """Records whose titles hold every significant word of the cited title, by relevance."""
        words = list(dict.fromkeys(_WORD.findall((ref.title or "").lower())))
        words = ([w for w in words if w not in _STOPWORDS] or words)[:_MAX_TERMS]
        if not words:
            return []
        # One TITLE: term per word, ANDed: a quoted TITLE:"…" phrase is lost to one inserted or dropped word.
        return await self._search(" AND ".join(f"TITLE:{w}" for w in words), limit=limit)

    async def _search(self, query: str, *, limit: int) -> list[Record]:
        response = await self._get(
            "/search", params={"query": query, "resultType": "core", "pageSize": limit, "format": "json"}
        )
        body = self._json(response)
        if not isinstance(body, dict) or "hitCount" not in body:
            raise SourceUnavailable(self.name, "answer is not a Europe PMC result list")
        if body.get("errMsg"):
            raise SourceUnavailable(self.name, str(body["errMsg"]))
        results = (body.get("resultList") or {}).get("result") or []
        return [self._record(r) for r in results if isinstance(r, dict)][:limit]

    def _record(self, result: dict[str, Any]) -> Record:
        source = _str(result.get("source"))
        journal_info = result.get("journalInfo") or {}
        journal = journal_info.get("journal") or {}
        book = result.get("bookOrReportDetails") or {}
        pub_types = [str(t) for t in (result.get("pubTypeList") or {}).get("pubType") or []]
        preprint = source == "PPR" or "Preprint" in pub_types
        year = _str(result.get("pubYear"))
        doi = _str(result.get("doi"))
        pmcid = _str(result.get("pmcid"))
        return Record(
            source=self.name,
            source_id=f"{source}/{result['id']}" if source and result.get("id") else _str(result.get("id")),
            type="article" if preprint else _TYPES.get(source or "", "article-journal"),
            title=_title(result.get("title")),
            authors=_authors(result),
            year=int(year) if year and year.isdigit() else None,
            venue=(_str(journal.get("title")) or _str(result.get("journalTitle")) or _str(book.get("publisher"))),
            volume=_str(journal_info.get("volume")) or _str(result.get("journalVolume")),
            issue=_str(journal_info.get("issue")) or _str(result.get("issue")),
            pages=_str(result.get("pageInfo")),
            publisher=_str(book.get("publisher")),
            doi=doi.lower() if doi else None,
            pmid=_str(result.get("pmid")),
            pmcid=pmcid.upper() if pmcid else None,
            preprint=preprint,
        )


def _authors(result: dict[str, Any]) -> tuple[Name, ...]:
    """Core results list authors (family name plus first name or initials); lite ones only a string."""
    listed = (result.get("authorList") or {}).get("author")
    if isinstance(listed, list):
        names = []
        for author in listed:
            if not isinstance(author, dict):
                continue
            family = _str(author.get("lastName"))
            given = _str(author.get("firstName")) or _str(author.get("initials")) or ""
            if family:
                names.append(Name(family=family, given=given))
            elif collective := _str(author.get("collectiveName")) or _str(author.get("fullName")):
                names.append(Name(family=collective))
        return tuple(names)
    # "Schoenfeld JD, Haas-Kogan DA, O'Neill AF."
    text = (_str(result.get("authorString")) or "").removesuffix(".")
    return tuple(Name.parse(part) for part in text.split(",") if part.strip())


def _title(value: Any) -> str | None:
    """Titles end with "." (from MEDLINE); translated titles come in brackets."""
    text = " ".join((_str(value) or "").split()).removesuffix(".")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return text or None


def _str(value: Any) -> str | None:
    if isinstance(value, str | int) and not isinstance(value, bool):
        text = str(value).strip()
        return text or None
    return None
