"""Identifiers found in citations and given alone."""

from __future__ import annotations

import pytest

from app.parsing import identifiers, parse_item


@pytest.mark.parametrize(
    ("text", "doi"),
    [
        ("See doi:10.1000/ABC.123.", "10.1000/abc.123"),
        ("https://doi.org/10.1000/xyz-9), more", "10.1000/xyz-9"),
        ("http://dx.doi.org/10.1000/q;", "10.1000/q"),
        ("DOI: 10.1016/s0140-6736(04)16412-x.", "10.1016/s0140-6736(04)16412-x"),
        ("(https://doi.org/10.1000/p1)", "10.1000/p1"),
        ("https://doi.org/10.1000%2Fenc", "10.1000/enc"),
    ],
)
def test_doi_is_bare_lower_case_without_trailing_punctuation(text: str, doi: str) -> None:
    assert identifiers.find(text).doi == doi


@pytest.mark.parametrize(
    ("text", "arxiv"),
    [
        ("arXiv preprint arXiv:2101.00001v2, 2021.", "2101.00001v2"),
        ("https://arxiv.org/abs/2101.00001", "2101.00001"),
        ("http://arxiv.org/pdf/2101.00001v3.pdf", "2101.00001v3"),
        ("arXiv:hep-th/9901001", "hep-th/9901001"),
        ("CoRR, abs/1905.01234, 2019", "1905.01234"),
    ],
)
def test_arxiv_forms(text: str, arxiv: str) -> None:
    assert identifiers.find(text).arxiv == arxiv


def test_arxiv_doi_sets_both_doi_and_arxiv() -> None:
    ref = parse_item("https://doi.org/10.48550/arXiv.2101.00001")
    assert (ref.doi, ref.arxiv) == ("10.48550/arxiv.2101.00001", "2101.00001")


@pytest.mark.parametrize(
    ("isbn", "valid"),
    [
        ("0-306-40615-2", True),
        ("978-0-306-40615-7", True),
        ("0-8044-2957-X", True),
        ("0-306-40615-3", False),
        ("978-0-306-40615-8", False),
        ("12345", False),
    ],
)
def test_isbn_checksum(isbn: str, valid: bool) -> None:
    assert (identifiers.clean_isbn(isbn) is not None) is valid


def test_pmid_and_pmcid_in_text() -> None:
    found = identifiers.find("Okafor M. Ice. Icarus. 2020;1:2. PMID: 31234567; PMCID: pmc7654321.")
    assert (found.pmid, found.pmcid) == ("31234567", "PMC7654321")


@pytest.mark.parametrize(
    ("item", "field", "value"),
    [
        ("10.1000/ABC", "doi", "10.1000/abc"),
        ("doi:10.1000/abc.", "doi", "10.1000/abc"),
        ("https://doi.org/10.1000/abc", "doi", "10.1000/abc"),
        ("arXiv:2101.00001v2", "arxiv", "2101.00001v2"),
        ("2101.00001", "arxiv", "2101.00001"),
        ("hep-th/9901001", "arxiv", "hep-th/9901001"),
        ("PMID: 123", "pmid", "123"),
        ("PMC123456", "pmcid", "PMC123456"),
        ("978-0-306-40615-7", "isbn", "9780306406157"),
        ("ISBN 0-306-40615-2", "isbn", "0306406152"),
        ("https://example.org/paper.pdf", "url", "https://example.org/paper.pdf"),
    ],
)
def test_bare_identifier_items(item: str, field: str, value: str) -> None:
    ref = parse_item(item)
    assert getattr(ref, field) == value
    assert ref.title is None
    assert ref.raw == item


def test_invalid_isbn_is_not_an_identifier() -> None:
    assert identifiers.parse_bare("978-0-306-40615-8") is None


def test_strip_removes_identifiers_and_their_labels() -> None:
    text = "Venue, 2022. doi: 10.1000/x. [Online]. Available: https://example.org/a"
    assert identifiers.strip(text) == "Venue, 2022."
