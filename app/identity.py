"""Is this record the cited work? Pure: no I/O.

A record is the cited work when (any one suffices, see `Basis`):
- its title is the cited title (up to case, punctuation, spelling variants and a dropped subtitle), or the
  citation text contains its whole title;
- its title is a word or two off the cited one and the authors agree (a mangled title of the same paper), or a
  typo away and the record's year, journal, volume or pages agree (the names may be misspelt too);
- the citation text carries the record's title words (in any order: noisy or scrambled strings) together with its
  year and first author;
- the citation has no usable title, but its text says where the work stands: a journal's volume and first page, a
  book and the page a chapter starts on, a journal and year with the first author or page, the author in a book
  or at a journal's volume, or two or more co-authors and the exact year. A place identifies a work only when no
  other candidate stands there on as much evidence (`app/decision.py`).
OCR noise (a letter inside a number, a number split by a space, a family name one letter off) neither confirms nor
contradicts. Titles of three words or fewer ("Correspondence", "Editorial") name many works; they also need the
exact year, or the volume and page they stand at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property, lru_cache

from rapidfuzz import fuzz

from app.matching import (
    AuthorComparison,
    compare_authors,
    compare_titles,
    first_page,
    garbled_number,
    misspelt_name,
    names_match,
    normalize,
)
from app.models import Record, Reference
from app.venues import venue_matches

# A title at least this similar, with the authors agreeing, is the cited work under a mangled title.
NEAR_TITLE = 0.75
# A title this similar is the cited one with typos; with two more fields of the record, whoever the authors are.
CLOSE_TITLE = 0.9
# Share of the record's title words a citation text must carry to be that record, with year and author.
TITLE_SHARE = 0.8


class Basis(StrEnum):
    """Why a record is the cited work."""

    TITLE = "title"  # the same title, or the record's whole title in the citation text
    NEAR_TITLE = "near title"  # a title a word or two off, the authors agreeing
    CLOSE_TITLE = "close title"  # a title with a typo, in the record's year and journal, volume or pages
    TITLE_WORDS = "title words"  # the title's words in a noisy string, with year and author or place
    # Where it stands (venue, year, volume, page, author) rather than its title: this holds only when no other
    # record stands there too.
    PLACE = "place"


# The number a reference list puts before an entry ("[12]", "(3)", "7."): not a volume or page of the work.
_LABEL = re.compile(r"^\s*(?:\[\d{1,4}\]|\(\d{1,4}\)|\d{1,3}\.?(?=\s))\s*")
# Titles this short are generic: the same words title many works.
GENERIC_TITLE_WORDS = 3


@dataclass(frozen=True)
class Support:
    """How much of a record's description a citation carries (checked on the text, robust to parse errors)."""

    title_share: float = 0.0
    author: bool | None = None  # None: the record or the citation names no author
    year: bool | None = None
    volume: bool | None = None
    page: bool | None = None
    venue: bool | None = None

    @property
    def agreement(self) -> float:
        """+1 per agreeing field, -1 per contradicting one."""
        return sum(0 if v is None else 1 if v else -1 for v in (self.author, self.year, self.volume, self.page))


@dataclass(frozen=True)
class Candidate:
    """A record judged against the citation (`cited`).

    The author comparison and the basis are worked out when first read: most records a search returns are not the
    cited work, and for those the comparison of author lists (the dearest part of judging) is never needed.
    """

    record: Record
    title_same: bool
    title_similarity: float
    support: Support
    cited: Reference = field(repr=False, compare=False)
    by_identifier: bool = False

    @cached_property
    def authors(self) -> AuthorComparison:
        return compare_authors(self.cited.authors, self.record.authors, et_al=self.cited.et_al)

    @cached_property
    def basis(self) -> Basis | None:
        """Why the record is the cited work; None: it is not."""
        return _basis(self)

    @property
    def same_work(self) -> bool:
        return self.basis is not None

    @property
    def strength(self) -> float:
        return (
            self.title_similarity
            + 0.5 * self.authors.score
            + (0.3 if self.by_identifier else 0.0)
            + 0.2 * self.support.agreement
            + (1.0 if self.same_work else 0.0)
        )


def judge(ref: Reference, record: Record, *, by_identifier: bool = False) -> Candidate:
    """Compare one record with the citation: title identity, field support; author agreement when it matters."""
    same, similarity = _title_relation(ref, record)
    return Candidate(record, same, similarity, _support(ref, record), ref, by_identifier)


def _title_relation(ref: Reference, record: Record) -> tuple[bool, float]:
    if not record.title:
        return False, 0.0
    similarity = 0.0
    if ref.title:
        cmp = compare_titles(ref.title, record.title)
        if cmp.same:
            return True, cmp.similarity
        similarity = max(cmp.similarity, fuzz.token_sort_ratio(normalize(ref.title), normalize(record.title)) / 100)
    if ref.raw:
        words = normalize(record.title)
        if len(words.split()) > GENERIC_TITLE_WORDS and f" {words} " in f" {normalize(ref.raw)} ":
            return True, 1.0
    return False, similarity


