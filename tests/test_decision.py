"""The verdict rules, one per hallucination type and per real-record variation, on hand-made records."""

from __future__ import annotations

import datetime as dt

from pytest import MonkeyPatch

from app import identity
from app.decision import Assessment, assess, decide, judge
from app.models import Name, Record, Reference, Verdict

TODAY = dt.date(2026, 11, 27)
AUTHORS = (
    Name(family="Lim", given="Jongin"),
    Name(family="Kim", given="Youngdong"),
    Name(family="Ahn", given="Chanho"),
)
PAPER = Record(
    source="crossref",
    title="BiasAdv: Bias-Adversarial Augmentation for Model Debiasing",
    authors=AUTHORS,
    year=2023,
    venue="2023 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)",
    doi="10.1109/cvpr52729.2023.00373",
    type="paper-conference",
)
CITED = Reference(title=PAPER.title, authors=AUTHORS, year=2023, venue="CVPR", doi=PAPER.doi)


def verdict_of(ref: Reference, *records: Record, final: bool = True, **kw: object) -> tuple[Verdict, Assessment]:
    a = assess(ref, [judge(ref, r) for r in records], final=final, today=TODAY, **kw)  # type: ignore[arg-type]
    verdict, _, _ = decide(ref, a, failed=[], consulted=["crossref", "openalex"])
    return verdict, a


def fields(a: Assessment) -> set[str]:
    return {d.field for d in a.discrepancies}


def test_a_correct_citation_is_verified() -> None:
    assert verdict_of(CITED, PAPER)[0] is Verdict.VERIFIED


def test_initials_and_a_venue_acronym_are_verified() -> None:
    ref = CITED.model_copy(update={"authors": tuple(Name(family=a.family, given=a.given[0] + ".") for a in AUTHORS)})
    assert verdict_of(ref, PAPER)[0] is Verdict.VERIFIED


def test_online_first_year_is_verified() -> None:
    assert verdict_of(CITED.model_copy(update={"year": 2022}), PAPER)[0] is Verdict.VERIFIED


def test_preprint_cited_for_a_published_paper_is_verified() -> None:
    ref = CITED.model_copy(update={"venue": "arXiv preprint arXiv:2203.00001", "doi": None})
    assert verdict_of(ref, PAPER)[0] is Verdict.VERIFIED


def test_venue_known_only_under_its_full_name_in_another_source_is_verified() -> None:
    openalex = PAPER.model_copy(update={"source": "openalex", "venue": None})
    s2 = PAPER.model_copy(update={"source": "semantic_scholar", "venue": "Computer Vision and Pattern Recognition"})
    assert verdict_of(CITED, openalex, s2)[0] is Verdict.VERIFIED


def test_near_miss_title_is_miscited() -> None:
    ref = CITED.model_copy(update={"title": "BiasAdv: Bias-Adversarial Augmentation towards Model Debiasing"})
    verdict, a = verdict_of(ref, PAPER)
    assert verdict is Verdict.MISCITED and fields(a) == {"title"}


def test_swapped_authors_are_miscited() -> None:
    others = (Name(family="Nguyen", given="Duy"), Name(family="Yao", given="Jiachen"))
    verdict, a = verdict_of(CITED.model_copy(update={"authors": others}), PAPER)
    assert verdict is Verdict.MISCITED and "author" in fields(a)


def test_partial_author_list_is_miscited() -> None:
    verdict, a = verdict_of(CITED.model_copy(update={"authors": AUTHORS[:2]}), PAPER)
    assert verdict is Verdict.MISCITED and fields(a) == {"author"}


def test_truncated_list_with_et_al_is_verified() -> None:
    assert verdict_of(CITED.model_copy(update={"authors": AUTHORS[:1], "et_al": True}), PAPER)[0] is Verdict.VERIFIED


def test_wrong_venue_is_miscited() -> None:
    verdict, a = verdict_of(CITED.model_copy(update={"venue": "ICML"}), PAPER)
    assert verdict is Verdict.MISCITED and fields(a) == {"venue"}


def test_nonexistent_venue_is_miscited() -> None:
    verdict, a = verdict_of(CITED.model_copy(update={"venue": "Symposium on Neural Scaling Laws"}), PAPER)
    assert verdict is Verdict.MISCITED and fields(a) == {"venue"}


def test_future_year_is_miscited() -> None:
    verdict, a = verdict_of(CITED.model_copy(update={"year": 2033}), PAPER)
    assert verdict is Verdict.MISCITED and "year" in fields(a)


