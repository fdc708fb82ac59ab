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
# Newspaper and magazine mastheads missing from OUTLETS: "The Sydney Morning Herald", "The Daily Star".
_MASTHEAD = re.compile(
    r"(?i)\b(times|post|herald|tribune|gazette|daily|evening|chronicle|courier|telegraph|observer|inquirer|examiner|"
    r"dispatch|newspaper|magazine|news)\b"
)
_JOURNAL_NAME = r"(?i)\b(journal|transactions|letters|review|annals|bulletin|quarterly|proceedings)\b"
# Think tanks and agencies whose publications are reports, not papers.
_REPORT_PUBLISHERS = re.compile(
    r"(?i)\b(brookings|rand corporation|chatham house|council on foreign relations|carnegie endowment|"
    r"pew research|world bank|(?-i:IMF|OECD|WHO|GAO|NBER)|international monetary fund|world health organization|"
    r"united nations|"
    r"european commission|government accountability office|congressional (research service|budget office)|"
    r"national bureau of economic research|national audit office|institution|institute for)\b"
)
_STANDARDS_BODIES = re.compile(
    r"(?i)\b((?-i:ISO|IEC|ANSI|BSI|DIN|CEN|CENELEC|ETSI|ITU-T|IEEE-SA|W3C|IETF)|international organization for "
    r"standardization|international electrotechnical commission|astm international|american national standards "
    r"institute|british standards institution|ieee standards association|internet engineering task force)\b"
)
# The type labels styles print after a title (APA 7 "[Data set]", "[Computer software]"): they say the kind.
_LABELS = [
    (Kind.DATASET, re.compile(r"(?i)\[data ?set\b")),
    (Kind.SOFTWARE, re.compile(r"(?i)\[(computer (software|program)|software|source code|(python|r) package)\b")),
    (Kind.THESIS, re.compile(r"(?i)\[(doctoral dissertation|master'?s thesis|dissertation|thesis)\b")),
    (Kind.PREPRINT, re.compile(r"(?i)\[preprint\]")),
    (Kind.WEBPAGE, re.compile(r"(?i)\[(blog post|web page|website)\]")),
]
# Journals whose name begins with "Proceedings": PNAS, Proc. R. Soc., Proc. IEEE.
_PROCEEDINGS_JOURNALS = re.compile(
    r"(?i)\b(proc(eedings|\.)? (of the )?(natl\.?|national) acad|pnas\b|proceedings of the royal society|"
    r"proc\.? r\.? soc\b|proceedings of the ieee\b(?!\s*(international|conference|symposium|workshop)))"
)
# Preprint servers by name ("bioRxiv", "PsyArXiv", "ChemRxiv", SSRN) or DOI prefix (bioRxiv/medRxiv DOIs are dated).
_PREPRINT = re.compile(r"(?i)\b\w*rxiv\b|\bssrn\b|\bpreprints?\b|\bresearch square\b|(?-i:\bCoRR\b)")
_PREPRINT_DOI = re.compile(
    r"^(10\.1101/\d{4}\.\d\d\.\d\d\.|10\.48550/|10\.2139/ssrn|10\.3123[45]/|10\.31219/|10\.21203/rs\.|"
    r"10\.20944/preprints|10\.26434/chemrxiv)"
)
_REPORT_WORDS = re.compile(
    r"(?i)\b(technical|tech\.|research|working|white|policy|discussion) (report|paper)\b|\btech\.? rep\.|"
    r"\breport no\.|\b(policy|issue|research) brief\b"
)
# Vancouver and IEEE cite a standard by its number first: "ISO 14155:2020. Title", "3GPP TS 38.300, Title".
_STANDARD_FIRST = re.compile(
    r"^\W*(\[\d+\]\s*)?(ISO|IEC|ISO/IEC|IEEE Std|ANSI|ASTM|BS|DIN|EN|3GPP|ETSI|ITU-T|RFC)\b[\s/\w.:-]{0,20}\d"
)
# Strong evidence, read outside the title (a title may well mention a "dataset", "software" or a "thesis").
_STRONG = [
    (Kind.THESIS, re.compile(r"(?i)\b(ph\.? ?d\.?|doctoral|master'?s) (thesis|dissertation)\b|\bthesis\b|\bdiss\.")),
    (Kind.THESIS, re.compile(r"(?i)\bdissertation\b")),
    (
        Kind.STANDARD,
        re.compile(
            r"\b(ISO|IEC|ISO/IEC|IEEE Std|ANSI|DIN|EN|BS|ASTM [A-Z])\s?\d{3,}|\bRFC\s?\d+|(?i:\bstandard\b)|"
            r"\bW3C Recommendation\b|\b3GPP TS\b"
        ),
    ),
    (Kind.REPORT, _REPORT_WORDS),
    (Kind.SOFTWARE, re.compile(r"(?i)\bversion \d|(?<![\w./])v\d+\.\d+")),
    (Kind.PREPRINT, _PREPRINT),
    (Kind.JOURNAL_ARTICLE, _PROCEEDINGS_JOURNALS),
    (
        Kind.CONFERENCE_PAPER,
        re.compile(
            r"(?i)\b(proceedings|proc\.|conference|symposium|workshop|(?<!library of )congress|annual meeting|"
            r"(paper|poster) presented at|advances in neural information processing systems)\b|"
            r"(?-i:\b(NeurIPS|NIPS|ICML|ICLR|CVPR|ICCV|ECCV|ACL|EMNLP|NAACL|AAAI|IJCAI|KDD|SIGIR|CHI|LNCS)\b)"
        ),
    ),
    # "In R. Smith (Ed.), Book", "In: Smith R, editors.", "In Book, edited by", MLA "Book, edited by X, pp. 3-9".
    (
        Kind.CHAPTER,
        re.compile(
            r"(?i)\bin:?\s[^()]{0,200}?(\(eds?\.?\)|,\s(editors?|eds)\b)|\bin\s[^.]{0,200}?\bedited by\b|"
            r"\bedited by\b.{0,200}?\bpp?\.\s*\d|\bchapter\b|\bch\.\s*\d"
        ),
    ),
    (Kind.CHAPTER, re.compile(r",\s+Eds?\.(?=[\s,])")),  # IEEE "Book, B. Editor, Ed."; lower-case "ed." is an edition
]
# Trade and academic publishers whose imprint has no "Press" or "Books" in it.
_TRADE_PUBLISHERS = re.compile(
    r"\b(Knopf|Vintage|Scribner|Riverhead|Doubleday|Viking|Bloomsbury|Hachette|Farrar, Straus|Little, Brown|"
    r"Simon (&|and) Schuster|Random House|HarperCollins|Harper|Penguin|Macmillan|Norton|Routledge|Springer|Wiley|"
    r"Elsevier|Sage|Pearson|McGraw[- ]Hill|Prentice Hall|Addison[- ]Wesley|Cengage|Palgrave|Brill|De Gruyter)\b"
)
# Weaker evidence, read once a journal's locator and the issuer have been ruled out.
_WEAK = [
    (
        Kind.SOFTWARE,
        re.compile(
            r"(?i)\b(software|computer program|source code|github|gitlab|bitbucket|pypi|cran|r package|"
            r"python package|npm|crates\.io)\b"
        ),
    ),
    (
        Kind.DATASET,
        re.compile(
            r"(?i)\b(data ?set|data repository|replication data|zenodo|figshare|dryad|dataverse|pangaea|icpsr|"
            r"kaggle|uci machine learning repository|gbif|openneuro)\b"
        ),
    ),
    (Kind.JOURNAL_ARTICLE, re.compile(_JOURNAL_NAME + r"|\b(vol\.|volume)")),
    (Kind.BOOK, re.compile(r"(?i)\b(press|publishers?|publishing|books|edition|\d+(st|nd|rd|th) edn?\.?)(?!\w)")),
    (Kind.WEBPAGE, re.compile(r"(?i)\b(retrieved|accessed|available at|wikipedia|blog)\b|\bwww\.|\w\.(org|com)/")),
]
_SEMVER = re.compile(r"(?<![\w./])v?\d{1,2}\.\d+\.\d+(?![\w.])")  # "fluxnet-tools v1.2.0": a program's release
# Data repositories by DOI prefix: Dryad, figshare, Dataverse, PANGAEA, ICPSR, GBIF (Zenodo holds code as well).
_DATA_DOI = re.compile(r"(?i)^10\.(5061|6084|7910|1594/pangaea|3886/icpsr|15468)[./]")
_SOFTWARE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "pypi.org", "cran.r-project.org", "npmjs.com")
_DATA_HOSTS = ("kaggle.com", "datadryad.org", "figshare.com", "dataverse.harvard.edu", "pangaea.de")
# CSL types the free-text parser guesses from wording: they count only when nothing stronger was found.
_GUESSED = {"thesis": Kind.THESIS, "report": Kind.REPORT, "paper-conference": Kind.CONFERENCE_PAPER}


