"""CSL-JSON objects -> `Reference` (https://citeproc-js.readthedocs.io/en/latest/csl-json/markup.html)."""

from __future__ import annotations

import re
from typing import Any

from app.errors import InputError
from app.models import Name, Reference
from app.parsing import identifiers
from app.parsing.normalize import clean

# Keys of which at least one must be present for an object to be taken as CSL-JSON.
_CSL_KEYS = frozenset(
    {
        "title",
        "author",
        "editor",
        "issued",
        "container-title",
        "DOI",
        "URL",
        "ISBN",
        "PMID",
        "PMCID",
        "type",
        "volume",
        "page",
        "publisher",
        "arxiv",
        "event-title",
        "collection-title",
    }
)
_TAGS = re.compile(r"</?(?:i|b|sup|sub|sc|span)(?:\s[^>]*)?>", re.IGNORECASE)


def is_csl(item: dict[str, Any]) -> bool:
    """Whether `item` looks like a CSL-JSON object (has any bibliographic CSL variable)."""
    return any(key in item for key in _CSL_KEYS)


def parse_csl(item: dict[str, Any], *, where: str | None = None) -> Reference:
    """A `Reference` from a CSL-JSON object; InputError if it has no CSL variable at all."""
    if not is_csl(item):
        raise InputError("not a CSL-JSON object: no title, author, issued, DOI or other CSL variable", where=where)
    authors, et_al = _names(item.get("author") or item.get("editor") or [])
    venue = _text(item.get("container-title")) or _text(item.get("event-title")) or None
    ids = _identifiers(item)
    if venue and re.fullmatch(r"arxiv(?:\s+preprint)?", venue, re.IGNORECASE):
        venue = "arXiv"
    return Reference(
        type=_text(item.get("type")) or None,
        title=_text(item.get("title")) or None,
        authors=authors,
        year=_year(item.get("issued")) or _year(item.get("year")),
        venue=venue,
        volume=_text(item.get("volume")) or None,
        issue=_text(item.get("issue")) or None,
        pages=re.sub(r"\s*[-–—]+\s*", "-", _text(item.get("page"))) or None,
        publisher=_text(item.get("publisher")) or None,
        doi=ids.doi,
        arxiv=ids.arxiv,
        pmid=ids.pmid,
        pmcid=ids.pmcid,
        isbn=ids.isbn,
        url=ids.url,
        raw=None,
        et_al=et_al,
    )


def _text(value: Any) -> str:
    """A string variable: lists (Crossref's "container-title": [...]) give their first element; markup dropped."""
    if isinstance(value, list):
        value = value[0] if value else ""
    if value is None or isinstance(value, dict | bool):
        return ""
    return " ".join(_TAGS.sub("", clean(str(value))).split())


def _names(value: Any) -> tuple[tuple[Name, ...], bool]:
    """CSL name objects: family/given with particles, or literal; "others" marks a cut-short list."""
    if isinstance(value, str):
        value = [{"literal": part} for part in re.split(r"\s*;\s*|\s+and\s+", value) if part]
    names: list[Name] = []
    et_al = False
    for person in value if isinstance(value, list) else []:
        if isinstance(person, str):
            person = {"literal": person}
        if not isinstance(person, dict):
            continue
        literal = _text(person.get("literal"))
        family = " ".join(p for p in (_text(person.get("non-dropping-particle")), _text(person.get("family"))) if p)
        given = " ".join(p for p in (_text(person.get("given")), _text(person.get("dropping-particle"))) if p)
        if (literal or family).lower() in ("others", "et al.", "et al"):
            et_al = True
        elif family:
            names.append(Name(family=family, given=given))
        elif literal:
            names.append(Name(family=literal))
        elif given:
            names.append(Name(family=given))
    return tuple(names), et_al


def _year(value: Any) -> int | None:
    """The year of a CSL date: {"date-parts": [[2022, 3]]}, {"raw": "2022-03"}, {"literal": ...} or a plain year."""
    if isinstance(value, dict):
        parts = value.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            value = parts[0][0]
        else:
            value = value.get("raw") or value.get("literal") or value.get("year")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    match = re.search(r"\b(\d{4})\b", str(value)) if isinstance(value, str) else None
    return int(match.group(1)) if match else None


def _identifiers(item: dict[str, Any]) -> identifiers.Identifiers:
    doi = identifiers.clean_doi(_text(item.get("DOI") or item.get("doi")))
    url = _text(item.get("URL") or item.get("url")) or None
    arxiv = None
    for key in ("arxiv", "arXiv", "arxiv_id", "number", "archive_location", "note", "URL"):
        candidate = _text(item.get(key))
        if candidate and (key.lower().startswith("arxiv") or "arxiv" in candidate.lower()):
            arxiv = identifiers.clean_arxiv(candidate)
            if arxiv:
                break
    if url and "doi.org/" in url.lower():
        doi, url = doi or identifiers.clean_doi(url), None  # a resolver link says no more than the DOI
    isbn = next(
        (i for part in re.split(r"[,;]|\s(?=\d{9})", _text(item.get("ISBN"))) if (i := identifiers.clean_isbn(part))),
        None,
    )
    pmid = re.sub(r"\D", "", _text(item.get("PMID"))) or None
    pmcid = _text(item.get("PMCID")).upper() or None
    if pmcid and not pmcid.startswith("PMC"):
        pmcid = f"PMC{pmcid}"
    return identifiers.with_arxiv(
        identifiers.Identifiers(doi=doi, arxiv=arxiv, pmid=pmid, pmcid=pmcid, isbn=isbn, url=url)
    )