def test_future_year_of_an_unknown_work_is_flagged_too() -> None:
    ref = Reference(title="A work nobody wrote", year=2031)
    assert verdict_of(ref)[0] is Verdict.MISCITED


def test_year_far_from_every_version_is_miscited() -> None:
    verdict, a = verdict_of(CITED.model_copy(update={"year": 2019}), PAPER)
    assert verdict is Verdict.MISCITED and fields(a) == {"year"}


def test_preprint_cited_as_published_is_miscited_once_all_sources_answered() -> None:
    preprint = PAPER.model_copy(update={"source": "arxiv", "venue": "arXiv", "preprint": True, "doi": None})
    ref = CITED.model_copy(update={"doi": None})
    assert verdict_of(ref, preprint, final=False)[1].open_fields == ["venue"]
    verdict, a = verdict_of(ref, preprint, final=True)
    assert verdict is Verdict.MISCITED and fields(a) == {"venue"}


def test_a_nonexistent_doi_on_a_real_paper_is_miscited() -> None:
    verdict, a = verdict_of(CITED.model_copy(update={"doi": "10.47281/bed.57189"}), PAPER, doi_missing=True)
    assert verdict is Verdict.MISCITED and fields(a) == {"DOI"}


def test_a_doi_of_another_work_is_miscited() -> None:
    other = Record(source="crossref", title="Longitudinal Fairness with Censorship", doi="10.1609/aaai.v36i11.21484")
    ref = CITED.model_copy(update={"doi": other.doi})
    verdict, a = verdict_of(ref, PAPER, other, doi_record=other)
    assert verdict is Verdict.MISCITED and "DOI" in fields(a)


def test_merged_citation_title_of_one_paper_authors_of_another_is_miscited() -> None:
    others = (Name(family="Wang", given="Chi"), Name(family="Wu", given="Qingyun"))
    verdict, a = verdict_of(CITED.model_copy(update={"authors": others, "doi": None}), PAPER)
    assert verdict is Verdict.MISCITED and "author" in fields(a)


def test_nothing_similar_is_not_found() -> None:
    ref = Reference(title="Structured fast fourier transform attention for vision transformers", authors=AUTHORS)
    unrelated = PAPER.model_copy(update={"title": "Fast Fourier convolution"})
    assert verdict_of(ref, unrelated)[0] is Verdict.NOT_FOUND


def test_a_failed_source_makes_absence_unverified() -> None:
    ref = Reference(title="Structured fast fourier transform attention for vision transformers")
    a = assess(ref, [], final=True, today=TODAY)
    verdict, _, explanation = decide(ref, a, failed=["crossref"], consulted=["openalex"])
    assert verdict is Verdict.UNVERIFIED and "crossref" in explanation


def test_a_title_found_inside_the_citation_text_identifies_the_work() -> None:
    ref = Reference(raw="Lim J, Kim Y, Ahn C. BiasAdv: Bias-Adversarial Augmentation for Model Debiasing. CVPR 2023")
    verdict, a = verdict_of(ref, PAPER)
    assert verdict is Verdict.VERIFIED and a.best is not None


def test_a_title_less_citation_matches_on_author_year_volume_and_page() -> None:
    record = Record(
        source="crossref",
        title="Perceptual speed",
        authors=(Name(family="Humphries", given="Michael"),),
        year=1960,
        venue="Perceptual and Motor Skills",
        volume="11",
        pages="67-70",
        doi="10.2466/x",
    )
    ref = Reference(
        raw="(1) Humphries, M. Perceptual and Motor Skills 1960, 11, 67–70.",
        authors=(Name(family="Humphries", given="M."),),
        year=1960,
        venue="Perceptual and Motor Skills",
        volume="11",
        pages="67–70",
    )
    assert verdict_of(ref, record)[0] is Verdict.VERIFIED


def test_a_later_edition_year_of_a_book_is_verified() -> None:
    book = Record(
        source="openlibrary",
        type="book",
        title="The Art of Computer Programming",
        authors=(Name(family="Knuth", given="Donald E."),),
        year=1968,
    )
    ref = Reference(type="book", title="The Art of Computer Programming", authors=book.authors, year=1997)
    assert verdict_of(ref, book)[0] is Verdict.VERIFIED


def test_a_book_cited_before_it_was_first_published_is_miscited() -> None:
    book = Record(
        source="openlibrary",
        type="book",
        title="The Art of Computer Programming",
        authors=(Name(family="Knuth", given="Donald E."),),
        year=1968,
    )
    ref = Reference(type="book", title="The Art of Computer Programming", authors=book.authors, year=1950)
    verdict, a = verdict_of(ref, book)
    assert verdict is Verdict.MISCITED and fields(a) == {"year"}


