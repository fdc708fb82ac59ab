"""The part of a citation after the title: venue, then volume, issue, pages and year in any common notation.

    Venue, 12(3), 45–67.                 APA, Harvard ("pp. 45–67")
    Venue, vol. 12, no. 3, pp. 45–67, 2022.   IEEE, MLA
    Venue 12 (3): 45–67.                 Chicago
    Venue. 2022;12(3):45-67.             Vancouver / NLM; "Venue 2022, 12:45-67" in BMC journals
    Venue 2022, 12, 45–67.               ACS
    Venue 12, 45 (2022).  Venue 12 (2022) 45.   AIP, Elsevier
    Venue 54.3 (2022): 45–67.            MLA 7
    Venue. 2022. 12. 3. 45-67            plain field dumps

The venue is the text before the trailing run of numeric tokens; the run is read atom by atom.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?|spring|summer|fall|autumn|winter"
_LABEL = r"(?:vol|volume|no|nos|issue|iss|pp|p|pages?|art|article|suppl|supplement|ed|edn|edition|n\.d)\.?"
# A token belongs to the numeric run if, stripped of brackets and punctuation, it holds a digit, a label
# ("vol.", "pp."), a month, or nothing at all (a stray ".").
_NUMERIC_TOKEN = re.compile(rf"^(?:.*\d.*|{_LABEL}|{_MONTH}|)$", re.IGNORECASE)
_PUBLISHER = re.compile(
    r"\b(?:Press|Publish(?:er|ers|ing)|Verlag|Springer|Wiley|Elsevier|Routledge|Sage|Macmillan|Pearson"
    r"|McGraw|Penguin|Random House|HarperCollins|Academic|O'Reilly|Birkhäuser|CRC|Norton|Blackwell)\b"
)
_PLACE_PUBLISHER = re.compile(r"^(?P<place>[A-Z][\w .,'’-]{1,40}?):\s+(?P<publisher>[A-Z].*)$")

_VOLUME = re.compile(r"\bvol(?:ume)?\.?\s*([A-Za-z]?\d+[\w\-–/]*)", re.IGNORECASE)
_ISSUE = re.compile(r"\b(?:no|nos|issue|iss)\.?\s*([A-Za-z]?\d+[\w\-–/]*)", re.IGNORECASE)
_RANGE = r"[A-Za-z]{0,2}\d+[A-Za-z]?(?:\.\d+)?(?:\s*[-–—]+\s*[A-Za-z]{0,2}\d+[A-Za-z]?(?:\.\d+)?)?"
_PAGES = re.compile(rf"\b(?:pp?|pages?|art(?:icle)?\.?\s*(?:no)?)\.?\s*({_RANGE})", re.IGNORECASE)
_ATOM = re.compile(
    rf"(?P<colon>:\s*)?(?:\((?P<paren>[^()]*)\)|(?P<value>{_RANGE}))",
)
_YEAR = re.compile(r"(1[5-9]\d\d|20\d\d)[a-z]?")


@dataclass(frozen=True)
class Tail:
    """What the text after the title says; every field may be None."""

    venue: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    year: int | None = None
    publisher: str | None = None
    in_proceedings: bool = False


def parse_tail(text: str) -> Tail:
    """Venue, volume, issue, pages, year and publisher from the text that follows a title."""
    text = text.strip(" .,;:")
    in_proceedings = bool(re.match(r"in\b:?", text, re.IGNORECASE))
    text = re.sub(r"^in\b:?\s*", "", text, flags=re.IGNORECASE)
    tokens = text.split()
    cut = len(tokens)
    while cut > 0 and _NUMERIC_TOKEN.match(tokens[cut - 1].strip("()[],.;:")):
        cut -= 1
    head = " ".join(tokens[:cut]).strip(" ,;:")
    numbers = _numbers(" ".join(tokens[cut:]))
    venue, publisher = _venue_publisher(head)
    return Tail(
        venue=venue,
        volume=numbers["volume"],
        issue=numbers["issue"],
        pages=numbers["pages"],
        year=int(numbers["year"]) if numbers["year"] else None,
        publisher=publisher,
        in_proceedings=in_proceedings,
    )


def looks_like_publisher(text: str) -> bool:
    """Whether `text` names a publisher ("MIT Press", "Cambridge, MA: Example Press, 2016")."""
    return bool(_PUBLISHER.search(text) or _PLACE_PUBLISHER.match(text.strip()))


def _venue_publisher(head: str) -> tuple[str | None, str | None]:
    head = re.sub(r"\s*\((?:pp?\.|[Ee]ds?\.)[^)]*\)$", "", head).strip(" ,;:")
    if not head:
        return None, None
    # "Venue. Publisher" or "City: Publisher" after the venue: books and proceedings volumes.
    venue, publisher = head, None
    sentences = re.split(r"(?<=[a-z)]{2})\.\s+(?=[A-Z])", head)
    if len(sentences) > 1 and _PUBLISHER.search(sentences[-1]):
        venue, publisher = ". ".join(sentences[:-1]), sentences[-1]
    elif place := _PLACE_PUBLISHER.match(venue):
        if _PUBLISHER.search(place.group("publisher")) or len(sentences) == 1:
            venue, publisher = "", place.group("publisher")
    elif _PUBLISHER.search(venue) and len(sentences) == 1 and "," not in venue:
        venue, publisher = "", venue
    if re.fullmatch(r"arxiv(?: preprint)?|arxiv e-prints", venue, re.IGNORECASE):
        venue = "arXiv"
    venue = re.sub(r",?\s*(?:vol|no)\.?$", "", venue, flags=re.IGNORECASE).strip(" ,;:")
    # Keep the final dot of an abbreviated title ("J. Geophys. Res."), drop a sentence's ("Icarus.").
    if venue.endswith(".") and not re.search(r"\b[A-Z][a-z]{0,5}\.\s", venue):
        venue = venue.rstrip(". ")
    return venue or None, (publisher.strip(" .,;:") if publisher else None)


def _numbers(run: str) -> dict[str, str | None]:
    """Year, volume, issue and pages from the numeric run ("2022;12(3):45-67", "vol. 3, pp. 1–9")."""
    out: dict[str, str | None] = {"volume": None, "issue": None, "pages": None, "year": None}
    for key, pattern in (("volume", _VOLUME), ("issue", _ISSUE), ("pages", _PAGES)):
        if match := pattern.search(run):
            out[key] = _dash(match.group(1))
            run = run[: match.start()] + " " + run[match.end() :]
    if paren_year := re.search(r"\((1[5-9]\d\d|20\d\d)[a-z]?\)", run):
        out["year"] = paren_year.group(1)
    bare: list[str] = []
    last_bare: str | None = None
    for atom in _ATOM.finditer(run):
        paren, value = atom.group("paren"), atom.group("value")
        if paren is not None:
            paren = paren.strip()
            if _YEAR.fullmatch(paren) or re.fullmatch(_MONTH, paren, re.IGNORECASE) or not paren:
                continue
            if out["issue"] is None:
                out["issue"] = paren  # "12(3)": the issue of the volume before it
                if last_bare is not None and out["volume"] is None:
                    out["volume"] = last_bare
                    bare.remove(last_bare)
            last_bare = None
            continue
        if atom.group("colon") and out["pages"] is None:
            out["pages"] = _dash(value)
            if last_bare is not None and out["volume"] is None:
                out["volume"] = last_bare  # "7:1058-1067": volume, then pages after the colon
                bare.remove(last_bare)
        elif out["year"] is None and _YEAR.fullmatch(value):
            out["year"] = value[:4]
        elif re.search(r"[-–—]", value) and out["pages"] is None:
            out["pages"] = _dash(value)
        elif (dotted := re.fullmatch(r"(\d{1,4})\.(\d{1,3})", value)) and out["volume"] is None:
            out["volume"], out["issue"] = dotted.group(1), out["issue"] or dotted.group(2)
        else:
            bare.append(value)
            last_bare = value
            continue
        last_bare = None
    _fill_from_bare(out, bare)
    return out


def _fill_from_bare(out: dict[str, str | None], bare: list[str]) -> None:
    """Unlabelled numbers in order: volume, issue, pages (two numbers: volume and pages)."""
    slots = ["volume", "pages"] if out["pages"] is None and len(bare) == 2 else ["volume", "issue", "pages"]
    for value in bare:
        while slots and out[slots[0]] is not None:
            slots.pop(0)
        if not slots:
            break
        out[slots.pop(0)] = value


def _dash(pages: str) -> str:
    """ "45 – 67" -> "45-67": one hyphen-minus between page numbers."""
    return re.sub(r"\s*[-–—]+\s*", "-", pages.strip())
