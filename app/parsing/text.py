"""Free-text citations in any common style -> `Reference`.

The citation is cut into authors, year, title and tail (venue and numbers), trying in turn:

1. a quoted title (IEEE, MLA, Chicago, Harvard, news): authors and year before it, venue after it;
2. an author-date marker "(2022)" after a list of names (APA, Harvard, PubMed-like): title is the next sentence;
3. a list of names read from the start: a title follows if the list ends with "." or ":" (Vancouver, NLM,
   plain field dumps) or a year does (Harvard, Chicago); otherwise the style has no title (ACS, AIP,
   Elsevier) and the rest is the venue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.models import Name, Reference
from app.parsing import identifiers
from app.parsing.names import literal_names, read_span, scan
from app.parsing.normalize import squash
from app.parsing.tail import Tail, looks_like_publisher, parse_tail

# "[12]", "(12)", "12." or "12 " before the first author; "12Venue" where PDF extraction ate the space.
_NUMBER = re.compile(r"^\s*(?:\[\d{1,4}\]|\(\d{1,4}\)|\d{1,3}\.(?=\s)|\d{1,3}(?=\s+\S)|\d{1,3}(?=[A-Z][a-z]))\s*")
_BULLET = re.compile(r"^\s*[•·▪‣◦*–-]\s+")
_QUOTED = (
    re.compile(r"“(?P<title>[^”]{2,}?)”"),
    re.compile(r"(?<![\w])\"(?P<title>[^\"]{2,}?)\""),
    re.compile(r"(?:^|(?<=[\s(]))‘(?P<title>.{2,}?)’(?=[\s,.;:]|$)"),
    re.compile(r"(?:^|(?<=\)\s))'(?P<title>.{2,}?)'(?=[,.]\s|$)"),
)
_YEAR_PAREN = re.compile(
    r"\s*\((?:(?P<year>(?:1[5-9]|20)\d\d)[a-z]?(?:,[^()]{0,30})?|n\.\s?d\.|in press|forthcoming)\)[.:,]?",
    re.IGNORECASE,
)
_YEAR_AFTER_NAMES = re.compile(
    r"^(?:\s*[.,]?\s*(?P<year>(?:1[5-9]|20)\d\d)[a-z]?[.:,]|\s+(?P<bare>(?:1[5-9]|20)\d\d)[a-z]?)(?=\s|$)"
)
_YEAR_END = re.compile(r"(?:,\s*|\s+|^)\(?(?:(?P<year>(?:1[5-9]|20)\d\d)[a-z]?|n\.\s?d\.)\)?[.,]?\s*$")
# The end of a plain field dump: ". YEAR. VOLUME. ISSUE. PAGES", any of them empty.
_DUMP_TAIL = re.compile(r"\.\s(?P<year>\d{4})?\.\s[^.\s]*\.\s[^.\s]*\.\s[^.\s]*\s*$")
_ANY_YEAR = re.compile(r"(?<![\d\-–:])(?P<year>(?:1[5-9]|20)\d\d)(?![\d\-–])")
# Words that end in "." without ending a sentence.
_ABBREVIATIONS = frozenset(
    {
        *("vs", "v", "e.g", "i.e", "etc", "al", "fig", "figs", "no", "nos", "vol", "vols", "st", "dr", "mr"),
        *("mrs", "ms", "jr", "sr", "inc", "ltd", "co", "corp", "approx", "ca", "cf", "ed", "eds", "pp", "p"),
        *("op", "sci", "int", "j", "rev"),
    }
)
# A sentence ends at ". " (or "? ") before a capital, a digit, an opening quote or a camel-case word (arXiv).
_SENTENCE_END = re.compile(r"\s?([.?!])[”\"]?\s+(?=[\"“‘(\[]?(?:[A-Z0-9À-Þ]|[a-z]+[A-Z]))")
_CONFERENCE = re.compile(
    r"\b(?:Proc\.?|Proceedings|Conference|Conf\.?|Symposium|Workshop|Congress|Meeting|ICLR|ICML|NeurIPS|NIPS|"
    r"CVPR|ICCV|ECCV|AAAI|IJCAI|ACL|EMNLP|NAACL|COLING|KDD|SIGIR|WWW|AISTATS|UAI|COLT)\b"
)


@dataclass(frozen=True)
class _Parts:
    authors: tuple[Name, ...] = ()
    et_al: bool = False
    year: int | None = None
    title: str | None = None
    tail: str = ""


def parse_citation(raw: str) -> Reference:
    """A `Reference` from one free-text citation. Never fails: what cannot be read stays None."""
    text = _BULLET.sub("", _NUMBER.sub("", squash(raw), count=1), count=1)
    ids = identifiers.with_arxiv(identifiers.find(text))
    body = identifiers.strip(text)
    parts = _quoted(body) or _dumped(body) or _author_date(body) or _listed(body)
    tail = parse_tail(parts.tail)
    year = parts.year or tail.year
    if year is None and (found := _ANY_YEAR.search(body)):
        year = int(found.group("year"))
    venue = tail.venue
    if venue is None and ids.arxiv and re.search(r"\barxiv\b", body, re.IGNORECASE):
        venue = "arXiv"
    return Reference(
        type=_csl_type(body, venue, tail, ids),
        title=parts.title,
        authors=parts.authors,
        year=year,
        venue=venue,
        volume=tail.volume,
        issue=tail.issue,
        pages=tail.pages,
        publisher=tail.publisher,
        doi=ids.doi,
        arxiv=ids.arxiv,
        pmid=ids.pmid,
        pmcid=ids.pmcid,
        isbn=ids.isbn,
        url=ids.url,
        raw=raw,
        et_al=parts.et_al,
    )


def _quoted(body: str) -> _Parts | None:
    """IEEE, MLA, Chicago, Harvard, news: the title is the first quoted phrase preceded only by names/date."""
    for start, end, title in _quotations(body):
        if re.match(r"\s*:\s*\w", body[end:]):
            continue  # “Why Should I Trust You?”: Explaining ... — the quote opens the title
        before = body[:start]
        year = None
        if (paren := _YEAR_PAREN.search(before)) and not before[paren.end() :].strip(" .,"):
            year, before = _year(paren), before[: paren.start()]
        elif year_end := _YEAR_END.search(before):
            year, before = _year(year_end), before[: year_end.start()]
        found = read_span(before)
        if found is None:
            if re.search(r"\d|[.!?]\s+\S+\s+\S+", before) or len(before.split()) > 12:
                continue  # a quotation inside a title or a venue
            found = literal_names(before), False
        return _Parts(found[0], found[1], year, _clean_title(title), body[end:])
    return None


def _quotations(body: str) -> list[tuple[int, int, str]]:
    """(start, end, text) of quoted phrases: “balanced” pairs first, then "straight" and ‘single’ quotes."""
    found = []
    depth, start = 0, -1
    for i, char in enumerate(body if "“" in body else ""):
        if char == "“":
            depth, start = depth + 1, (i if depth == 0 else start)
        elif char == "”" and depth:
            depth -= 1
            if depth == 0 and i - start > 2:
                found.append((start, i + 1, body[start + 1 : i]))
    for pattern in _QUOTED[1:]:
        found.extend((m.start(), m.end(), m.group("title")) for m in pattern.finditer(body))
    return found


def _author_date(body: str) -> _Parts | None:
    """APA and author-date styles: "Names (2022). Title. Venue".

    With no author, APA moves the title before the date: "Title. (2022). Venue".
    """
    paren = _YEAR_PAREN.search(body)
    if not paren:
        return None
    span = body[: paren.start()]
    # "Subject Index. (2000)." is a title; "Guy A. Tanonkou. (2006)." and "Lifeng He, & Yuyan Chao." are authors.
    names_likely = not re.search(r"[.?!]\s*$", span) or re.search(r"\b[A-Z]\.|&|\band\b|,", span)
    found = read_span(span, given_first=bool(names_likely))
    if found is None and len(span.split()) == 1 and not re.search(r"[A-Za-z]", span):
        found = literal_names(span), False  # a name in a script written without spaces: 赵可沦
    if found is None:
        if _sentence_end(span.strip()):
            return None  # "Title. More (2019) words": the date is inside a sentence
        if not names_likely:
            return _Parts((), False, _year(paren), _clean_title(span), body[paren.end() :])
        if re.search(r"\d", span) or not body[paren.end() :].strip(" .,;:"):
            return None  # "Venue 11, 2551 (2004)." (AIP, Elsevier): the date closes the citation
        # Names the reader does not fully understand ("R., M. B., Tewari, A."): keep what it reads.
        scanned = scan(span)
        found = (scanned.names or literal_names(span)), scanned.et_al
    title, tail = _first_sentence(body[paren.end() :], title_expected=True)
    return _Parts(found[0], found[1], _year(paren), title, tail)


def _dumped(body: str) -> _Parts | None:
    """Fields joined by ". ": "Authors. Title. Venue. 2017. 69. 7. 1125-1134" (empty fields stay as ". .")."""
    numbers = _DUMP_TAIL.search(body)
    if not numbers:
        return None
    head = body[: numbers.start()]
    found = scan(head)
    rest = head[found.end :].lstrip(" .,:")
    venue = ""
    if not rest.rstrip().endswith(".") and (end := _last_sentence_end(rest)):
        rest, venue = rest[: end[0]], rest[end[1] :]
    year = int(numbers.group("year")) if numbers.group("year") else None
    return _Parts(found.names, found.et_al, year, _clean_title(rest), f"{venue}{body[numbers.start() :]}")


def _listed(body: str) -> _Parts:
    """Names read from the start; then an optional year, an optional title, and the tail."""
    found = scan(body)
    rest = body[found.end :]
    year = None
    if marker := _YEAR_PAREN.match(rest) or _YEAR_AFTER_NAMES.match(rest):
        year, rest = _year(marker), rest[marker.end() :]
    ended = bool(re.match(r"\s*[.:]", rest)) or body[: found.end].endswith(":")
    nlm_dot = bool(found.names) and re.search(r"\s(?:[A-Z]\.){1,4}$", body[: found.end]) is not None
    rest = rest.strip(" .,;:")
    if year is not None or (not found.names and body.lstrip().startswith(".")):
        title, tail = _first_sentence(rest, title_expected=True)
    elif ended or nlm_dot or not found.names:
        title, tail = _first_sentence(rest, title_expected=False)
    elif (end := _sentence_end(rest)) and looks_like_publisher(rest[end[1] :]):
        title, tail = _clean_title(rest[: end[0]]), rest[end[1] :]  # a book: "J. Smith, Title. City: Press"
    else:
        title, tail = None, rest  # ACS, AIP, Elsevier: names, then the venue straight away
    return _Parts(found.names, found.et_al, year, title, tail)


def _first_sentence(text: str, *, title_expected: bool) -> tuple[str | None, str]:
    """Split "Title. Rest" at the first sentence end; a lone sentence is a title only when one is expected."""
    text = text.strip(" .,;:")
    if not text:
        return None, ""
    end = _sentence_end(text)
    if end is not None:
        return _clean_title(text[: end[0]]), text[end[1] :]
    if title_expected or not _looks_like_venue(text):
        return _clean_title(text), ""
    return None, text


def _sentence_end(text: str) -> tuple[int, int] | None:
    """(end of the first sentence, start of the next), skipping initials and abbreviations.

    "?" and "!" end a title only when no "." sentence end follows: "Is X Hard? A Study. Venue".
    """
    question = None
    for match in _SENTENCE_END.finditer(text):
        before = text[: match.start()]
        if before.count("(") > before.count(")") or before.count("[") > before.count("]"):
            continue  # inside brackets: "(Parkia biglobosa Jacq. Benth)"
        if text[: match.end()].count("“") > text[: match.end()].count("”"):
            continue  # inside a quotation within the title
        if match.group(1) in "?!":
            question = question or (match.start(1) + 1, match.end())
            continue
        word = before.split()[-1] if before.split() else ""
        if re.fullmatch(r"[A-Z]|(?:[A-Za-z]\.)+[A-Za-z]", word) or word.lower() in _ABBREVIATIONS:
            continue
        return match.start(), match.end()
    return question


def _last_sentence_end(text: str) -> tuple[int, int] | None:
    """The last ". " that ends a sentence, whatever the case of the next word (venues: "physica status solidi")."""
    ends = [
        (m.start(), m.end())
        for m in re.finditer(r"\.\s+(?=\S)", text)
        if not re.search(r"(?:^|\s)(?:[A-Z]|(?:[A-Za-z]\.)+[A-Za-z]|et al)$", text[: m.start()])
    ]
    return ends[-1] if ends else None


def _looks_like_venue(text: str) -> bool:
    """A lone sentence with volume/pages/year numbers and a short name: "Lancet 2004, 363:1965-1976"."""
    tail = parse_tail(text)
    numbered = tail.volume or tail.pages or tail.year
    return bool(numbered) and (tail.venue is None or len(tail.venue.split()) <= 8)


def _clean_title(title: str) -> str | None:
    title = re.sub(r"\s*\[(?:Internet|Abstract|Editorial|Letter|Review|in [A-Z]\w+)\]", "", title)
    title = re.sub(r"\s*\((?:\d+(?:st|nd|rd|th)|[Rr]ev\.?|[Rr]evised) ed(?:n|ition)?\.?\)", "", title)
    title = title.strip(" ,;:")
    title = re.sub(r"(?<=[?!])\.$", "", title)
    title = title.rstrip(" ,.;:") if not title.endswith("..") else title
    return title or None


def _year(match: re.Match[str]) -> int | None:
    year = match.group("year") or match.groupdict().get("bare")
    return int(year) if year else None


def _csl_type(body: str, venue: str | None, tail: Tail, ids: identifiers.Identifiers) -> str | None:
    """A CSL type guessed from the wording: conference, thesis, report, preprint, book or journal article."""
    if re.search(r"\b(?:thesis|dissertation)\b", body, re.IGNORECASE):
        return "thesis"
    if re.search(r"\b(?:Tech(?:nical)?\.? Rep(?:ort)?\.?|Working Paper)\b", body, re.IGNORECASE):
        return "report"
    if tail.in_proceedings or (venue and _CONFERENCE.search(venue)):
        return "paper-conference"
    if ids.arxiv and (venue is None or venue.lower() == "arxiv"):
        return "article"
    if venue and (tail.volume or tail.pages):
        return "article-journal"
    if venue is None and (ids.isbn or tail.publisher):
        return "book"
    return None