def test_a_noisy_string_with_an_unreadable_year_matches_on_title_words_author_and_place() -> None:
    record = Record(
        source="crossref",
        title="Sadly awake: short sleep duration and depressive symptoms",
        authors=(Name(family="Reisman", given="Sara"),),
        year=2017,
        venue="Journal of Sleep Disorders",
        volume="6",
        pages="12-19",
        doi="10.1000/sleep",
    )
    ref = Reference(
        raw="Reisman, S . (201N). Sadly  Awake: Short Sleep Duration andDepressive Symptoms. "
        "JournVl of Sleep Disorders, 6(2), 12–19.",
        authors=(Name(family="Reisman", given="S."),),
    )
    assert verdict_of(ref, record)[1].identified


def test_a_short_record_title_is_not_generic_when_the_citation_names_no_title() -> None:
    record = Record(
        source="crossref",
        title="Weather watch",
        authors=(Name(family="Rippey", given="Bob"),),
        year=1998,
        venue="Weatherwise",
        volume="52",
        pages="58-62",
        doi="10.1000/ww",
    )
    ref = Reference(
        raw="(1) Rippey, B. Weatherwise 1999, 52, 58–62.",
        authors=(Name(family="Rippey", given="B."),),
        year=1999,
        venue="Weatherwise",
        volume="52",
        pages="58–62",
    )
    assert verdict_of(ref, record)[1].identified


def test_a_multi_part_volume_is_read_from_the_text_when_the_parse_misplaced_it() -> None:
    record = Record(
        source="crossref",
        title="Noise of drainage",
        authors=(Name(family="Yeon", given="J. O."),),
        year=2014,
        venue="Advanced Materials Research",
        volume="1025-1026",
        pages="987-990",
    )
    ref = Reference(
        raw="(1) Yeon, J. O. Advanced Materials Research 2014, 1025-1026, 987–990.",
        authors=(Name(family="Yeon", given="J. O."),),
        year=2014,
        venue="Advanced Materials Research",
        volume="987–990",
    )
    assert verdict_of(ref, record)[1].identified


HENRY_JAMES = Record(
    source="crossref",
    title="Henry James in The Bookman of New York",
    authors=(Name(family="Sherbo", given="Arthur"),),
    year=1992,
    venue="The Henry James Review",
    volume="13",
    pages="315-327",
    doi="10.1000/hjr.13.315",
)


def sherbo(raw: str, **fields: object) -> Reference:
    """An AIP-style citation of HENRY_JAMES by its author, with the fields a parser read from `raw`."""
    base: dict[str, object] = {"raw": raw, "authors": (Name(family="Sherbo", given="A."),)}
    return Reference.model_validate(base | {"year": 1992, "venue": "The Henry James Review"} | fields)


def test_ocr_garbled_volume_and_page_do_not_contradict_a_title_less_citation() -> None:
    ref = sherbo(
        "1 A. Sherbo,The Henry JQmes Revie w 1z, 315K(1992)w",
        venue="The Henry JQmes Revie w",
        volume="1z",
        pages="315K",
    )
    assert verdict_of(ref, HENRY_JAMES)[1].identified


def test_a_clean_but_different_volume_contradicts_a_title_less_citation() -> None:
    ref = sherbo("1 A. Sherbo, The Henry James Review 14, 315 (1992).", volume="14", pages="315")
    assert not verdict_of(ref, HENRY_JAMES)[1].identified


def test_the_reference_list_number_is_not_read_as_a_page() -> None:
    other = HENRY_JAMES.model_copy(update={"pages": "1-12", "volume": None, "doi": "10.1000/hjr.1"})
    ref = Reference(
        raw="(1) The Henry James Review 1992, 315.",
        year=1992,
        venue="The Henry James Review",
        pages="315",
    )
    assert not verdict_of(ref, other)[1].identified


CHAPTER = Record(
    source="crossref",
    type="chapter",
    title="Value-Based Marketing Strategy",
    year=2015,
    venue="Value-Based Marketing",
    pages="189-223",
    doi="10.1000/vbm.ch6",
)


def test_a_chapter_is_identified_by_its_book_and_first_page() -> None:
    ref = Reference(raw="1Value-Based Marketing 189 (2015).", year=2015, venue="Value-Based Marketing")
    verdict, a = verdict_of(ref, CHAPTER)
    assert a.best is not None and a.best.record.doi == CHAPTER.doi and verdict is Verdict.VERIFIED