def outlet_site(venue: str | None) -> str | None:
    """The web site of a known news outlet, from its name."""
    if not venue:
        return None
    return OUTLETS.get(normalize(venue).removeprefix("the ").strip()) or OUTLETS.get(normalize(venue))


def classify(ref: Reference) -> Kind:
    """The kind of work: from the type a structured export (CSL-JSON, BibTeX, RIS) declares, else from type labels,
    identifiers, the venue and the wording of the citation outside its title. A journal article when nothing tells.
    """
    if _exported(ref) and ref.type in _CSL_KINDS and not (ref.type == "book" and ref.venue and not ref.isbn):
        kind = _CSL_KINDS[ref.type]
        # Zotero and Google Scholar export bioRxiv and arXiv postings as journal articles.
        return Kind.PREPRINT if kind is Kind.JOURNAL_ARTICLE and _preprint_venue(ref) else kind
    full, rest = _texts(ref)
    if label := next((k for k, pattern in _LABELS if pattern.search(full)), None):
        return label
    if (ref.arxiv and not _published(ref)) or (ref.doi and _PREPRINT_DOI.match(ref.doi)):
        return Kind.PREPRINT
    if outlet_site(ref.venue) or url_site(ref.url) or _masthead(ref.venue):
        return Kind.NEWS
    if _STANDARD_FIRST.match(ref.raw or ""):
        return Kind.STANDARD
    for kind, pattern in _STRONG:
        if pattern.search(rest) and not (kind is Kind.PREPRINT and ref.arxiv):  # an arXiv id was judged above
            return kind
    if (ref.volume or ref.issue) and (ref.issue or ref.pages):  # a journal's locator: "12(3)", "12, 45-67"
        return Kind.JOURNAL_ARTICLE
    if _REPORT_WORDS.search(full):  # only in the title: "Teacher workload survey: research report"
        return Kind.REPORT
    if _STANDARDS_BODIES.search(_issuers(ref)):
        return Kind.STANDARD
    if _REPORT_PUBLISHERS.search(_issuers(ref)) and not re.search(r"(?i)\bpress\b", ref.publisher or ""):
        return Kind.REPORT
    if _host_in(ref.url, _SOFTWARE_HOSTS):
        return Kind.SOFTWARE
    if _host_in(ref.url, _DATA_HOSTS) or (ref.doi and _DATA_DOI.match(ref.doi)):
        return Kind.DATASET
    if ref.isbn and not ref.doi:
        return Kind.BOOK
    if _SEMVER.search(full):
        return Kind.SOFTWARE
    # Scholarly citations carry URLs too (APA asks for them): with authors and a venue, a URL is not a web page.
    scholarly_url = bool(ref.authors and ref.venue) and not _SITE_NAME.search(ref.venue or "")
    if hint := next((k for k, p in _WEAK if p.search(rest) and not (k is Kind.WEBPAGE and scholarly_url)), None):
        return hint
    if ref.type in _GUESSED:
        return _GUESSED[ref.type]
    if ref.url and not (scholarly_url or ref.doi or ref.pmid or ref.pmcid or ref.volume or ref.pages):
        return Kind.WEBPAGE
    if _TRADE_PUBLISHERS.search(f"{ref.venue or ''} {ref.publisher or ''}"):  # not authors: "Harper" is a name
        return Kind.BOOK
    if ref.publisher and not (ref.doi or ref.pmid or ref.pmcid or ref.arxiv or ref.volume or ref.pages):
        return Kind.BOOK  # "City: Publisher" with no locator nor identifier, which articles carry
    return Kind.JOURNAL_ARTICLE  # the commonest kind of citation, and the one the most sources cover


