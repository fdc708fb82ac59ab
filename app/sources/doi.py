"""doi.org, the DOI resolver: content negotiation for CSL-JSON and the registration-agency service.

Also home of the CSL-JSON -> `Record` mapping (and the small text helpers it needs), shared with the Crossref
adapter: Crossref's work JSON is CSL-JSON with arrays where CSL has strings.

doi.org publishes no rate limit. Content negotiation for a Crossref DOI is answered by Crossref itself (a 302
to `api.crossref.org/v1/works/{doi}/transform`), so it counts against the Crossref pool: we send the same
User-Agent with a mailto, which puts those requests in Crossref's polite pool.
https://citation.doi.org/docs.html
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import quote

from app.errors import SourceUnavailable
from app.models import Name, Record
from app.sources.base import HttpSource, IdKind, Policy

CSL_JSON = "application/vnd.citationstyles.csl+json"

# Crossref's type vocabulary (https://api.crossref.org/types) -> CSL 1.0.2 types; CSL names pass through.
_CSL_TYPES = {
    "journal-article": "article-journal",
    "proceedings-article": "paper-conference",
    "posted-content": "article",
    "book-chapter": "chapter",
    "book-section": "chapter",
    "book-part": "chapter",
    "book": "book",
    "monograph": "book",
    "edited-book": "book",
    "reference-book": "book",
    "report": "report",
    "dissertation": "thesis",
    "dataset": "dataset",
}
# Elements only: "x < y" in a title is not a tag. Covers HTML, JATS (<jats:italic>) and MathML (<mml:mi>).
_TAG = re.compile(r"</?[A-Za-z][\w:.-]*(?:\s[^<>]*)?/?>")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$")


def clean_text(value: Any) -> str | None:
    """Markup-free, whitespace-normalised text; the first entry of a list; None when empty."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), None)
    if not isinstance(value, str):
        return None
    if "<" in value or "&" in value:  # only then can there be a tag or an entity (most names and titles: none)
        value = html.unescape(_TAG.sub("", value))
    text = " ".join(value.split())
    return text or None


def join_subtitle(title: str | None, subtitle: str | None) -> str | None:
    """ "Title: Subtitle", unless the subtitle is missing or already part of the title."""
    if not title or not subtitle or subtitle.casefold() in title.casefold():
        return title
    return f"{title}: {subtitle}"


def bare_doi(value: Any) -> str | None:
    """A DOI lower-cased, without `https://doi.org/` or `doi:`."""
    if not isinstance(value, str):
        return None
    doi = _DOI_PREFIX.sub("", value.strip()).strip().lower()
    return doi or None


def arxiv_from_doi(doi: str | None) -> str | None:
    """The arXiv id inside an arXiv DataCite DOI (`10.48550/arxiv.2311.16162`)."""
    match = _ARXIV_DOI.match(doi or "")
    return match.group(1) if match else None


def doi_path(doi: str) -> str:
    """The DOI percent-encoded for a URL path; `/` stays, as resolvers and Crossref expect."""
    return quote(doi, safe="/")


def csl_type(kind: Any) -> str | None:
    """The CSL type for a Crossref or CSL type name."""
    return _CSL_TYPES.get(kind, kind) if isinstance(kind, str) and kind else None