def test_two_entries_on_the_cited_page_leave_the_citation_unidentified() -> None:
    entries = [
        Record(source="crossref", type="chapter", title=t, venue="Dictionary of Geotechnics", year=2014,
               pages="463-463", doi=f"10.1000/dict.{i}")
        for i, t in enumerate(["earth pressure", "tunnel boring machine"])
    ]  # fmt: skip
    ref = Reference(raw="[1] Dictionary of Geotechnics (2014) 463.", year=2014, venue="Dictionary of Geotechnics")
    assert verdict_of(ref, *entries)[0] is Verdict.NOT_FOUND


def test_a_second_doi_of_the_same_title_is_no_rival_in_the_cited_place() -> None:
    duplicate = HENRY_JAMES.model_copy(update={"doi": "10.1000/hjr.dup", "pages": "315"})
    ref = sherbo("1 A. Sherbo, The Henry James Review 13, 315 (1992).", volume="13", pages="315")
    assert verdict_of(ref, HENRY_JAMES, duplicate)[1].identified


def test_a_rival_in_the_same_journal_and_year_with_less_evidence_does_not_block_the_match() -> None:
    rival = HENRY_JAMES.model_copy(update={"title": "Henry James in the Dial", "pages": "93-114", "doi": "10.1000/x"})
    ref = sherbo("1 A. Sherbo, The Henry James Review 13, 315 (1992).", volume="13", pages="315")
    a = verdict_of(ref, HENRY_JAMES, rival)[1]
    assert a.best is not None and a.best.record.doi == HENRY_JAMES.doi


def test_a_typo_title_in_its_journal_year_and_pages_is_the_work_despite_a_misspelt_author() -> None:
    record = Record(
        source="crossref",
        title="Interaction of Channeled Electrons with Lattice Excitations",
        authors=(Name(family="Malyshevskii", given="V. S."),),
        year=1988,
        venue="physica status solidi (b)",
        volume="147",
        pages="11-44",
        doi="10.1000/pssb",
    )
    ref = Reference(
        title="Interaction of Chanaeled Electrons with Lattice Excitations",
        authors=(Name(family="MalEshev skii", given="V. S."),),
        year=1988,
        venue="Physica Status SolidiS(b)",
        volume="147",
        pages="11-44",
    )
    verdict, a = verdict_of(ref, record)
    assert verdict is Verdict.MISCITED and {"title", "author"} <= fields(a)


def test_a_garbled_year_does_not_hide_a_journal_volume_and_first_page() -> None:
    ref = sherbo("1 A. Sherbo, The Henry James Review 13, 315 (19g2).", year=None, volume="13", pages="315")
    assert verdict_of(ref, HENRY_JAMES)[1].identified


def test_author_year_volume_and_page_identify_the_work_under_a_misspelt_journal() -> None:
    ref = sherbo(
        "1 A. Sherbo, Ahe Henri Jomes Revibw 13, 315 (1992).", venue="Ahe Henri Jomes Revibw", volume="13", pages="315"
    )
    assert verdict_of(ref, HENRY_JAMES)[1].identified


def test_a_page_split_by_a_stray_space_agrees() -> None:
    ref = sherbo("1 A. Sherbo, The Henry James Review 13, 31 5 (1992).", volume="13", pages="31 5")
    assert verdict_of(ref, HENRY_JAMES)[1].identified


def test_a_second_cited_author_confirms_when_the_first_is_misspelt() -> None:
    record = HENRY_JAMES.model_copy(update={"authors": (Name(family="Yamamoto", given="K."), Name(family="Sato"))})
    ref = Reference(
        raw="1 K. Yamapoto and T. Sato, The Henry James Review (1992).",
        authors=(Name(family="Yamapoto", given="K."), Name(family="Sato", given="T.")),
        year=1992,
        venue="The Henry James Review",
    )
    assert verdict_of(ref, record)[1].identified


def test_a_generic_title_one_year_off_is_the_work_its_volume_and_pages_pin() -> None:
    record = Record(
        source="crossref",
        title="Weatherwatch: April 1999",
        authors=(Name(family="Rippey", given="Brad"),),
        year=1998,
        venue="Weatherwise",
        volume="52",
        pages="58-62",
    )
    ref = Reference(
        raw="Rippey, Brad. “Weatherwatch: April 1999.” Weatherwise 52.4 (1999): 58–62.",
        title="Weatherwatch: April 1999",
        authors=(Name(family="Rippey", given="Brad"),),
        year=1999,
        venue="Weatherwise",
        volume="52",
        pages="58-62",
    )
    assert verdict_of(ref, record)[1].identified


