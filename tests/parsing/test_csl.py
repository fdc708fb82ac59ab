"""CSL-JSON objects."""

from __future__ import annotations

import pytest

from app.errors import InputError
from app.models import Name
from app.parsing import parse_item


def test_full_object() -> None:
    ref = parse_item(
        {
            "type": "article-journal",
            "title": "Thermal <i>evolution</i> of an ice shell",
            "author": [
                {"family": "Okafor", "given": "Miriam"},
                {"family": "Berg", "given": "Pieter", "non-dropping-particle": "van der"},
                {"literal": "Planetary Science Institute"},
                {"literal": "others"},
            ],
            "issued": {"date-parts": [["2018", 3, 1]]},
            "container-title": ["Icarus", "Icarus (Short)"],
            "volume": 301,
            "issue": "2",
            "page": "112–130",
            "DOI": "https://doi.org/10.1016/J.ICARUS.2018.01.001",
            "ISBN": ["978-0-306-40615-7"],
            "PMID": "31234567",
            "PMCID": "7654321",
            "URL": "https://example.org/ice",
        }
    )
    assert ref.title == "Thermal evolution of an ice shell"
    assert ref.authors == (
        Name(family="Okafor", given="Miriam"),
        Name(family="van der Berg", given="Pieter"),
        Name(family="Planetary Science Institute"),
    )
    assert ref.et_al
    assert (ref.year, ref.venue, ref.volume, ref.issue, ref.pages) == (2018, "Icarus", "301", "2", "112-130")
    assert (ref.doi, ref.isbn, ref.pmid, ref.pmcid) == (
        "10.1016/j.icarus.2018.01.001",
        "9780306406157",
        "31234567",
        "PMC7654321",
    )
    assert ref.raw is None


def test_arxiv_from_number_and_raw_date() -> None:
    ref = parse_item({"type": "article", "title": "T", "number": "arXiv:2101.00001v2", "issued": {"raw": "2021-01-05"}})
    assert (ref.arxiv, ref.year) == ("2101.00001v2", 2021)


def test_doi_resolver_url_is_not_kept_as_url() -> None:
    ref = parse_item({"title": "T", "URL": "https://doi.org/10.48550/arXiv.2101.00001"})
    assert (ref.doi, ref.arxiv, ref.url) == ("10.48550/arxiv.2101.00001", "2101.00001", None)


def test_object_without_csl_variables_is_an_input_error() -> None:
    with pytest.raises(InputError) as caught:
        parse_item({"foo": "bar"}, where="references[0]")
    assert caught.value.where == "references[0]"


def test_empty_string_is_an_input_error() -> None:
    with pytest.raises(InputError):
        parse_item("  \u200b ")
