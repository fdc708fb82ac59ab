"""Persistent identifiers found anywhere in a citation: DOI, arXiv id, PMID, PMCID, ISBN, URL.

All finders are pure and tolerant: a malformed identifier is simply not found.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from urllib.parse import unquote

# DOI syntax: "10." + registrant code + "/" + suffix (https://www.doi.org/doi-handbook/HTML/doi-syntax.html).
# The suffix may hold almost anything; we stop at whitespace, quotes and angle brackets.
_DOI = re.compile(r"\b10\.\d{4,9}/[^\s\"<>{}]+", re.IGNORECASE)
# arXiv identifiers (https://info.arxiv.org/help/arxiv_identifier.html): YYMM.NNNN(N) since 2007,
# archive(.subject)/YYMMNNN before; either may carry a version suffix.
_ARXIV_NEW = r"\d{4}\.\d{4,5}(?:v\d+)?"
_ARXIV_OLD = r"[a-z][a-z\-]+(?:\.[A-Z]{2})?/\d{7}(?:v\d+)?"
_ARXIV_ID = rf"(?:{_ARXIV_NEW}|{_ARXIV_OLD})"
_ARXIV = re.compile(
    rf"(?:\barxiv\s*:\s*|arxiv\.org/(?:abs|pdf)/|\b10\.48550/arxiv\.|\bCoRR,?\s+abs/)(?P<id>{_ARXIV_ID})",
    re.IGNORECASE,
)
_ARXIV_BARE = re.compile(rf"(?:arxiv\s*:?\s*)?(?P<id>{_ARXIV_ID})", re.IGNORECASE)
_PMID = re.compile(r"\bPMID\s*:?\s*(\d{1,9})\b", re.IGNORECASE)
_PMCID = re.compile(r"\b(?:PMCID\s*:?\s*)?(PMC\d{3,9})\b", re.IGNORECASE)
_ISBN = re.compile(r"\bISBN(?:-1[03])?\s*:?\s*([0-9][0-9\- ]{8,16}[0-9Xx])\b", re.IGNORECASE)
_ISBN_BARE = re.compile(r"[0-9][0-9\- ]{8,16}[0-9Xx]")
_URL = re.compile(r"\bhttps?://[^\s<>\"]+", re.IGNORECASE)
# Labels that only announce an identifier or a link, left behind once the identifier is cut out.
_DATE = r"(?:[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s+\d{4}|\d{1,2}\s+[A-Z][a-z]{2,8}\.?\s+\d{4}|\d{4}-\d\d-\d\d)"
_LABELS = re.compile(
    rf"(?:\[Online\]\.?|\[(?:cited|accessed|updated)[^\]]*\]|\bAvailable(?:\s+online)?(?:\s+(?:at|from))?:|\bRetrieved\b[^.]*?\bfrom\b|\bURL\s*:"
    rf"|\[?\b(?:Last\s+)?[Aa]ccessed(?:\s+on)?:?\s*{_DATE}\]?\.?|\bdoi\s*:|\bPMID\s*:|\bPMCID\s*:)",
    re.IGNORECASE,
)


# What each pattern cannot match without (in the text case-folded as `_folded` does): most citations carry no
# identifier, and a substring test is much cheaper than running the pattern.
_NEEDS: dict[re.Pattern[str], tuple[str, ...]] = {
    _URL: ("http",),
    _DOI: ("10.",),
    _ARXIV: ("arxiv", "corr"),
    _PMID: ("pmid",),
    _PMCID: ("pmc",),
    _ISBN: ("isbn",),
    _LABELS: ("online", "cited", "accessed", "updated", "available", "retrieved", "url", "doi", "pmid", "pmcid"),
}


def _folded(text: str) -> str:
    """`text` case-folded so that whatever a pattern's IGNORECASE matches still holds its words: IGNORECASE also
    takes the dotless i and the dotted capital I (which case-folds to i and a combining dot) for i."""
    return text.casefold().replace("ı", "i").replace("\u0307", "")


def _may_match(pattern: re.Pattern[str], folded: str) -> bool:
    return any(needed in folded for needed in _NEEDS[pattern])


@dataclass(frozen=True)
class Identifiers:
    """Identifiers of one citation; any may be None."""

    doi: str | None = None
    arxiv: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    isbn: str | None = None
    url: str | None = None


def clean_doi(text: str) -> str | None:
    """A bare, lower-case DOI from `text` ("doi:", resolver URLs and trailing punctuation removed)."""
    match = _DOI.search(unquote(text.strip()))
    return _trim(match.group(0)).lower() if match else None


def _trim(doi: str) -> str:
    """Drop sentence punctuation after a DOI; keep a closing bracket the DOI itself opened: 10.1016/0(04)1-x."""
    while doi and doi[-1] in ".,;:)]}'’”":
        closer = doi[-1]
        opener = {")": "(", "]": "[", "}": "{"}.get(closer)
        if opener and doi.count(opener) >= doi.count(closer):
            break
        doi = doi[:-1]
    return doi


def isbn_valid(isbn: str) -> bool:
    """Whether `isbn` (digits only, X allowed last) passes the ISBN-10 or ISBN-13 checksum."""
    if len(isbn) == 10 and isbn[:9].isdigit() and (isbn[9].isdigit() or isbn[9] in "Xx"):
        total = sum((10 - i) * int(c) for i, c in enumerate(isbn[:9]))
        total += 10 if isbn[9] in "Xx" else int(isbn[9])
        return total % 11 == 0
    if len(isbn) == 13 and isbn.isdigit():
        return sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(isbn)) % 10 == 0
    return False


def clean_isbn(text: str) -> str | None:
    """Digits of a valid ISBN-10/13 (hyphens and spaces removed, X upper-cased), else None."""
    digits = re.sub(r"[\s\-]", "", text).upper()
    return digits if isbn_valid(digits) else None


def clean_arxiv(text: str) -> str | None:
    """An arXiv id from "arXiv:2101.00001v2", an arxiv.org URL, an arXiv DOI or a bare id."""
    text = text.strip()
    match = _ARXIV.search(text) or _ARXIV_BARE.fullmatch(text)
    return match.group("id") if match else None


def find(text: str) -> Identifiers:
    """Every identifier mentioned in a citation (the first of each kind)."""
    folded = _folded(text)
    doi = arxiv = url = None
    for match in _URL.finditer(text) if _may_match(_URL, folded) else ():
        link = _trim(match.group(0))
        if "doi.org/" in link.lower():
            doi = doi or clean_doi(link)
        elif "arxiv.org/" in link.lower():
            arxiv = arxiv or clean_arxiv(link)
            url = url or link
        else:
            url = url or link
    if doi is None and _may_match(_DOI, folded) and _DOI.search(text):
        doi = clean_doi(text)
    arxiv_match = _ARXIV.search(text) if _may_match(_ARXIV, folded) else None
    arxiv = arxiv or (arxiv_match.group("id") if arxiv_match else None)
    if arxiv:
        arxiv = re.sub(r"\.pdf$", "", arxiv)
    pmid = _PMID.search(text) if _may_match(_PMID, folded) else None
    pmcid = _PMCID.search(text) if _may_match(_PMCID, folded) else None
    isbns = _ISBN.finditer(text) if _may_match(_ISBN, folded) else ()
    isbn = next((i for m in isbns if (i := clean_isbn(m.group(1)))), None)
    return Identifiers(
        doi=doi,
        arxiv=arxiv,
        pmid=pmid.group(1) if pmid else None,
        pmcid=pmcid.group(1).upper() if pmcid else None,
        isbn=isbn,
        url=url,
    )


def strip(text: str) -> str:
    """`text` with identifiers, links and their labels ("doi:", "[Online]. Available:") cut out."""
    folded = _folded(text)  # a cut never makes a later pattern's required words: they hold no "\x00"
    for pattern in (_URL, _DOI, _ARXIV, _PMID, _PMCID, _ISBN, _LABELS):
        if _may_match(pattern, folded):
            text = pattern.sub("\x00", text)
    # A cut-out identifier takes the punctuation after it along: "Venue. doi: 10.1/x." -> "Venue."
    if "\x00" in text:
        text = re.sub(r"\s*\x00(?:[\s\x00]*[,.;:](?=\s|$|\x00))*[\s\x00]*", " ", text)
    return " ".join(text.split()).strip(" ,;:")


def parse_bare(text: str) -> Identifiers | None:
    """The identifier that `text` consists of, alone (a DOI, arXiv id, PMID, PMCID, ISBN or URL), else None."""
    text = text.strip().rstrip(".")
    doi_like = re.fullmatch(r"(?:https?://\S+|doi\s*:?\s*\S+|10\.\d{4,9}/\S+)", text, re.IGNORECASE)
    if doi_like and (doi := clean_doi(text)):
        return with_arxiv(Identifiers(doi=doi))
    if re.fullmatch(r"https?://\S+", text, re.IGNORECASE):
        found = find(text)
        return found if found.arxiv else Identifiers(url=text)
    if (arxiv := clean_arxiv(text)) and (_ARXIV_BARE.fullmatch(text) or _ARXIV.fullmatch(text)):
        return Identifiers(arxiv=arxiv)
    if match := re.fullmatch(r"PMID\s*:?\s*(\d{1,9})", text, re.IGNORECASE):
        return Identifiers(pmid=match.group(1))
    if match := re.fullmatch(r"(?:PMCID\s*:?\s*)?(PMC\d{3,9})", text, re.IGNORECASE):
        return Identifiers(pmcid=match.group(1).upper())
    isbn_like = re.fullmatch(r"(?:ISBN(?:-1[03])?\s*:?\s*)?([0-9][0-9\- ]{8,16}[0-9Xx])", text, re.IGNORECASE)
    if isbn_like and (isbn := clean_isbn(isbn_like.group(1))):
        return Identifiers(isbn=isbn)
    return None


def with_arxiv(ids: Identifiers) -> Identifiers:
    """Fill `arxiv` from an arXiv DOI (10.48550/arXiv.ID) when it is not set."""
    if ids.arxiv or not ids.doi or not ids.doi.startswith("10.48550/arxiv."):
        return ids
    match = re.fullmatch(_ARXIV_ID, ids.doi[len("10.48550/arxiv.") :], re.IGNORECASE)
    return replace(ids, arxiv=match.group(0)) if match else ids
