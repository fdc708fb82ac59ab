"""Citations in, `Reference`s out: CSL-JSON, BibTeX, RIS, bare identifiers and free text in any common style.

Pure functions, no I/O. Two entry points:

- `parse_item`: one request item (a CSL-JSON object or a string) -> `Reference`;
- `parse_document`: a whole request body of a given media type -> its items, for `parse_item`.
"""

from __future__ import annotations

import json
import re
from typing import Any

from app.errors import InputError
from app.models import Reference
from app.parsing import identifiers
from app.parsing.bibliography import split_bibliography
from app.parsing.bibtex import parse_entry, split_entries
from app.parsing.csl import parse_csl
from app.parsing.normalize import squash
from app.parsing.ris import parse_record, split_records
from app.parsing.text import parse_citation

__all__ = ["parse_document", "parse_item"]

BIBTEX = "application/x-bibtex"
RIS = "application/x-research-info-systems"
CSL_JSON = "application/vnd.citationstyles.csl+json"
PLAIN = "text/plain"
# Other names clients send for the same formats.
_ALIASES = {
    "text/x-bibtex": BIBTEX,
    "application/x-bibtex-text-file": BIBTEX,
    "text/x-bibtex-text-file": BIBTEX,
    "application/x-ris": RIS,
    "text/x-research-info-systems": RIS,
    "application/json": CSL_JSON,
    "application/citeproc+json": CSL_JSON,
    "text/x-csl-json": CSL_JSON,
}


def parse_item(item: str | dict[str, Any], *, where: str | None = None) -> Reference:
    """One citation: a CSL-JSON object, a BibTeX entry, an RIS record, a bare identifier or free text.

    Raises InputError (with `where`) only for input that cannot be used at all: an empty string, an object
    with no CSL variable, BibTeX or RIS that does not parse.
    """
    if isinstance(item, dict):
        return parse_csl(item, where=where)
    if not isinstance(item, str):
        raise InputError("a reference must be a string or a CSL-JSON object", where=where)
    text = item.strip().lstrip("\ufeff")
    if not squash(text):
        raise InputError("empty reference", where=where)
    try:
        if text.startswith("@"):
            return parse_entry(text).model_copy(update={"raw": item})
        if re.match(r"TY {2}- ", text):
            return parse_record(text).model_copy(update={"raw": item})
    except InputError as exc:
        raise InputError(exc.message, where=where or exc.where) from exc
    if ids := identifiers.parse_bare(squash(text)):
        return Reference(
            type="article" if ids.arxiv and not ids.doi else ("book" if ids.isbn else None),
            doi=ids.doi,
            arxiv=ids.arxiv,
            pmid=ids.pmid,
            pmcid=ids.pmcid,
            isbn=ids.isbn,
            url=ids.url,
            raw=item,
        )
    return parse_citation(item)


def parse_document(body: str, content_type: str) -> list[str | dict[str, Any]]:
    """Split a request body into items for `parse_item`, by media type (parameters like charset ignored).

    BibTeX gives one string per entry, RIS one per record, CSL-JSON the objects of an array (or of an
    object's "items"/"references"), plain text one string per citation of the bibliography it holds.
    Raises InputError for an unsupported media type or a malformed body, with `where` as "entry N"
    (BibTeX), "line N" (RIS, JSON) or "item N" (a CSL-JSON element that is not an object).
    """
    media = content_type.split(";")[0].strip().lower()
    media = _ALIASES.get(media, media)
    if media == BIBTEX:
        return list(split_entries(body))
    if media == RIS:
        return list(split_records(body))
    if media == CSL_JSON:
        return _csl_items(body)
    if media == PLAIN or media.startswith("text/"):
        return list(split_bibliography(body))
    raise InputError(f"unsupported content type {content_type!r}")


def _csl_items(body: str) -> list[str | dict[str, Any]]:
    try:
        data = json.loads(body)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} (column {exc.colno})", where=f"line {exc.lineno}") from exc
    if isinstance(data, dict):
        container = next((data[key] for key in ("items", "references") if key in data), None)
        data = container if container is not None else [data]
    if not isinstance(data, list):
        raise InputError("CSL-JSON must be an array of objects, or an object with 'items'")
    items: list[str | dict[str, Any]] = []
    for number, element in enumerate(data, start=1):
        if not isinstance(element, dict | str):
            raise InputError("expected a CSL-JSON object", where=f"item {number}")
        items.append(element)
    return items
