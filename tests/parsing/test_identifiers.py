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


MENTIONS = [
    "Smith J. A study. Nature. 2020;580:1-5. doi: 10.1038/s41586-020-2012-7. PMID: 32015507; PMCID: PMC7095418.",
    "Doe A. Title. https://example.org/page [Online]. Available: https://x.org. [Accessed: Jan. 5, 2021].",
    "Roe B. Deep nets. CoRR, abs/1512.03385, 2015. Retrieved March 3, 2020, from the site.",
    "Book. Publisher; 2001. ISBN-13: 978-3-16-148410-0. [cited 2020 May 1]. URL: http://a.b. Last accessed 2020-01-01.",
    "PMİD: 123; pmıd: 456; DOİ: 10.1/x; ıſbn 0306406152; arxıv: 2101.00001; Kelvin sign: PMC1234",
    "Lee C. Things. Journal of Things, 12(3), 45-67. arXiv preprint arXiv:2101.00001",
]


@pytest.mark.parametrize("text", MENTIONS)
def test_an_identifier_pattern_is_skipped_only_when_it_cannot_match(text: str) -> None:
    """The cheap word test before each pattern never skips a pattern that would have matched (IGNORECASE's
    dotless and dotted i and long s included)."""
    folded = identifiers._folded(text)
    for pattern in identifiers._NEEDS:
        if pattern.search(text):
            assert identifiers._may_match(pattern, folded), pattern.pattern
