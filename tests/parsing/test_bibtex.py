"""BibTeX entries."""

from __future__ import annotations

import pytest

from app.errors import InputError
from app.models import Name
from app.parsing import parse_item


def test_latex_accents_macros_and_case_braces_are_decoded() -> None:
    ref = parse_item(
        r"""@article{k, title = {{\"U}ber {GPU}-Beschleunigung f\"{u}r Stra{\ss}en: \textit{in situ} \& 50\%},
        author = {M{\"u}ller, J{\'e}r{\^o}me and Fran{\c{c}}ois de la Tour}, journal = {Z. f{\"u}r Eis},
        year = {2019}, pages = {1--10}, volume = 3, number = {2}}"""
    )
    assert ref.title == "Über GPU-Beschleunigung für Straßen: in situ & 50%"
    assert ref.authors == (Name(family="Müller", given="Jérôme"), Name(family="de la Tour", given="François"))
    assert (ref.venue, ref.year, ref.pages, ref.volume, ref.issue) == ("Z. für Eis", 2019, "1-10", "3", "2")
    assert ref.type == "article-journal"


def test_homonym_numbers_dropped_and_others_marks_et_al() -> None:
    ref = parse_item(
        "@inproceedings{k, title={T}, author={Chenglong Li 0002 and Wei Wang 0010 and others},"
        " booktitle={ICLR}, year=2022}"
    )
    assert ref.authors == (Name(family="Li", given="Chenglong"), Name(family="Wang", given="Wei"))
    assert ref.et_al
    assert (ref.venue, ref.type) == ("ICLR", "paper-conference")


def test_eprint_and_doi() -> None:
    ref = parse_item(
        "@misc{k, title={T}, author={Ito, Aki}, eprint={2101.00001v2}, archivePrefix={arXiv}, "
        "doi={https://doi.org/10.1000/ABC}, url={https://example.org/t}, year={2021}}"
    )
    assert (ref.arxiv, ref.doi, ref.url, ref.type) == (
        "2101.00001v2",
        "10.1000/abc",
        "https://example.org/t",
        "article",
    )


def test_arxiv_journal_field_gives_id_and_venue() -> None:
    ref = parse_item("@article{k, title={T}, author={Ito, Aki}, journal={arXiv preprint arXiv:2101.00001}, year=2021}")
    assert (ref.arxiv, ref.venue) == ("2101.00001", "arXiv")


def test_raw_is_the_entry_text() -> None:
    text = "@book{k, title={Planetary Interiors}, author={Tove Lindqvist}, publisher={Example Press}, year={2015}}"
    ref = parse_item(text)
    assert ref.raw == text
    assert (ref.type, ref.publisher) == ("book", "Example Press")


def test_entry_with_an_unclosed_brace_is_still_read() -> None:
    ref = parse_item(
        "@inproceedings{k,\n  title = {Sparks of {GPT-4},\n  author = {Ann Lee and Bo Kim},\n  year = {2023},\n}"
    )
    assert ref.title == "Sparks of GPT-4"
    assert [a.family for a in ref.authors] == ["Lee", "Kim"]


def test_unreadable_bibtex_raises_input_error_with_where() -> None:
    with pytest.raises(InputError) as caught:
        parse_item("@article{k, title}", where="references[3]")
    assert caught.value.where == "references[3]"
