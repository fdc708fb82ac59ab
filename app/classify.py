"""What kind of work a citation names, from its parsed fields and wording. Pure: no I/O.

The kind decides which sources can answer for it: scholarly indexes hold articles, papers and preprints; book
catalogues hold books; news APIs and web archives hold news and web pages; nothing public holds internal reports.
"""

from __future__ import annotations

import re
from enum import StrEnum
from urllib.parse import urlsplit

from app.matching import normalize
from app.models import Reference


class Kind(StrEnum):
    JOURNAL_ARTICLE = "journal-article"
    CONFERENCE_PAPER = "conference-paper"
    PREPRINT = "preprint"
    BOOK = "book"
    CHAPTER = "chapter"
    THESIS = "thesis"
    REPORT = "report"
    NEWS = "news"  # newspaper or magazine article
    WEBPAGE = "webpage"
    SOFTWARE = "software"
    DATASET = "dataset"
    STANDARD = "standard"

    @property
    def scholarly(self) -> bool:
        return self in _SCHOLARLY


_SCHOLARLY = frozenset({Kind.JOURNAL_ARTICLE, Kind.CONFERENCE_PAPER, Kind.PREPRINT, Kind.CHAPTER, Kind.THESIS})

# CSL types that settle the kind on their own (a citation manager's export says what the item is).
_CSL_KINDS = {
    "article-journal": Kind.JOURNAL_ARTICLE,
    "paper-conference": Kind.CONFERENCE_PAPER,
    "book": Kind.BOOK,
    "chapter": Kind.CHAPTER,
    "thesis": Kind.THESIS,
    "report": Kind.REPORT,
    "article-newspaper": Kind.NEWS,
    "article-magazine": Kind.NEWS,
    "webpage": Kind.WEBPAGE,
    "post-weblog": Kind.WEBPAGE,
    "post": Kind.WEBPAGE,
    "software": Kind.SOFTWARE,
    "dataset": Kind.DATASET,
    "standard": Kind.STANDARD,
    "legislation": Kind.STANDARD,
}

