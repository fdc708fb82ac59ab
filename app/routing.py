"""Which sources can answer for a reference, in what order, and whose silence proves absence. Pure: no I/O.

A source is *authoritative* for a kind when a work of that kind that exists would almost surely be in it: a
fruitless search there is evidence of fabrication. Other sources only add positive evidence. When no
authoritative source for the kind is configured, absence proves nothing and the verdict stays `unverified`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from app.classify import Kind, outlet_site, url_site
from app.models import Reference

SCHOLARLY = frozenset(
    {"crossref", "doi", "datacite", "openalex", "semantic_scholar", "arxiv", "dblp", "pubmed", "europepmc"}
)
BOOKS = frozenset({"openlibrary", "google_books"})
# News APIs and the outlet each speaks for.
NEWS_APIS = {"theguardian.com": "guardian", "nytimes.com": "nyt"}

# One source per stage, stopping once the work is identified and checked: most references settle on the first or
# second source, which keeps the upstream calls per reference low. OpenAlex holds the widest catalogue and ANDs
# title words (a miss is informative); Crossref's bibliographic matcher reads whole citation strings; Semantic
# Scholar, DBLP and Europe PMC cover what the others lack (proceedings venues, CS, biomedicine).
TITLE_STAGES: tuple[tuple[str, ...], ...] = (
    ("openalex",),
    ("crossref",),
    ("semantic_scholar",),
    ("dblp",),
    ("europepmc",),
)
# A citation given as text goes to Crossref's matcher first: it ranks on every field of the string (year, volume,
# pages), which tells apart works sharing a title, and it returns the DOI of record.
TEXT_STAGES: tuple[tuple[str, ...], ...] = (
    ("crossref",),
    ("openalex",),
    ("semantic_scholar",),
    ("dblp",),
    ("europepmc",),
)
# A citation without a recognisable title: only Crossref's matcher reads a whole string.
RAW_STAGES: tuple[tuple[str, ...], ...] = (("crossref",),)


@dataclass(frozen=True)
class Route:
    kind: Kind
    stages: tuple[tuple[str, ...], ...] = ()
    authoritative: frozenset[str] = frozenset()
    news_site: str | None = None  # the outlet's web site, for archive searches
    fetch_url: bool = False  # read the cited page itself

    def usable(self, available: Collection[str]) -> Route:
        """The route restricted to the configured sources."""
        stages = tuple(s for s in (tuple(n for n in stage if n in available) for stage in self.stages) if s)
        return Route(self.kind, stages, self.authoritative & frozenset(available), self.news_site, self.fetch_url)


def route(ref: Reference, kind: Kind) -> Route:
    """The lookup plan for a reference of this kind."""
    if ref.title:
        scholarly = TEXT_STAGES if ref.raw else TITLE_STAGES
    else:  # a bare identifier has nothing else to search with
        scholarly = RAW_STAGES if ref.raw and (ref.authors or ref.venue) else ()
    if kind in (Kind.NEWS, Kind.WEBPAGE):
        site = outlet_site(ref.venue) or url_site(ref.url)
        api = NEWS_APIS.get(site or "")
        # The outlet's own archive API speaks for it; Wikipedia quoting the headline is supporting evidence only.
        # A web search (SearXNG, when configured) finds the article on the outlet's site by its exact headline.
        searches: tuple[tuple[str, ...], ...] = (("searxng",), ("wikipedia",)) if ref.title else ()
        stages: tuple[tuple[str, ...], ...] = (((api,),) if api else ()) + searches
        # An authored page may be a paper's landing page; a magazine article with volume and page is indexed
        # like a journal's (Scientific American, New Scientist carry DOIs).
        if (kind is Kind.WEBPAGE and ref.authors) or ref.volume or ref.pages or ref.doi:
            stages += scholarly
        authoritative = frozenset({api}) if api else frozenset()
        if ref.url:  # a cited URL that does not answer and was never archived did not exist
            authoritative |= {"web", "wayback"}
        return Route(kind, stages, authoritative, news_site=site, fetch_url=bool(ref.url))
    if kind is Kind.BOOK:
        return Route(kind, (*scholarly[:1], tuple(BOOKS), *scholarly[1:]) if ref.title else scholarly, BOOKS)
    if kind is Kind.CHAPTER:
        return Route(kind, scholarly + ((tuple(BOOKS),) if ref.title else ()), SCHOLARLY | BOOKS)
    if kind in (Kind.DATASET, Kind.SOFTWARE):
        return Route(kind, (("datacite",), *scholarly) if ref.title else scholarly)
    if kind in (Kind.REPORT, Kind.STANDARD, Kind.THESIS):
        # Indexed when they carry a DOI; many do not, so silence here proves nothing.
        return Route(kind, scholarly)
    return Route(kind, scholarly, SCHOLARLY)
