"""Open Library (openlibrary.org): books by ISBN and by title and author.

ISBN lookups use the Books API (`/api/books?bibkeys=ISBN:…&jscmd=data`): one call with the author names inline,
`{}` for an unknown ISBN. The edition route (`/isbn/{isbn}.json`, a 302 to `/books/OL…M.json`) names authors by
key only, so it costs a redirect plus one `/authors/{key}.json` call per author.
https://openlibrary.org/dev/docs/api/books, https://openlibrary.org/dev/docs/api/search

Limits (https://openlibrary.org/developers/api): about 1 request/s anonymous, 3/s for clients that identify
themselves in the User-Agent (ours carries a mailto). No concurrency is granted: one at a time, at 2.5/s, since
requests spaced at exactly 1/3 s meet 429s when network jitter bunches their arrivals in a sliding window.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from app.errors import SourceUnavailable
from app.models import Name, Record, Reference
from app.sources.base import HttpSource, IdKind, Policy
from app.sources.doi import clean_text, join_subtitle, objects, text_of

SITE = "https://openlibrary.org"  # record URLs point at the public site, whatever API root is configured
_FIELDS = "key,title,subtitle,author_name,first_publish_year,isbn,publisher"
_WORD = re.compile(r"[^\W_]+")
_YEAR = re.compile(r"\b(1[0-9]{3}|20[0-9]{2})\b")
_MAX_TERMS = 12


class OpenLibrarySource(HttpSource):
    """Resolves ISBNs to editions; searches works by title words and the first author's family name."""

    name = "openlibrary"
    url_setting = "openlibrary_url"
    identifiers = frozenset({IdKind.ISBN})
    searchable = True
    search_reads = frozenset({"title", "authors", "isbn"})
    policy = Policy(rate=2.5, concurrency=1)

    async def resolve(self, kind: IdKind, value: str) -> Record | None:
        """The edition with this ISBN; None when Open Library has none (`{}`) or the value is not an ISBN."""
        if kind is not IdKind.ISBN:
            return await super().resolve(kind, value)
        isbn = isbn_digits(value)
        if isbn is None:
            return None
        bibkey = f"ISBN:{isbn}"
        response = await self._get(
            "/api/books",
            params={"bibkeys": bibkey, "format": "json", "jscmd": "data"},
            headers=self._headers(),
        )
        body = self._json(response)
        if not isinstance(body, dict):
            raise SourceUnavailable(self.name, "Books API answer is not a JSON object")
        edition = body.get(bibkey)
        if not isinstance(edition, Mapping):
            return None  # unknown ISBN: the Books API answers {}
        return self._edition(edition, isbn)

    async def search(self, ref: Reference, *, limit: int = 5) -> list[Record]:
        """Works whose titles hold the cited title's words (and, when cited, the first author); [] when none."""
        words = list(dict.fromkeys(_WORD.findall((ref.title or "").lower())))[:_MAX_TERMS]
        if not words:
            return []
        # Words only: the search is Solr, where ":", quotes and parentheses are syntax.
        params: dict[str, Any] = {"title": " ".join(words), "limit": limit, "fields": _FIELDS}
        if ref.authors and (family := " ".join(_WORD.findall(ref.authors[0].family))):
            params["author"] = family
        response = await self._get("/search.json", params=params, headers=self._headers())
        body = self._json(response)
        if not isinstance(body, dict) or not isinstance(body.get("docs"), list):
            raise SourceUnavailable(self.name, "search answer without docs")
        return [self._work(doc, ref.isbn) for doc in objects(body["docs"])][:limit]

    def _edition(self, edition: Mapping[str, Any], isbn: str) -> Record:
        key = clean_text(edition.get("key"))  # "/books/OL10426208M"
        date = clean_text(edition.get("publish_date")) or ""  # free text: "July 28, 2008"
        year = _YEAR.search(date)
        return Record(
            source=self.name,
            source_id=key.rsplit("/", 1)[-1] if key else None,
            type="book",
            title=join_subtitle(clean_text(edition.get("title")), clean_text(edition.get("subtitle"))),
            authors=tuple(Name.parse(n) for a in objects(edition.get("authors")) if (n := clean_text(a.get("name")))),
            year=int(year.group(1)) if year else None,
            publisher=next((p for o in objects(edition.get("publishers")) if (p := clean_text(o.get("name")))), None),
            isbn=isbn,  # the Books API answer is keyed by the ISBN asked for
            url=f"{SITE}{key}" if key else None,
        )

    def _work(self, doc: Mapping[str, Any], cited_isbn: str | None) -> Record:
        key = clean_text(doc.get("key"))  # "/works/OL45804W"
        year = doc.get("first_publish_year")
        isbns = [i for i in (isbn_digits(text_of(x) or "") for x in _list(doc.get("isbn"))) if i]
        return Record(
            source=self.name,
            source_id=key.rsplit("/", 1)[-1] if key else None,
            type="book",
            title=join_subtitle(clean_text(doc.get("title")), clean_text(doc.get("subtitle"))),
            authors=tuple(Name.parse(n) for x in _list(doc.get("author_name")) if (n := clean_text(x))),
            # A work's first publication: the cited edition may be later (a fair difference, not a miscitation).
            year=year if isinstance(year, int) and not isinstance(year, bool) else None,
            publisher=next((p for x in _list(doc.get("publisher")) if (p := clean_text(x))), None),
            isbn=_isbn_of(isbns, cited_isbn),
            url=f"{SITE}{key}" if key else None,
        )

    def _headers(self) -> dict[str, str]:
        # The identifying User-Agent is what earns 3 requests/s instead of 1.
        return {"User-Agent": self._settings.user_agent}


def isbn_digits(value: str) -> str | None:
    """The ISBN without hyphens or spaces (X upper-cased) when it has the shape of an ISBN-10 or -13, else None."""
    text = re.sub(r"[\s\-]", "", value.strip()).upper().removeprefix("ISBN:").removeprefix("ISBN")
    if len(text) == 13 and text.isdigit():
        return text
    if len(text) == 10 and text[:9].isdigit() and (text[9].isdigit() or text[9] == "X"):
        return text
    return None


def isbn13(isbn: str) -> str:
    """The ISBN-13 form of an ISBN (an ISBN-10 gets the 978 prefix and a new check digit)."""
    if len(isbn) != 10:
        return isbn
    core = "978" + isbn[:9]
    check = (10 - sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(core)) % 10) % 10
    return f"{core}{check}"


def _isbn_of(isbns: list[str], cited: str | None) -> str | None:
    """The cited ISBN when the work lists it (in either form), else the work's first ISBN."""
    wanted = isbn_digits(cited) if cited else None
    if wanted and any(isbn13(i) == isbn13(wanted) for i in isbns):
        return wanted
    return isbns[0] if isbns else None


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
