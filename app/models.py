"""The domain: what a citation says (`Reference`), what a source holds (`Record`), and what we conclude.

Both `Reference` and `Record` are `Work`s: the same bibliographic fields, so matching compares like with like.
They convert to and from CSL-JSON, the exchange format of the API.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Name(BaseModel):
    """A person or organisation. Organisations and unsplittable names keep everything in `family`."""

    model_config = ConfigDict(frozen=True)

    family: str
    given: str = ""

    @classmethod
    def parse(cls, text: str) -> Name:
        """Split "Family, Given", "Given Family" or "Family GI" (PubMed style) into a `Name`."""
        text = " ".join(text.split()).strip(" ,;")
        if "," in text:
            family, _, given = text.partition(",")
            return cls(family=family.strip(), given=given.strip())
        parts = text.split(" ")
        if len(parts) == 1:
            return cls(family=text)
        # "Smith JA": trailing block of capitals is the initials (NLM / Vancouver form).
        if len(parts) >= 2 and parts[-1].isupper() and len(parts[-1]) <= 3 and not parts[0].isupper():
            return cls(family=" ".join(parts[:-1]), given=parts[-1])
        # Particles belong to the family name: "Ludwig van Beethoven", "Vincent de Paul".
        cut = len(parts) - 1
        while cut > 1 and parts[cut - 1].lower() in _PARTICLES:
            cut -= 1
        return cls(family=" ".join(parts[cut:]), given=" ".join(parts[:cut]))

    def to_csl(self) -> dict[str, str]:
        if not self.given:
            return {"literal": self.family}
        return {"family": self.family, "given": self.given}

    def __str__(self) -> str:
        return f"{self.given} {self.family}".strip()


_PARTICLES = frozenset({"van", "von", "de", "der", "den", "del", "della", "da", "di", "du", "le", "la", "ter", "ten"})


class Work(BaseModel):
    """Bibliographic fields shared by citations and records. Every field is optional: citations are partial."""

    model_config = ConfigDict(frozen=True)

    type: str | None = None  # CSL type: article-journal, paper-conference, book, chapter, report, ...
    title: str | None = None
    authors: tuple[Name, ...] = ()
    year: int | None = None
    venue: str | None = None  # CSL container-title: journal, proceedings, book series
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    publisher: str | None = None
    doi: str | None = None  # lower-cased, without resolver prefix
    arxiv: str | None = None  # without "arXiv:" prefix; may carry a version suffix
    pmid: str | None = None
    pmcid: str | None = None
    isbn: str | None = None
    url: str | None = None

    def to_csl(self) -> dict[str, Any]:
        """The work as CSL-JSON, with empty fields left out."""
        csl: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "author": [a.to_csl() for a in self.authors] or None,
            "issued": {"date-parts": [[self.year]]} if self.year else None,
            "container-title": self.venue,
            "volume": self.volume,
            "issue": self.issue,
            "page": self.pages,
            "publisher": self.publisher,
            "DOI": self.doi,
            "PMID": self.pmid,
            "PMCID": self.pmcid,
            "ISBN": self.isbn,
            "URL": self.url,
            "arxiv": self.arxiv,
        }
        return {k: v for k, v in csl.items() if v not in (None, "", [])}


class Reference(Work):
    """What a citation says, as understood by the parser."""

    raw: str | None = None  # the citation text, when it came as text
    et_al: bool = False  # the author list was cut short ("et al.", "and others")


class Record(Work):
    """A publication as one upstream source holds it."""

    source: str
    source_id: str | None = None
    preprint: bool = False  # arXiv / bioRxiv / CoRR version, not the published one
    score: float | None = None  # the source's own relevance score, when it gives one

    def to_csl(self) -> dict[str, Any]:
        return {**super().to_csl(), "source": self.source}


class Verdict(StrEnum):
    VERIFIED = "verified"
    MISCITED = "miscited"
    NOT_FOUND = "not_found"
    UNVERIFIED = "unverified"


class SourceStatus(StrEnum):
    MATCH = "match"
    NO_MATCH = "no_match"
    ERROR = "error"
    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    SKIPPED = "skipped"


class SourceReport(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    status: SourceStatus
    detail: str | None = None
    calls: int = Field(0, description="Upstream lookups made for this reference (cache hits not counted).")


class Discrepancy(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str
    cited: str | None
    found: str | None


class Result(BaseModel):
    """The answer for one reference, in input order."""

    index: int
    input: str | dict[str, Any]
    reference: dict[str, Any] = Field(description="What was understood, as CSL-JSON.")
    verdict: Verdict
    confidence: float = Field(ge=0, le=1, description="Probability that the verdict is right.")
    match: dict[str, Any] | None = Field(None, description="CSL-JSON of the matched record, with its source.")
    discrepancies: list[Discrepancy] = []
    sources: list[SourceReport] = []
    explanation: str


class Summary(BaseModel):
    total: int
    verified: int = 0
    miscited: int = 0
    not_found: int = 0
    unverified: int = 0

    @classmethod
    def of(cls, results: list[Result]) -> Summary:
        counts = {v.value: sum(r.verdict is v for r in results) for v in Verdict}
        return cls(total=len(results), **counts)


class VerifyResponse(BaseModel):
    results: list[Result]
    summary: Summary
