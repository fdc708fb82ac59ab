"""From a citation and the records the sources returned to a verdict. Pure: no I/O, no framework.

Which record is the cited work is decided in `app/identity.py`. Then, each line the reason a librarian would give:
- A title that differs by a word or two while the authors agree is the same work, cited with a wrong title.
- Records of one work from several sources are pooled: a field is wrong only if no version of the work has it.
- A year is right within one year of a version's year (online-first, proceedings volume, preprint); a year in the
  future is always wrong.
- A conference or journal cited for a work that exists only as a preprint is a wrong venue.
- Cited authors absent from the record are wrong; a record listing more authors than were cited (without
  "et al.") means the list was cut, unless the cited names are its first six or more (a style's cut).
- A cited volume or first page that no version carries is wrong; so is a DOI that was never registered or that
  names another work.
- Books come in editions: any year from the first edition on is right.
- Nothing matching, with every consulted source answering, is `not_found`; a failed source is `unverified`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.identity import Basis, Candidate, judge
from app.matching import compare_titles, first_page, normalize, year_fits
from app.models import Discrepancy, Record, Reference, Verdict
from app.venues import is_preprint_venue, venue_matches

__all__ = ["Assessment", "Candidate", "assess", "decide", "judge"]


@dataclass
class Assessment:
    """What the records gathered so far say about the citation."""

    best: Candidate | None
    versions: list[Record] = field(default_factory=list)  # every record of the identified work
    discrepancies: list[Discrepancy] = field(default_factory=list)
    open_fields: list[str] = field(default_factory=list)  # cited fields no record could check yet

    @property
    def identified(self) -> bool:
        return self.best is not None


def assess(
    ref: Reference,
    candidates: Sequence[Candidate],
    *,
    doi_missing: bool = False,
    doi_record: Record | None = None,
    final: bool = False,
    today: dt.date | None = None,
) -> Assessment:
    """Pick the cited work among the candidates and list what the citation gets wrong about it.

    `final` says every source that could hold another version has been asked.
    """
    today = today or dt.date.today()
    same = [c for c in candidates if c.same_work]
    best = max(same, key=lambda c: c.strength, default=None)
    if best is not None and best.basis is Basis.PLACE and any(_rival(ref, c, best) for c in same):
        best = None  # two works stand where the citation points (entries on one page): it does not say which
    found: list[Discrepancy] = []
    if ref.year and ref.year > today.year:
        found.append(Discrepancy(field="year", cited=str(ref.year), found=None))
    if best is None:
        return Assessment(None, discrepancies=found)
    versions = [c.record for c in same if _same_record_family(c, best)]
    open_fields: list[str] = []

    if not best.title_same and ref.title:
        found.append(Discrepancy(field="title", cited=ref.title, found=best.record.title))
    found += _author_discrepancies(ref, [c for c in same if c.record in versions])
    if ref.year and ref.year <= today.year:
        years = [r.year for r in versions if r.year]
        # Books come in editions and printings: any year from the first one on is a real edition's year.
        book = any(r.type == "book" for r in versions) or ref.type == "book"
        if years and not (year_fits(ref.year, years) or (book and ref.year >= min(years))):
            found.append(Discrepancy(field="year", cited=str(ref.year), found=str(_closest(ref.year, years))))
    found += _place_discrepancies(ref, versions)
    venue = _venue_discrepancy(ref, versions, final=final)
    if isinstance(venue, Discrepancy):
        found.append(venue)
    elif venue:
        open_fields.append("venue")
    if ref.doi:
        record_dois = {r.doi for r in versions if r.doi}
        if doi_missing:
            found.append(Discrepancy(field="DOI", cited=ref.doi, found=next(iter(sorted(record_dois)), None)))
        elif doi_record is not None and doi_record not in versions and record_dois and ref.doi not in record_dois:
            found.append(Discrepancy(field="DOI", cited=ref.doi, found=sorted(record_dois)[0]))
    return Assessment(best, versions, found, open_fields)


def _same_record_family(c: Candidate, best: Candidate) -> bool:
    """Versions of one work: identical DOIs, or the same title and first author without conflicting DOIs
    (two published DOIs are two works; a preprint's DOI differs from its published version's)."""
    if c is best:
        return True
    a, b = c.record, best.record
    if a.doi and b.doi:
        if a.doi == b.doi:
            return True
        if not (a.preprint or b.preprint):
            return False
    if a.year and b.year and abs(a.year - b.year) > 2 and not (a.preprint or b.preprint):
        return False
    return bool(a.title and b.title) and compare_titles(a.title or "", b.title or "").same and c.authors.first_matches


def _rival(ref: Reference, c: Candidate, best: Candidate) -> bool:
    """Another work (not a second DOI of the same title) standing in the cited place on as much evidence: as many
    agreeing fields, as many of the cited authors, the year as exactly."""
    if c.basis is not Basis.PLACE or c is best or _same_record_family(c, best):
        return False
    if (c.support.agreement, c.authors.score, c.record.year == ref.year) < (
        best.support.agreement,
        best.authors.score,
        best.record.year == ref.year,
    ):
        return False
    a, b = normalize(c.record.title or ""), normalize(best.record.title or "")
    shorter, longer = sorted((a, b), key=len)
    return not (shorter and (compare_titles(a, b).same or (" " in shorter and f" {shorter} " in f" {longer} ")))


def _place_discrepancies(ref: Reference, versions: Sequence[Record]) -> list[Discrepancy]:
    """Volume and first page, when cited and recorded: wrong only if no version carries the cited value."""
    out = []
    for name, cited, get in (
        ("volume", ref.volume, lambda r: r.volume),
        ("page", first_page(ref.pages), lambda r: first_page(r.pages)),
    ):
        recorded = [v for v in (get(r) for r in versions) if v]
        if cited and recorded and normalize(cited) not in {normalize(v) for v in recorded}:
            out.append(Discrepancy(field=name, cited=cited, found=recorded[0]))
    return out


def _author_discrepancies(ref: Reference, same: Sequence[Candidate]) -> list[Discrepancy]:
    """Authors wrong only when no version of the work lists them (records differ in completeness)."""
    if not ref.authors:
        return []
    with_authors = [c for c in same if c.record.authors]
    if not with_authors:
        return []
    fullest = max(with_authors, key=lambda c: (c.authors.matched, len(c.record.authors)))
    cmp = fullest.authors
    record_names = "; ".join(str(n) for n in fullest.record.authors)
    cited_names = "; ".join(str(n) for n in ref.authors)
    if cmp.missing and not cmp.record_truncated:
        return [Discrepancy(field="author", cited=cited_names, found=record_names)]
    if cmp.uncited_names and not cmp.missing:
        return [Discrepancy(field="author", cited=cited_names + " (list incomplete)", found=record_names)]
    return []


def _closest(year: int, years: Sequence[int]) -> int:
    return min(years, key=lambda y: abs(y - year))


def _venue_discrepancy(ref: Reference, versions: Sequence[Record], *, final: bool) -> Discrepancy | bool:
    """A discrepancy; True while no record can tell yet; False when the venue is right or not cited."""
    if not ref.venue or is_preprint_venue(ref.venue):
        return False  # citing the preprint of a published work is not an error
    published = [r for r in versions if r.venue and not r.preprint and not is_preprint_venue(r.venue)]
    verdicts = [venue_matches(ref.venue, r.venue) for r in published]
    if any(v is True for v in verdicts):
        return False
    if verdicts and all(v is False for v in verdicts):
        return Discrepancy(field="venue", cited=ref.venue, found=published[0].venue)
    preprint_only = not published and any(r.preprint or is_preprint_venue(r.venue) for r in versions)
    if preprint_only and final:
        return Discrepancy(field="venue", cited=ref.venue, found="preprint only (no published version found)")
    return True


def decide(
    ref: Reference,
    assessment: Assessment,
    *,
    failed: Sequence[str],
    consulted: Sequence[str],
    kind: str = "journal-article",
    doi_missing: bool = False,
    closest: Record | None = None,
    notes: Sequence[str] = (),
) -> tuple[Verdict, float, str]:
    """Verdict, confidence and a one-sentence explanation.

    `consulted` holds the sources that answered and whose silence proves absence for this kind of reference.
    """
    wrong = list(dict.fromkeys(d.field for d in assessment.discrepancies))
    extra = "".join(f"; {n}" for n in notes)
    if assessment.best is not None:
        record = assessment.best.record
        where = f"{record.source}" + (f" (DOI {record.doi})" if record.doi else "")
        if wrong:
            verb = "is" if len(wrong) == 1 else "are"
            return (
                Verdict.MISCITED,
                _miscited_confidence(wrong),
                f"The work exists in {where}, but the citation's {', '.join(wrong)} {verb} wrong{extra}.",
            )
        if assessment.open_fields and failed:
            return (
                Verdict.UNVERIFIED,
                0.5,
                f"The work exists in {where}, but its {', '.join(assessment.open_fields)} could not be "
                f"checked because {', '.join(failed)} failed{extra}.",
            )
        return Verdict.VERIFIED, _verified_confidence(assessment), f"Found in {where}, matching the citation{extra}."
    if "year" in wrong:
        return Verdict.MISCITED, 0.9, "The cited year is in the future; no such publication can exist yet."
    near = f'; the closest is "{closest.title}" ({closest.source}{_year(closest)})' if closest else ""
    if failed:
        return (
            Verdict.UNVERIFIED,
            0.5,
            f"No matching record found, but {', '.join(failed)} could not be asked, so absence is not "
            f"proven{near}{extra}.",
        )
    if doi_missing:
        return (
            Verdict.NOT_FOUND,
            0.97,
            f"The cited DOI {ref.doi} was never registered and no matching publication was found{near}.",
        )
    if not consulted:
        return (
            Verdict.UNVERIFIED,
            0.5,
            f"No configured source can prove that a {kind.replace('-', ' ')} does not exist; nothing matching "
            f"was found{near}{extra}.",
        )
    return (
        Verdict.NOT_FOUND,
        _not_found_confidence(consulted),
        f"No matching publication in {', '.join(consulted)}; the reference is likely fabricated{near}{extra}.",
    )


def _year(record: Record) -> str:
    return f", {record.year}" if record.year else ""


# Confidences are class-level probabilities measured on the evaluation kit's dev split (README, "Calibration"):
# each verdict kind was right 98.5-99.9% of the time there; weaker evidence lowers them.


def _verified_confidence(a: Assessment) -> float:
    assert a.best is not None
    score = 0.96 + 0.02 * a.best.authors.score + (0.01 if len(a.versions) > 1 else 0.0)
    return round(min(score, 0.99), 3)


def _miscited_confidence(wrong: Sequence[str]) -> float:
    return 0.98 if len(set(wrong)) == 1 else 0.99


def _not_found_confidence(consulted: Sequence[str]) -> float:
    return round(min(0.98, 0.8 + 0.04 * len(consulted)), 3)
