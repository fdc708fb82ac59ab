"""The pipeline: identify -> route -> look up (concurrently) -> match -> decide.

Identifiers are resolved first (a DOI or arXiv id names one work, cheaply). Then the sources that can answer for
the reference's kind are searched in stages (`app/routing.py`), and the search stops as soon as the cited work is
identified and every cited field has been checked against it. A source that fails is recorded, never read as
absence; identical lookups are answered from the cache or share one call (`app/lookups.py`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from app.cache import Cache
from app.classify import classify
from app.decision import Assessment, Candidate, assess, decide, judge
from app.errors import InputError, SourceError, SourceRateLimited, SourceTimeout
from app.evidence import Evidence
from app.lookups import Answer, Lookups
from app.models import Record, Reference, Result, SourceReport, SourceStatus, Verdict
from app.parsing import parse_item
from app.routing import Route, route
from app.settings import Settings
from app.sources.base import IdKind, Source

T = TypeVar("T")
log = logging.getLogger(__name__)

_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(.+)$", re.IGNORECASE)
_VERSION = re.compile(r"v\d+$")


@dataclass
class Inquiry:
    """Everything learnt about one reference while verifying it."""

    ref: Reference
    route: Route
    candidates: list[Candidate] = field(default_factory=list)
    reports: dict[str, SourceReport] = field(default_factory=dict)
    doi_missing: bool = False
    doi_record: Record | None = None
    searched: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # supporting evidence that is not a record of the work
    calls: dict[str, int] = field(default_factory=dict)  # upstream lookups made, cache hits excluded

    def answered(self, name: str) -> bool:
        """The source was asked and every question to it got an answer."""
        report = self.reports.get(name)
        return report is not None and report.status is SourceStatus.NO_MATCH

    @property
    def failed(self) -> list[str]:
        return [n for n, r in self.reports.items() if r.status not in (SourceStatus.MATCH, SourceStatus.NO_MATCH)]


class Verifier:
    """Verifies references against the configured sources. Holds no per-request state."""

    def __init__(
        self,
        sources: Mapping[str, Source],
        settings: Settings,
        *,
        cache: Cache | None = None,
        today: dt.date | None = None,
        lookups: Lookups | None = None,
    ) -> None:
        self._sources = dict(sources)
        self._settings = settings
        self._today = today
        self._lookups = lookups or Lookups(cache, settings)

    def restricted_to(self, names: Sequence[str]) -> Verifier:
        """The same verifier consulting only the named sources (unknown names are an input error)."""
        unknown = sorted(set(names) - set(self._sources))
        if unknown:
            raise InputError(f"unknown or disabled sources: {', '.join(unknown)}", where="options.sources")
        subset = {n: s for n, s in self._sources.items() if n in names}
        return Verifier(subset, self._settings, today=self._today, lookups=self._lookups)

    async def verify(self, items: Sequence[str | dict[str, Any]]) -> list[Result]:
        """Verify every item concurrently, in input order; an unreadable item is `unverified`, saying why."""
        gate = asyncio.Semaphore(self._settings.concurrency)

        async def one(i: int) -> Result:
            try:
                ref = parse_item(items[i], where=f"references[{i}]")
            except InputError as exc:
                return self.unreadable(exc, index=i, item=items[i])
            async with gate:
                return await self.verify_reference(ref, index=i, item=items[i])

        return list(await asyncio.gather(*(one(i) for i in range(len(items)))))

    def unreadable(self, problem: InputError, *, index: int, item: str | dict[str, Any]) -> Result:
        """The answer for an item that cannot be read as a reference: nothing was looked up."""
        return Result(
            index=index,
            input=item,
            reference={},
            verdict=Verdict.UNVERIFIED,
            confidence=1.0,
            sources=[SourceReport(name=n, status=SourceStatus.SKIPPED) for n in self._sources],
            explanation=f"Nothing to verify: {problem}.",
        )

    async def verify_reference(
        self, ref: Reference, *, index: int = 0, item: str | dict[str, Any] = "", look_in_cache: bool = True
    ) -> Result:
        """Verify a parsed reference; the verdict cached for `item` when there is one (unless the caller already
        looked: `look_in_cache=False`)."""
        if look_in_cache and (cached := await self.cached(item, index)) is not None:
            return cached
        return await self._verify_uncached(ref, index, item)

    async def verify_item(self, item: str | dict[str, Any], *, index: int = 0, look_in_cache: bool = True) -> Result:
        """Verify an item as given; a verdict cached for it is answered without parsing it (a repeated job)."""
        if look_in_cache and (cached := await self.cached(item, index)) is not None:
            return cached
        try:
            ref = parse_item(item, where=f"references[{index}]")
        except InputError as exc:
            return self.unreadable(exc, index=index, item=item)
        return await self._verify_uncached(ref, index, item)

    async def cached(self, item: str | dict[str, Any], index: int) -> Result | None:
        """The verdict cached for the item (as reached with these sources), at `index`; None when there is none."""
        return (await self.cached_many([(index, item)]))[0]

    async def cached_many(self, entries: Sequence[tuple[int, str | dict[str, Any]]]) -> list[Result | None]:
        """`cached` for each (index, item), read at once."""
        asked = [position for position, (_, item) in enumerate(entries) if item]
        verdicts = await self._lookups.verdicts([entries[p][1] for p in asked], list(self._sources)) if asked else []
        results: list[Result | None] = [None] * len(entries)
        for position, verdict in zip(asked, verdicts, strict=True):
            if verdict is not None:
                results[position] = verdict.model_copy(update={"index": entries[position][0]})
        return results

    async def _verify_uncached(self, ref: Reference, index: int, item: str | dict[str, Any]) -> Result:
        result = await self._decide(ref, index, item)
        if item:
            await self._lookups.keep_verdict(item, list(self._sources), result)
        return result

    async def _decide(self, ref: Reference, index: int, item: str | dict[str, Any]) -> Result:
        kind = classify(ref)
        inquiry = Inquiry(ref, route(ref, kind).usable(self._sources))
        try:
            async with asyncio.timeout(self._settings.reference_deadline):
                assessment = await self._investigate(inquiry)
        except TimeoutError:
            for name in self._sources:
                inquiry.reports.setdefault(
                    name, SourceReport(name=name, status=SourceStatus.TIMEOUT, detail="reference deadline passed")
                )
            assessment = self._assess(inquiry, final=False)
        return self._result(inquiry, assessment, index, item)

    async def _investigate(self, inquiry: Inquiry) -> Assessment:
        await self._resolve_identifiers(inquiry)
        assessment = self._assess(inquiry, final=False)
        if self._settled(assessment):
            return assessment
        if inquiry.route.fetch_url or inquiry.route.news_site:
            await Evidence(self._sources, self._ask).gather(inquiry)
            assessment = self._assess(inquiry, final=False)
            if self._settled(assessment):
                return assessment
        for stage in inquiry.route.stages:
            names = [n for n in stage if n not in inquiry.searched]
            await _together([self._search(inquiry, n) for n in names])
            assessment = self._assess(inquiry, final=False)
            if self._settled(assessment):
                return assessment
        return self._assess(inquiry, final=True)

    @staticmethod
    def _settled(a: Assessment) -> bool:
        return a.identified and not a.open_fields

    def _assess(self, inquiry: Inquiry, *, final: bool) -> Assessment:
        return assess(
            inquiry.ref,
            inquiry.candidates,
            doi_missing=inquiry.doi_missing,
            doi_record=inquiry.doi_record,
            final=final,
            today=self._today,
        )

    async def _resolve_identifiers(self, inquiry: Inquiry) -> None:
        ref = inquiry.ref
        jobs: list[Awaitable[object]] = []
        arxiv = ref.arxiv
        if ref.doi and (m := _ARXIV_DOI.match(ref.doi)):
            arxiv = arxiv or m.group(1)
        elif ref.doi:
            jobs.append(self._resolve_doi(inquiry, ref.doi))
        if arxiv:
            jobs.append(self._resolve_arxiv(inquiry, _VERSION.sub("", arxiv)))
        if ref.pmid:
            jobs.append(self._resolve(inquiry, "pubmed", IdKind.PMID, ref.pmid))
        if ref.isbn:
            jobs.append(self._resolve_isbn(inquiry, ref.isbn))
        await _together(jobs)

    async def _resolve_isbn(self, inquiry: Inquiry, isbn: str) -> None:
        """Open Library first (no key needed); Google Books when Open Library does not know the ISBN."""
        if await self._resolve(inquiry, "openlibrary", IdKind.ISBN, isbn) is None:
            await self._resolve(inquiry, "google_books", IdKind.ISBN, isbn)

    async def _resolve_doi(self, inquiry: Inquiry, doi: str) -> None:
        """Crossref first (most DOIs, cheapest); doi.org settles the rest, and its 404 proves non-existence."""
        record = await self._resolve(inquiry, "crossref", IdKind.DOI, doi)
        if record is None and "doi" in self._sources:
            record = await self._resolve(inquiry, "doi", IdKind.DOI, doi)
            if record is None and inquiry.answered("doi"):
                inquiry.doi_missing = True
        inquiry.doi_record = record

    async def _resolve_arxiv(self, inquiry: Inquiry, arxiv_id: str) -> None:
        """arXiv DOIs are registered with DataCite; the arXiv API (one call per 3 s) is the fallback."""
        record = await self._resolve(inquiry, "datacite", IdKind.DOI, f"10.48550/arxiv.{arxiv_id}")
        if record is None and not inquiry.answered("datacite"):
            await self._resolve(inquiry, "arxiv", IdKind.ARXIV, arxiv_id)

    async def _resolve(self, inquiry: Inquiry, name: str, kind: IdKind, value: str) -> Record | None:
        source = self._sources.get(name)
        if source is None or kind not in source.identifiers:
            return None
        answer = await self._ask(
            inquiry, name, self._lookups.resolve(name, kind, value, lambda: source.resolve(kind, value))
        )
        record = answer.value if answer else None
        if record is not None:
            inquiry.candidates.append(judge(inquiry.ref, record, by_identifier=True))
        return record

    async def _search(self, inquiry: Inquiry, name: str) -> None:
        inquiry.searched.append(name)
        source = self._sources[name]
        search = self._lookups.search(name, inquiry.ref, lambda: source.search(inquiry.ref), reads=source.search_reads)
        answer = await self._ask(inquiry, name, search)
        records = answer.value if answer else []
        if name == "wikipedia":  # pages quoting the headline: support, not a record of the work
            inquiry.notes += [f"the headline is quoted on Wikipedia ({r.title})" for r in records][:1]
            return
        for record in records:
            inquiry.candidates.append(judge(inquiry.ref, record))

    async def _ask(self, inquiry: Inquiry, name: str, call: Awaitable[T]) -> T | None:
        """Run one upstream call, recording how the source answered; failures become reports, not absences."""
        try:
            value = await call
        except SourceError as exc:
            inquiry.calls[name] = inquiry.calls.get(name, 0) + 1
            status = (
                SourceStatus.TIMEOUT
                if isinstance(exc, SourceTimeout)
                else SourceStatus.RATE_LIMITED
                if isinstance(exc, SourceRateLimited)
                else SourceStatus.ERROR
            )
            inquiry.reports[name] = SourceReport(name=name, status=status, detail=exc.message)
            return None
        if not (isinstance(value, Answer) and value.cached):
            inquiry.calls[name] = inquiry.calls.get(name, 0) + 1
        # A failure sticks: one unanswered question to a source leaves its absence unproven.
        inquiry.reports.setdefault(name, SourceReport(name=name, status=SourceStatus.NO_MATCH))
        return value

    def _result(self, inquiry: Inquiry, assessment: Assessment, index: int, item: str | dict[str, Any]) -> Result:
        ref = inquiry.ref
        matched_sources = {r.source for r in assessment.versions}
        reports = []
        for name in self._sources:
            report = inquiry.reports.get(name)
            status = report.status if report else SourceStatus.SKIPPED
            if name in matched_sources and status is SourceStatus.NO_MATCH:
                status = SourceStatus.MATCH
            detail = report.detail if report else None
            reports.append(SourceReport(name=name, status=status, detail=detail, calls=inquiry.calls.get(name, 0)))
        answered = {r.name for r in reports if r.status in (SourceStatus.MATCH, SourceStatus.NO_MATCH)}
        verdict, confidence, explanation = decide(
            ref,
            assessment,
            failed=inquiry.failed,
            consulted=[n for n in self._sources if n in answered and n in inquiry.route.authoritative],
            kind=inquiry.route.kind.value,
            doi_missing=inquiry.doi_missing,
            closest=_closest(inquiry),
            notes=inquiry.notes,
        )
        match = _preferred_version(assessment.versions) if assessment.identified else None
        return Result(
            index=index,
            input=item,
            reference=ref.to_csl(),
            verdict=verdict,
            confidence=confidence,
            match=match.to_csl() if match else None,
            discrepancies=assessment.discrepancies,
            sources=reports,
            explanation=explanation,
        )


async def _together(calls: Sequence[Awaitable[object]]) -> None:
    """Run the calls concurrently; a lone call runs in the caller's task (no task to create and schedule)."""
    if len(calls) == 1:
        await calls[0]
    elif calls:
        await asyncio.gather(*calls)


# Registration agencies first: their DOI and metadata are the version of record.
_AUTHORITY = ("crossref", "doi", "datacite", "pubmed", "openalex", "europepmc", "semantic_scholar", "dblp", "arxiv")


def _closest(inquiry: Inquiry) -> Record | None:
    """The nearest candidate that is not the cited work, for a fact-checker to look at."""
    near = [c for c in inquiry.candidates if c.title_similarity >= 0.5]
    return max(near, key=lambda c: c.strength).record if near else None


def _preferred_version(versions: Sequence[Record]) -> Record | None:
    """The record to show as the correct one: a published version with a DOI, from the most authoritative source."""
    if not versions:
        return None
    return min(
        versions,
        key=lambda r: (
            r.preprint,
            r.doi is None,
            _AUTHORITY.index(r.source) if r.source in _AUTHORITY else len(_AUTHORITY),
        ),
    )
