"""RIS records."""

from __future__ import annotations

from app.models import Name
from app.parsing import parse_item

RECORD = """TY  - JOUR
AU  - Okafor, Miriam
AU  - Brandt, L. K.
TI  - Thermal evolution of an ice shell
T2  - Icarus
PY  - 2018/03/01/
VL  - 301
IS  - 2
SP  - 112
EP  - 130
DO  - https://doi.org/10.1016/J.ICARUS.2018.01.001
UR  - https://example.org/ice
ER  - """


def test_journal_record() -> None:
    ref = parse_item(RECORD)
    assert ref.authors == (Name(family="Okafor", given="Miriam"), Name(family="Brandt", given="L. K."))
    assert (ref.title, ref.venue, ref.year) == ("Thermal evolution of an ice shell", "Icarus", 2018)
    assert (ref.volume, ref.issue, ref.pages) == ("301", "2", "112-130")
    assert (ref.doi, ref.url, ref.type) == (
        "10.1016/j.icarus.2018.01.001",
        "https://example.org/ice",
        "article-journal",
    )
    assert ref.raw == RECORD


def test_record_without_end_tag_and_with_isbn() -> None:
    ref = parse_item("TY  - BOOK\nTI  - Planetary Interiors\nSN  - 978-0-306-40615-7\nPB  - Example Press\nPY  - 2015")
    assert (ref.type, ref.title, ref.isbn, ref.publisher, ref.year) == (
        "book",
        "Planetary Interiors",
        "9780306406157",
        "Example Press",
        2015,
    )
