"""RIS records -> `Reference`, read with rispy (tags: https://en.wikipedia.org/wiki/RIS_(file_format))."""

from __future__ import annotations

import re
from typing import Any

import rispy  # type: ignore[import-untyped]

from app.errors import InputError
from app.models import Name, Reference
from app.parsing import identifiers
from app.parsing.normalize import clean

_TYPES = {
    "JOUR": "article-journal",
    "JFULL": "article-journal",
    "EJOUR": "article-journal",
    "ABST": "article-journal",
    "CONF": "paper-conference",
    "CPAPER": "paper-conference",
    "BOOK": "book",
    "EBOOK": "book",
    "EDBOOK": "book",
    "CHAP": "chapter",
    "ECHAP": "chapter",
    "THES": "thesis",
    "RPRT": "report",
    "ELEC": "webpage",
    "WEB": "webpage",
    "NEWS": "article-newspaper",
    "MGZN": "article-magazine",
    "UNPB": "manuscript",
    "DATA": "dataset",
    "COMP": "software",
    "GEN": "document",
}
_RECORD_START = re.compile(r"^TY  - ", re.MULTILINE)
_RECORD_END = re.compile(r"^ER  -.*$", re.MULTILINE)


def split_records(text: str) -> list[str]:
    """Every record of an RIS document ("TY  -" ... "ER  -"), as its own text.

    Raises InputError naming the line where something other than a record starts.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    records: list[str] = []
    pos = 0
    for end in _RECORD_END.finditer(text):
        chunk = text[pos : end.end()]
        start = _RECORD_START.search(chunk)
        if start is None or chunk[: start.start()].strip():
            line = text.count("\n", 0, pos + (len(chunk) - len(chunk.lstrip()))) + 1
            raise InputError("RIS record must start with a 'TY  - ' line", where=f"line {line}")
        records.append(chunk[start.start() :].strip())
        pos = end.end()
    if text[pos:].strip():
        line = text.count("\n", 0, pos + (len(text[pos:]) - len(text[pos:].lstrip()))) + 1
        raise InputError("RIS record has no closing 'ER  - ' line", where=f"line {line}")
    if not records:
        raise InputError("no RIS record found", where="line 1")
    return records


def parse_record(text: str) -> Reference:
    """The first RIS record of `text`; InputError if it holds none."""
    body = clean(text).replace("\r\n", "\n")
    if not _RECORD_END.search(body):
        body += "\nER  - "
    try:
        entries: list[dict[str, Any]] = rispy.loads(body)
    except (ValueError, IndexError, KeyError) as exc:  # rispy raises plain errors on broken tag lines
        raise InputError(f"RIS record does not parse: {exc}", where="line 1") from exc
    if not entries:
        raise InputError("no RIS record found", where="line 1")
    return _reference(entries[0], raw=text)


def _reference(entry: dict[str, Any], raw: str) -> Reference:
    names = [*entry.get("authors", []), *entry.get("first_authors", [])]
    authors = tuple(Name.parse(n) for n in names if isinstance(n, str) and n.strip())
    urls = [u for u in entry.get("urls", []) if isinstance(u, str)]
    doi = identifiers.clean_doi(_str(entry, "doi")) if _str(entry, "doi") else None
    url = next((u for u in urls if "doi.org/" not in u.lower()), None)
    doi = doi or next((identifiers.clean_doi(u) for u in urls if "doi.org/" in u.lower()), None)
    arxiv = next((a for u in urls if "arxiv.org/" in u.lower() and (a := identifiers.clean_arxiv(u))), None)
    notes = " ".join(n for n in entry.get("notes", []) if isinstance(n, str))
    start, end = _str(entry, "start_page"), _str(entry, "end_page")
    venue = _first(entry, "secondary_title", "journal_name", "alternate_title3", "alternate_title1", "alternate_title2")
    ids = identifiers.with_arxiv(
        identifiers.Identifiers(
            doi=doi,
            arxiv=arxiv or (identifiers.find(notes).arxiv if notes else None),
            pmid=identifiers.find(notes).pmid if notes else None,
            pmcid=identifiers.find(notes).pmcid if notes else None,
            isbn=identifiers.clean_isbn(_str(entry, "issn")),
            url=url,
        )
    )
    year = re.search(r"\d{4}", _first(entry, "year", "publication_year", "date") or "")
    return Reference(
        type=_TYPES.get(_str(entry, "type_of_reference").upper()),
        title=_first(entry, "title", "primary_title", "translated_title"),
        authors=tuple(a for a in authors if a.family.lower() != "others"),
        year=int(year.group(0)) if year else None,
        venue=venue,
        volume=_str(entry, "volume") or None,
        issue=_str(entry, "number") or None,
        pages=f"{start}-{end}" if start and end else (start or None),
        publisher=_str(entry, "publisher") or None,
        doi=ids.doi,
        arxiv=ids.arxiv,
        pmid=ids.pmid,
        pmcid=ids.pmcid,
        isbn=ids.isbn,
        url=ids.url,
        raw=raw,
        et_al=any(a.family.lower() == "others" for a in authors),
    )


def _str(entry: dict[str, Any], key: str) -> str:
    value = entry.get(key)
    if isinstance(value, list):
        value = value[0] if value else ""
    return " ".join(str(value).split()) if value is not None else ""


def _first(entry: dict[str, Any], *keys: str) -> str | None:
    return next((v for key in keys if (v := _str(entry, key))), None)