_SITE_NAME = re.compile(r"(?i)\b[\w-]+\.(com|org|net|io|gov|edu|info|co)\b|\bwebsite\b|\bblog\b")


def url_site(url: str | None) -> str | None:
    """The news site a URL belongs to, if it is a known outlet's."""
    host = (urlsplit(url).hostname or "").removeprefix("www.") if url else ""
    return next((d for d in _NEWS_DOMAINS if host == d or host.endswith("." + d)), None)


def _exported(ref: Reference) -> bool:
    """Whether the type was declared by an export (CSL-JSON, BibTeX, RIS), not guessed from free text."""
    return ref.raw is None or ref.raw.lstrip().startswith(("@", "TY  -"))


def _texts(ref: Reference) -> tuple[str, str]:
    """(everything the citation says, the same without its title), BibTeX field names left out."""
    raw = ref.raw or ""
    if raw.lstrip().startswith("@"):
        raw = re.sub(r"^\s*@\w+\s*[{(][^,]*,|^\s*[\w-]+\s*=\s*", " ", raw, flags=re.M)
    fields = " ".join(filter(None, [ref.venue, ref.publisher, ref.url, raw]))
    # APA prints report and standard numbers, versions and labels in brackets after the title: keep those.
    title = re.sub(r"(\s*[(\[][^()\[\]]*[)\]])+$", "", ref.title or "")
    rest = fields.replace(title, " ") if title and title in fields else fields
    return f"{ref.title or ''} {fields}", rest


def _issuers(ref: Reference) -> str:
    """Venue, publisher and organisational authors: who issued the work."""
    return " ; ".join(filter(None, [ref.venue, ref.publisher, *(a.family for a in ref.authors if not a.given)]))


def _masthead(venue: str | None) -> bool:
    return bool(venue and _MASTHEAD.search(venue) and not re.search(_JOURNAL_NAME, venue))


def _preprint_venue(ref: Reference) -> bool:
    return bool(ref.venue and _PREPRINT.search(ref.venue)) or bool(ref.doi and _PREPRINT_DOI.match(ref.doi))


def _published(ref: Reference) -> bool:
    """Whether a citation with an arXiv id names a published version: a venue other than a preprint server."""
    if not ref.venue or _preprint_venue(ref):
        return False
    return bool(ref.volume or ref.pages or ref.doi or re.search(r"\d", ref.venue))


def _host_in(url: str | None, domains: tuple[str, ...]) -> bool:
    host = (urlsplit(url).hostname or "").removeprefix("www.") if url else ""
    return any(host == d or host.endswith("." + d) for d in domains)