# Major news outlets and magazines, with the site that publishes them (used to search web archives).
OUTLETS: dict[str, str] = {
    "the new york times": "nytimes.com",
    "new york times": "nytimes.com",
    "nyt": "nytimes.com",
    "the washington post": "washingtonpost.com",
    "washington post": "washingtonpost.com",
    "the guardian": "theguardian.com",
    "guardian": "theguardian.com",
    "the observer": "theguardian.com",
    "the wall street journal": "wsj.com",
    "wall street journal": "wsj.com",
    "financial times": "ft.com",
    "the economist": "economist.com",
    "economist": "economist.com",
    "bbc news": "bbc.co.uk",
    "bbc": "bbc.co.uk",
    "reuters": "reuters.com",
    "associated press": "apnews.com",
    "ap news": "apnews.com",
    "bloomberg": "bloomberg.com",
    "nbc news": "nbcnews.com",
    "cbs news": "cbsnews.com",
    "abc news": "abcnews.go.com",
    "cnn": "cnn.com",
    "fox news": "foxnews.com",
    "npr": "npr.org",
    "politico": "politico.com",
    "the atlantic": "theatlantic.com",
    "the new yorker": "newyorker.com",
    "time": "time.com",
    "newsweek": "newsweek.com",
    "vox": "vox.com",
    "axios": "axios.com",
    "the hill": "thehill.com",
    "usa today": "usatoday.com",
    "los angeles times": "latimes.com",
    "the times": "thetimes.co.uk",
    "the telegraph": "telegraph.co.uk",
    "the independent": "independent.co.uk",
    "der spiegel": "spiegel.de",
    "le monde": "lemonde.fr",
    "al jazeera": "aljazeera.com",
    "foreign affairs": "foreignaffairs.com",
    "foreign policy": "foreignpolicy.com",
    "wired": "wired.com",
    "forbes": "forbes.com",
    "business insider": "businessinsider.com",
    "the verge": "theverge.com",
    "techcrunch": "techcrunch.com",
    "scientific american": "scientificamerican.com",
    "new scientist": "newscientist.com",
    "mit technology review": "technologyreview.com",
}
_NEWS_DOMAINS = frozenset(OUTLETS.values())
# Think tanks and agencies whose publications are reports, not papers.
_REPORT_PUBLISHERS = re.compile(
    r"\b(brookings|rand corporation|chatham house|council on foreign relations|carnegie endowment|"
    r"pew research|world bank|imf|international monetary fund|oecd|who|world health organization|united nations|"
    r"european commission|gao|congressional research service|institution|institute for)\b",
    re.IGNORECASE,
)
_WORDS = [
    (
        Kind.THESIS,
        re.compile(
            r"\b(ph\.? ?d\.?|doctoral|master'?s) (thesis|dissertation)\b|\bdissertation\b|"
            r"\bthesis\b",
            re.I,
        ),
    ),
    (Kind.STANDARD, re.compile(r"\b(iso|iec|ieee std|ansi|din|en|bs)\s?\d{3,}|\brfc\s?\d+|\bstandard\b", re.I)),
    (
        Kind.REPORT,
        re.compile(
            r"\b(technical|tech\.|research|working|white|policy) (report|paper)\b|"
            r"\breport no\.|\bbrief\b",
            re.I,
        ),
    ),
    (Kind.SOFTWARE, re.compile(r"\b(software|computer program|version \d|v\d+\.\d+|github|gitlab|pypi)\b", re.I)),
    (Kind.DATASET, re.compile(r"\b(data ?set|data repository|zenodo|figshare|dryad)\b", re.I)),
    (Kind.PREPRINT, re.compile(r"\b(arxiv|biorxiv|medrxiv|ssrn|preprint|corr)\b", re.I)),
    (
        Kind.CONFERENCE_PAPER,
        re.compile(
            r"\b(proceedings|proc\.|conference|symposium|workshop|congress)\b|"
            r"\b(neurips|nips|icml|iclr|cvpr|iccv|eccv|acl|emnlp|naacl|aaai|ijcai|kdd)\b",
            re.I,
        ),
    ),
    (Kind.CHAPTER, re.compile(r"\bin\b[^.]*\(eds?\.?\)|\(eds?\.\)|\bchapter\b", re.I)),
    (
        Kind.JOURNAL_ARTICLE,
        re.compile(
            r"\b(journal|transactions|letters|review|annals|bulletin|quarterly|"
            r"vol\.|volume)\b",
            re.I,
        ),
    ),
    (Kind.BOOK, re.compile(r"\b(press|publishers?|publishing|books|edition|ed\.)\b", re.I)),
]


def outlet_site(venue: str | None) -> str | None:
    """The web site of a known news outlet, from its name."""
    if not venue:
        return None
    return OUTLETS.get(normalize(venue).removeprefix("the ").strip()) or OUTLETS.get(normalize(venue))


def classify(ref: Reference) -> Kind:
    """The kind of work, from identifiers, the CSL type, the venue and the wording of the citation."""
    if ref.arxiv:
        return Kind.PREPRINT
    if ref.type in _CSL_KINDS and not (ref.type == "book" and ref.venue and not ref.isbn):
        return _CSL_KINDS[ref.type]
    if outlet_site(ref.venue) or url_site(ref.url):
        return Kind.NEWS
    if ref.isbn and not ref.doi:
        return Kind.CHAPTER if ref.venue and ref.title else Kind.BOOK
    text = " ".join(filter(None, [ref.venue, ref.publisher, ref.raw]))
    if ref.venue and _REPORT_PUBLISHERS.search(ref.venue) and not ref.doi:
        return Kind.REPORT
    for kind, pattern in _WORDS:
        if pattern.search(text):
            return kind
    if ref.url and not (ref.doi or ref.pmid or ref.pmcid or ref.volume or ref.pages):
        return Kind.WEBPAGE
    return Kind.JOURNAL_ARTICLE  # the commonest kind of citation, and the one the most sources cover


def url_site(url: str | None) -> str | None:
    """The news site a URL belongs to, if it is a known outlet's."""
    host = (urlsplit(url).hostname or "").removeprefix("www.") if url else ""
    return next((d for d in _NEWS_DOMAINS if host == d or host.endswith("." + d)), None)