def test_a_generic_title_of_another_year_without_a_place_is_another_work() -> None:
    record = Record(source="crossref", title="Editorial", year=2011, venue="Weatherwise", volume="64", pages="2")
    ref = Reference(raw="Editorial. Weatherwise (2012).", title="Editorial", year=2012, venue="Weatherwise")
    assert not verdict_of(ref, record)[1].identified


KUMAR_KAR = Record(
    source="crossref",
    title="Double crystal symmetries in morphotropic phase boundary",
    authors=(Name(family="Kumar", given="P."), Name(family="Kar", given="M.")),
    year=2015,
    doi="10.1000/kk.2015",
)


def test_co_authors_and_year_identify_their_only_work_of_that_year() -> None:
    ref = Reference(raw="1 P. Kumar and M. Kar, (2015).", authors=KUMAR_KAR.authors, year=2015)
    a = verdict_of(ref, KUMAR_KAR)[1]
    assert a.best is not None and a.best.record.doi == KUMAR_KAR.doi


def test_co_authors_with_two_works_that_year_leave_the_citation_unidentified() -> None:
    other = KUMAR_KAR.model_copy(update={"title": "Dielectric relaxation in ceramics", "doi": "10.1000/kk.b"})
    ref = Reference(raw="1 P. Kumar and M. Kar, (2015).", authors=KUMAR_KAR.authors, year=2015)
    assert not verdict_of(ref, KUMAR_KAR, other)[1].identified


def test_a_single_author_and_year_do_not_identify_a_work() -> None:
    ref = Reference(raw="1 P. Kumar, (2015).", authors=KUMAR_KAR.authors[:1], year=2015)
    assert not verdict_of(ref, KUMAR_KAR)[1].identified


def test_a_short_title_found_in_a_noisy_string_is_the_work_its_journal_volume_and_page_pin() -> None:
    record = Record(
        source="crossref",
        title="Correspondence",
        authors=(Name(family="Tannuri", given="U."),),
        year=2000,
        venue="Journal of Pediatric Surgery",
        volume="35",
        pages="398",
    )
    ref = Reference(
        raw="Tannuri, U. (2O00). Correspondence.Journal of Pediatric Surgery, 35(2), 398.",
        title="Correspondence.Journal of Pediatric Surgery",
        authors=(Name(family="Tannuri", given="U."),),
        volume="35",
        pages="398",
    )
    assert verdict_of(ref, record)[1].identified


def test_a_garbled_page_the_parse_split_does_not_contradict() -> None:
    ref = sherbo("1 A. Sherbo, The Henry James Review 13, 3I5 (1992).", volume="13", issue="3I", pages="5")
    assert verdict_of(ref, HENRY_JAMES)[1].identified


def test_journal_year_and_first_page_identify_a_work_whose_volume_is_unreadable() -> None:
    ref = Reference(
        raw="1The Henry James Review 1B, 315 (1992).",
        year=1992,
        venue="The Henry James Review",
        volume="1B",
        pages="315",
    )
    assert verdict_of(ref, HENRY_JAMES)[1].identified


def test_the_author_and_the_book_identify_a_chapter_of_no_stated_year() -> None:
    chapter = CHAPTER.model_copy(update={"authors": (Name(family="Doyle", given="Peter"),), "year": None})
    ref = Reference(
        raw="[1] P. Doyle, Value-Based Marketing (n.d.).",
        authors=(Name(family="Doyle", given="P."),),
        venue="Value-Based Marketing",
    )
    assert verdict_of(ref, chapter)[1].identified


def test_the_author_and_a_journal_without_year_volume_or_page_do_not_identify_a_work() -> None:
    ref = sherbo("1 A. Sherbo, The Henry James Review (n.d.).", year=None)
    assert not verdict_of(ref, HENRY_JAMES)[1].identified


def test_a_record_plainly_of_another_work_is_judged_without_comparing_author_lists(monkeypatch: MonkeyPatch) -> None:
    compared: list[object] = []
    real = identity.compare_authors
    monkeypatch.setattr(identity, "compare_authors", lambda *a, **kw: compared.append(a) or real(*a, **kw))
    other = PAPER.model_copy(update={"title": "Seasonal Dynamics of Alpine Lake Plankton", "doi": "10.1/other"})

    unrelated = judge(CITED, other)
    assert not unrelated.same_work
    assert compared == []
    same = judge(CITED, PAPER)
    assert same.same_work and same.authors.score == 1.0
    assert len(compared) == 1  # compared once, when read
