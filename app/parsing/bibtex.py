"""BibTeX entries -> `Reference`, with bibtexparser v2 for the syntax and pylatexenc for the LaTeX in values."""

from __future__ import annotations

import re

from bibtexparser.entrypoint import parse_string, write_string
from bibtexparser.library import Library
from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names
from bibtexparser.model import DuplicateBlockKeyBlock, Entry, Field, ParsingFailedBlock
from pylatexenc.latex2text import LatexNodes2Text  # type: ignore[import-untyped]

from app.errors import InputError
from app.models import Name, Reference
from app.parsing import identifiers
from app.parsing.names import strip_homonym
from app.parsing.normalize import clean

_LATEX = LatexNodes2Text(math_mode="text", strict_latex_spaces=True)

# BibTeX entry types -> CSL types (https://docs.citationstyles.org/en/stable/specification.html#appendix-iii-types).
_TYPES = {
    "article": "article-journal",
    "inproceedings": "paper-conference",
    "conference": "paper-conference",
    "proceedings": "book",
    "book": "book",
    "manual": "book",
    "booklet": "book",
    "inbook": "chapter",
    "incollection": "chapter",
    "phdthesis": "thesis",
    "mastersthesis": "thesis",
    "thesis": "thesis",
    "techreport": "report",
    "report": "report",
    "unpublished": "manuscript",
    "online": "webpage",
    "electronic": "webpage",
    "www": "webpage",
    "dataset": "dataset",
    "software": "software",
}


def split_entries(text: str) -> list[str]:
    """Every entry of a BibTeX document as its own source text (@string macros resolved, comments dropped).

    An entry with a slip such as an unclosed brace is kept when its fields can still be read line by line.
    Raises InputError naming the entry (and its line) that cannot be read at all.
    """
    library = parse_string(text)
    out = []
    for number, block in enumerate(_entry_blocks(library), start=1):
        if isinstance(block, Entry) and not block.fields:
            raise _error(block, number)
        if isinstance(block, Entry):
            # Entries that use @string macros are re-rendered with the macros expanded, to stand alone.
            single = Library([Entry(block.entry_type, block.key, list(block.fields))])
            out.append(write_string(single).strip() if library.strings else (block.raw or "").strip())
        elif _lenient(block.raw or "") is not None:
            out.append((block.raw or "").strip())
        else:
            raise _error(block, number)
    return out


def parse_entry(text: str) -> Reference:
    """The first entry of `text` as a `Reference`; InputError if there is none or it cannot be read."""
    blocks = _entry_blocks(parse_string(text))
    if not blocks:
        raise InputError("no BibTeX entry found", where="entry 1")
    first = blocks[0]
    entry = first if isinstance(first, Entry) else _lenient(first.raw or "")
    if entry is None or not entry.fields:
        raise _error(first, 1)
    return _reference(entry, raw=text)


def _entry_blocks(library: Library) -> list[Entry | ParsingFailedBlock]:
    """Entries and failed entries in document order; a repeated key is another citation, not an error."""
    out: list[Entry | ParsingFailedBlock] = []
    for block in library.blocks:
        if isinstance(block, DuplicateBlockKeyBlock) and isinstance(block.ignore_error_block, Entry):
            out.append(block.ignore_error_block)
        elif isinstance(block, Entry | ParsingFailedBlock):
            out.append(block)
    return out


def _error(block: Entry | ParsingFailedBlock, number: int) -> InputError:
    line = (block.start_line or 0) + 1
    if isinstance(block, Entry):
        return InputError(f"BibTeX entry at line {line} has no fields", where=f"entry {number}")
    reason = getattr(block.error, "abort_reason", None) or str(block.error) or "syntax error"
    return InputError(f"BibTeX entry at line {line} does not parse: {reason}", where=f"entry {number}")


_FIELD_LINE = re.compile(r"^\s*([A-Za-z][\w\-]*)\s*=\s*(.*?)\s*,?\s*$")


def _lenient(raw: str) -> Entry | None:
    """An entry read one "key = {value}," line at a time, braces rebalanced; None without a title or author."""
    head = re.match(r"\s*@(\w+)\s*[{(]\s*([^,\s]*)", raw)
    if not head:
        return None
    fields = []
    for line in raw.splitlines()[1:]:
        if match := _FIELD_LINE.match(line):
            fields.append(Field(match.group(1).lower(), _rebalanced(match.group(2))))
    keys = {f.key for f in fields}
    return Entry(head.group(1), head.group(2), fields) if keys & {"title", "author"} else None


def _rebalanced(value: str) -> str:
    """One layer of {} or "" removed; a stray "}" dropped and missing ones added at the end."""
    value = value.strip()
    if len(value) > 1 and value[0] == value[-1] == '"':
        value = value[1:-1]
    elif value.startswith("{"):
        value = value[1:-1] if value.endswith("}") else value[1:]
    depth, kept = 0, []
    for char in value:
        if char == "}" and depth == 0:
            continue
        depth += (char == "{") - (char == "}")
        kept.append(char)
    return "".join(kept) + "}" * depth


