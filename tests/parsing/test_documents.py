"""Whole request bodies split into items."""

from __future__ import annotations

import json

import pytest

from app.errors import InputError
from app.parsing import parse_document, parse_item
from tests.conftest import load


def test_article_reference_section_is_found_and_split() -> None:
    items = parse_document(load("parsing/article.txt"), "text/plain; charset=utf-8")
    assert len(items) == 3
    assert all(isinstance(i, str) and not i.startswith("[") for i in items)
    first = parse_item(items[0])
    assert (first.title, first.venue, first.volume, first.pages) == (
        "Thermal evolution of an ice shell with a subsurface ocean",
        "Icarus",
        "301",
        "112-130",
    )
    assert parse_item(items[1]).doi == "10.1029/2019je006211"
    third = parse_item(items[2])
    assert third.et_al and third.authors[0].family == "de Groot"


def test_numbered_list_with_continuation_lines() -> None:
    body = "1. Okafor M. Ice shells. Icarus.\n   2018;3:1-2.\n2. Brandt L. Plumes. Icarus. 2019;4:5-6.\n"
    assert parse_document(body, "text/plain") == [
        "Okafor M. Ice shells. Icarus. 2018;3:1-2.",
        "Brandt L. Plumes. Icarus. 2019;4:5-6.",
    ]


def test_blank_line_separated_with_hyphenation_and_ligatures() -> None:
    body = (
        "Okafor, M. (2018). Thermal conser-\nvation in ice. Icarus, 3, 1–2.\n\n"
        "Brandt, L. (2019). The ﬁrst\nplumes. Icarus, 4, 5–6.\n"
    )
    items = parse_document(body, "text/plain")
    assert items == [
        "Okafor, M. (2018). Thermal conservation in ice. Icarus, 3, 1–2.",
        "Brandt, L. (2019). The first plumes. Icarus, 4, 5–6.",
    ]


def test_one_per_line_and_bulleted() -> None:
    assert len(parse_document("Okafor M. Ice. Icarus. 2018.\nBrandt L. Plumes. Icarus. 2019.\n", "text/plain")) == 2
    assert parse_document("• “A,” Outlet, 2019.\n• “B,” Outlet, 2020.", "text/plain") == [
        "“A,” Outlet, 2019.",
        "“B,” Outlet, 2020.",
    ]


def test_wrapped_lines_join_until_a_line_opens_with_a_name() -> None:
    body = (
        "Okafor M, Brandt L. Thermal evolution of ice shells. Mol Icarus.\n2018;3:1-2.\n"
        "Sato P, Ito A. Plumes of a small\nmoon. Icarus. 2019;4:5-6.\n"
    )
    assert parse_document(body, "text/plain") == [
        "Okafor M, Brandt L. Thermal evolution of ice shells. Mol Icarus. 2018;3:1-2.",
        "Sato P, Ito A. Plumes of a small moon. Icarus. 2019;4:5-6.",
    ]


def test_numbers_inside_one_line_split_it() -> None:
    body = "References: [1] A. Lee, “Ice,” Icarus, 2020. [2] B. Kim, “Plumes,” Icarus, 2021."
    assert parse_document(body, "text/plain") == ["A. Lee, “Ice,” Icarus, 2020.", "B. Kim, “Plumes,” Icarus, 2021."]


def test_bibtex_document_gives_one_string_per_entry_with_macros_expanded() -> None:
    items = parse_document(load("parsing/library.bib"), "application/x-bibtex")
    assert len(items) == 2
    first = parse_item(items[0])
    assert (first.venue, first.pages, first.authors[1].family) == (
        "Journal of Geophysical Research",
        "112-130",
        "Brändt",
    )
    second = parse_item(items[1])
    assert [a.family for a in second.authors] == ["Vásquez", "Li"] and second.et_al


def test_bad_bibtex_entry_names_its_entry() -> None:
    body = "@article{a, title={Fine}, year=2020}\n\n@article{b title}\n"
    with pytest.raises(InputError) as caught:
        parse_document(body, "application/x-bibtex")
    assert caught.value.where == "entry 2"


def test_ris_document() -> None:
    items = parse_document(load("parsing/records.ris"), "application/x-research-info-systems")
    assert [parse_item(i).title for i in items] == ["Thermal evolution of an ice shell", "Planetary Interiors"]


def test_ris_without_end_tag_names_the_line() -> None:
    with pytest.raises(InputError) as caught:
        parse_document("TY  - JOUR\nTI  - A\nER  - \nTY  - JOUR\nTI  - B\n", "application/x-research-info-systems")
    assert caught.value.where == "line 4"


def test_csl_json_object_with_items() -> None:
    body = json.dumps(load("parsing/items.json"))
    items = parse_document(body, "application/vnd.citationstyles.csl+json")
    assert [parse_item(i).title for i in items] == ["Thermal evolution of an ice shell", "Planetary Interiors"]


def test_csl_json_array_and_references_key() -> None:
    assert parse_document('[{"title": "A"}]', "application/vnd.citationstyles.csl+json") == [{"title": "A"}]
    assert parse_document('{"references": [{"title": "B"}]}', "application/json") == [{"title": "B"}]


def test_invalid_json_names_line_and_column() -> None:
    with pytest.raises(InputError) as caught:
        parse_document('[\n  {"title": "A"},\n  {"title": }\n]', "application/vnd.citationstyles.csl+json")
    assert caught.value.where == "line 3"
    assert "column" in caught.value.message


def test_unsupported_content_type() -> None:
    with pytest.raises(InputError):
        parse_document("x", "image/png")