def text_of(value: Any) -> str | None:
    """A scalar (string or number) as stripped text."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return clean_text(value)


def page_range(first: Any, last: Any) -> str | None:
    """ "first-last" from separate page fields; the first page alone when there is no distinct last one."""
    start, end = text_of(first), text_of(last)
    return f"{start}-{end}" if start and end and start != end else start


def as_object(value: Any) -> Mapping[str, Any]:
    """The value when it is a JSON object; {} for anything else (null, missing)."""
    return value if isinstance(value, Mapping) else {}


def objects(value: Any) -> list[Mapping[str, Any]]:
    """The JSON objects in a JSON array; [] for anything else."""
    return [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []


def record_from_csl(data: Mapping[str, Any], source: str, *, score: float | None = None) -> Record:
    """A `Record` from CSL-JSON or a Crossref work (same keys; Crossref wraps titles in arrays)."""
    kind = csl_type(data.get("type"))
    doi = bare_doi(data.get("DOI"))
    venue = clean_text(data.get("container-title"))
    if not venue and kind == "article":
        # Crossref posted-content names its server (bioRxiv, SSRN...) as the institution, not a container.
        venue = next((clean_text(i.get("name")) for i in objects(data.get("institution"))), None)
    return Record(
        source=source,
        source_id=doi,
        type=kind,
        title=join_subtitle(clean_text(data.get("title")), clean_text(data.get("subtitle"))),
        authors=_csl_names(data.get("author")),
        year=_csl_year(data),
        venue=venue,
        volume=text_of(data.get("volume")),
        issue=text_of(data.get("issue")),
        pages=text_of(data.get("page")),
        publisher=clean_text(data.get("publisher")),
        doi=doi,
        arxiv=arxiv_from_doi(doi),
        pmid=text_of(data.get("PMID")),
        pmcid=text_of(data.get("PMCID")),
        isbn=text_of(data.get("ISBN")),
        url=text_of(data.get("URL")),
        # CSL "article": "a preprint, working paper, or other prepublished material" (CSL 1.0.2 spec).
        preprint=kind == "article",
        score=score,
    )


def _csl_names(value: Any) -> tuple[Name, ...]:
    names = []
    for person in objects(value):
        # Organisations: Crossref puts them in `name`, CSL in `literal`.
        fields = (person.get("family"), person.get("given"), person.get("name"), person.get("literal"))
        try:
            name = _csl_name(*fields)
        except TypeError:  # a list where a string belongs (unhashable): read without the cache
            name = _csl_name.__wrapped__(*fields)
        if name is not None:
            names.append(name)
    return tuple(names)


@lru_cache(maxsize=32768)
def _csl_name(family: Any, given: Any, name: Any, literal: Any) -> Name | None:
    """One CSL/Crossref person as a `Name`, cached by its strings: the same records come back in many answers (a
    search per form of a citation, the DOI lookup), and a record may list hundreds of authors."""
    family_text = clean_text(family)
    given_text = clean_text(given) or ""
    literal_text = clean_text(name) or clean_text(literal)
    if family_text:
        return Name(family=family_text, given=given_text)
    if literal_text:
        return Name(family=literal_text)
    if given_text:
        return Name(family=given_text)
    return None


def _csl_year(data: Mapping[str, Any]) -> int | None:
    # `issued` is the citation date; it can be `[[null]]` (IEEE proceedings), so fall back to the others.
    for key in ("issued", "published-print", "published-online", "published", "posted"):
        date = data.get(key)
        if not isinstance(date, Mapping):
            continue
        parts = date.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            year = parts[0][0]
            if isinstance(year, int) or (isinstance(year, str) and year.isdigit()):
                return int(year)
        raw = re.search(r"\b(\d{4})\b", str(date.get("raw") or date.get("literal") or ""))
        if raw:
            return int(raw.group(1))
    return None


class DoiSource(HttpSource):
    """Resolves DOIs of any registration agency through doi.org content negotiation; does not search."""

    name = "doi"
    url_setting = "doi_url"
    identifiers = frozenset({IdKind.DOI})
    searchable = False
    # No published limit for doi.org: stay polite.
    policy = Policy(rate=10.0, concurrency=5)

    async def resolve(self, kind: IdKind, value: str) -> Record | None:
        """The agency's CSL-JSON for the DOI; None when doi.org says it does not exist or is not a DOI."""
        if kind is not IdKind.DOI:
            return await super().resolve(kind, value)
        doi = bare_doi(value)
        if not doi:
            return None
        headers = {"Accept": CSL_JSON, "User-Agent": self._settings.user_agent}
        response = await self._get(f"/{doi_path(doi)}", headers=headers, ok=(200, 400, 404))
        if response.status_code != 200:
            if response.history:  # doi.org redirected, so the DOI exists: the agency failed to answer
                raise SourceUnavailable(self.name, f"agency answered HTTP {response.status_code}")
            return None  # 404 "DOI Not Found" / 400 "Not a DOI", from doi.org itself
        data = self._json(response)
        if not isinstance(data, dict) or "data" in data or not ("title" in data or "DOI" in data):
            # e.g. a DataCite JSON:API document from an agency that ignored Accept
            raise SourceUnavailable(self.name, "answer is not CSL-JSON")
        return record_from_csl(data, self.name)

    async def agency(self, doi: str) -> str | None:
        """The registration agency ("Crossref", "DataCite", "mEDRA"...); None for an unknown/invalid DOI."""
        bare = bare_doi(doi)
        if not bare:
            return None
        response = await self._get(f"/ra/{doi_path(bare)}", headers={"User-Agent": self._settings.user_agent})
        data = self._json(response)
        # [{"DOI": ..., "RA": "Crossref"}], else [{..., "status": "DOI does not exist" | "Invalid DOI"}].
        if isinstance(data, list) and data and isinstance(data[0], dict):
            ra = data[0].get("RA")
            return ra if isinstance(ra, str) and ra else None
        return None