def _reference(entry: Entry, raw: str) -> Reference:
    fields = {key.lower(): str(field.value) for key, field in entry.fields_dict.items()}
    authors, et_al = _names(fields.get("author") or fields.get("editor") or "")
    ids = _identifiers(fields)
    venue = _text(fields.get("journal") or fields.get("journaltitle") or fields.get("booktitle") or "")
    if not venue and entry.entry_type.lower() in ("phdthesis", "mastersthesis", "thesis"):
        venue = _text(fields.get("school") or fields.get("institution") or "")
    if venue and re.match(r"arxiv\b", venue, re.IGNORECASE):
        venue = "arXiv"  # "arXiv preprint arXiv:2101.00001": the id is kept in `arxiv`
    entry_type = entry.entry_type.lower()
    csl_type = _TYPES.get(entry_type) or ("article" if ids.arxiv else "document")
    return Reference(
        type=csl_type,
        title=_text(fields.get("title", "")) or None,
        authors=authors,
        year=_year(fields),
        venue=venue or None,
        volume=_text(fields.get("volume", "")) or None,
        issue=_text(fields.get("number") or fields.get("issue") or "") or None,
        pages=_pages(fields.get("pages", "")),
        publisher=_text(fields.get("publisher") or fields.get("institution") or "") or None,
        doi=ids.doi,
        arxiv=ids.arxiv,
        pmid=ids.pmid,
        pmcid=ids.pmcid,
        isbn=ids.isbn,
        url=ids.url,
        raw=raw,
        et_al=et_al,
    )


def _text(value: str) -> str:
    """LaTeX to Unicode: accents, macros, math; braces that only protect case are dropped."""
    value = clean(value)
    if "\\" in value or "{" in value or "$" in value or "~" in value:
        value = _LATEX.latex_to_text(value)
    return " ".join(value.split())


def _names(value: str) -> tuple[tuple[Name, ...], bool]:
    """Authors from "Last, First and First von Last and others"; DBLP homonym numbers dropped."""
    names, et_al = [], False
    for person in split_multiple_persons_names(clean(value)):
        person = strip_homonym(person)
        if re.fullmatch(r"others|et\.?\s*al\.?", person, re.IGNORECASE):
            et_al = True
            continue
        if cut := re.search(r"\s+et\.?\s*al\.?$", person):
            person, et_al = person[: cut.start()], True
        if person.startswith("{") and person.endswith("}") and person.count("{") == 1:
            names.append(Name(family=_text(person)))  # {World Health Organization}: one literal name
            continue
        parts = parse_single_name_into_parts(person, strict=False)
        family = _text(" ".join(parts.von + parts.last))
        given = _text(" ".join(parts.first + parts.jr))
        if family:
            names.append(Name(family=family, given=given))
        elif given:
            names.append(Name(family=given))
    return tuple(names), et_al


def _identifiers(fields: dict[str, str]) -> identifiers.Identifiers:
    doi = identifiers.clean_doi(fields["doi"]) if fields.get("doi") else None
    url = fields.get("url", "").strip() or None
    archive = (fields.get("archiveprefix") or fields.get("eprinttype") or "").lower()
    arxiv = None
    if fields.get("eprint") and (archive == "arxiv" or identifiers.clean_arxiv(fields["eprint"])):
        arxiv = identifiers.clean_arxiv(fields["eprint"])
    for key in ("arxiv", "arxivid", "journal", "note", "howpublished", "url"):
        if arxiv is None and fields.get(key) and ("arxiv" in fields[key].lower() or key.startswith("arxiv")):
            arxiv = identifiers.clean_arxiv(fields[key])
    if url and doi is None and "doi.org/" in url.lower():
        doi, url = identifiers.clean_doi(url), None
    isbn = None
    for candidate in re.split(r"[,;]|\s(?=\d{9})", fields.get("isbn", "")):
        if isbn := identifiers.clean_isbn(candidate):
            break
    pmcid = fields.get("pmcid", "").strip().upper() or None
    return identifiers.with_arxiv(
        identifiers.Identifiers(
            doi=doi,
            arxiv=arxiv,
            pmid=(fields.get("pmid") or "").strip() or None,
            pmcid=pmcid,
            isbn=isbn,
            url=url,
        )
    )


def _year(fields: dict[str, str]) -> int | None:
    for key in ("year", "date"):
        if match := re.search(r"\b(\d{4})\b", fields.get(key, "")):
            return int(match.group(1))
    return None


def _pages(value: str) -> str | None:
    """ "1--10" -> "1-10"."""
    pages = _text(value.replace("--", "-"))
    return re.sub(r"\s*[-–—]+\s*", "-", pages) or None