def _support(ref: Reference, record: Record) -> Support:
    """Which of the record's fields the citation carries: parsed fields first, the raw text as a fallback."""
    text, tokens, compact, garbled = _text_view(ref.raw or "")
    title_share = 0.0
    if record.title and text:
        words = [w for w in normalize(record.title).split() if len(w) > 2] or normalize(record.title).split()
        found = sum(1 for w in words if w in tokens or (len(w) > 5 and w in compact))
        title_share = found / len(words) if words else 0.0  # a title in a script normalize() drops
    author: bool | None = None
    if record.authors and ref.authors:
        author = any(names_match(ref.authors[0], a) for a in record.authors[:3])
        if not author and any(misspelt_name(ref.authors[0], a) for a in record.authors[:3]):
            # A misspelt first name neither confirms nor contradicts; the next cited names may confirm.
            author = any(names_match(x, a) for x in ref.authors[1:3] for a in record.authors[:4]) or None
    elif record.authors and text:
        author = True if _key(record.authors[0].family) in compact else None
    year: bool | None = None
    if record.year and ref.year:
        year = abs(ref.year - record.year) <= 1
    elif record.year and text:
        year = str(record.year) in compact or None
    padded = f" {text} "
    volume = _field_in(record.volume, ref.volume, tokens, padded, compact, garbled)
    page = _field_in(first_page(record.pages), first_page(ref.pages), tokens, padded, compact, garbled)
    venue = venue_matches(ref.venue, record.venue)
    if not venue and record.venue and compact:
        # Glued or misspelt venue words ("American Journalof PhysiologyMLegacy Content") still read as the venue.
        key = _key(record.venue)
        venue = (len(key) >= 8 and fuzz.partial_ratio(key, compact) >= 90) or venue
    return Support(title_share, author, year, volume, page, venue)


@lru_cache(maxsize=4096)
def _text_view(raw: str) -> tuple[str, frozenset[str], str, tuple[str, ...]]:
    """The citation text as `_support` reads it, once per citation rather than once per candidate: normalised
    words, their set, the words glued together, and the words that may be garbled numbers (digits and letters)."""
    text = normalize(_LABEL.sub("", raw))
    tokens = frozenset(text.split())
    garbled = tuple(t for t in tokens if not t.isdigit() and not t.isalpha())  # words of [0-9a-z]: both kinds
    return text, tokens, text.replace(" ", ""), garbled


def _field_in(
    found: str | None, cited: str | None, tokens: frozenset[str], text: str, compact: str, garbled: tuple[str, ...]
) -> bool | None:
    """The record's value agrees with the parsed one, or stands in the text (the parse may have misplaced it).

    A cited value garbled by OCR noise ("1z" for 13), or a long number split by a stray space ("148 5" for 1485),
    neither confirms nor contradicts.
    """
    if not found:
        return None
    value = normalize(found)
    if (cited and normalize(cited).replace(" ", "") == value.replace(" ", "")) or value in tokens:
        return True
    if " " in value and f" {value} " in text:
        return True
    if not cited or (len(value) >= 3 and value.isdigit() and value in compact):
        return None
    if any(garbled_number(t, found) for t in (cited, *garbled) if t[0].isalnum()):
        return None  # the parse may have split a garbled number ("6P9": issue 6P, page 9)
    return False


def _key(text: str) -> str:
    return normalize(text).replace(" ", "")


def _basis(c: Candidate) -> Basis | None:
    """Why the record is the cited work, or None."""
    ref = c.cited
    s = c.support
    # A short title is generic only when the citation names the work by its title.
    generic = bool(ref.title) and len(normalize(c.record.title or "").split()) <= GENERIC_TITLE_WORDS
    # The journal's volume and first page, or the book and first page, pin the place a work occupies.
    pinned = bool(s.venue and s.page and (s.volume or not c.record.volume))
    exact_year = s.year is True and (ref.year is None or c.record.year == ref.year)
    if generic and (False in (s.year, s.volume, s.page, s.venue) or not (exact_year or pinned)):
        return None  # "Editorial" of another year, volume or journal is another editorial
    if c.title_same:
        return Basis.TITLE
    if c.title_similarity >= NEAR_TITLE:
        authors_agree = bool(ref.authors) and c.authors.first_matches and c.authors.score >= 0.5
        if authors_agree or (c.by_identifier and not ref.authors):
            return Basis.NEAR_TITLE
    places = (s.year, s.volume, s.page, s.venue)
    if c.title_similarity >= CLOSE_TITLE and False not in places and sum(bool(f) for f in places) >= 2:
        return Basis.CLOSE_TITLE  # a typo title where the record stands: the names may be misspelt too
    words_in_text = s.title_share >= TITLE_SHARE and s.author is not False and s.year is not False
    if ref.raw and (pinned or not generic) and words_in_text:
        if s.year:
            # The title's words, the year and nothing contradicting; with an author or a place when either is known.
            agree = bool(s.author) or s.volume is True or s.page is True or (s.author is None and s.volume is None)
        else:
            # The year is unreadable (OCR noise): two other fields of the record must stand in the text.
            agree = sum(bool(f) for f in (s.author, s.volume, s.page, s.venue)) >= 2
        return Basis.TITLE_WORDS if agree else None
    if ref.raw and s.title_share < TITLE_SHARE:
        # No usable title: where the work stands identifies it, with nothing contradicting.
        if False in (s.author, s.year, s.volume, s.page):
            return None
        # Journal, volume and first page; a book and first page; journal, year and author or page.
        if pinned or (s.venue and s.year and (s.author or s.page)):
            return Basis.PLACE
        # The author in that journal volume or at that page, or in that book or proceedings (whatever the year).
        if s.venue and s.author and (s.volume or s.page or not c.record.volume):
            return Basis.PLACE
        # The author's article at that volume, page and year, whatever the journal's spelling.
        if s.author and s.year and s.volume and s.page:
            return Basis.PLACE
        # "Kumar and Kar (2015)": the co-authors' work of that year, when they have only one.
        if not ref.title and s.year and c.record.year == ref.year and c.authors.matched >= 2 and not c.authors.missing:
            return Basis.PLACE
        return None
    return None
