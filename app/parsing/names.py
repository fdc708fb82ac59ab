"""Author lists in free-text citations.

A list is read name by name from the start of the citation. The first name fixes the form of the list:

    inverted, initials   Lee, Y. J.          APA, ACS, Harvard, Chicago/MLA first author
    inverted, full       Lee, Yoonwoo        MLA, Chicago first author
    initials first       Y. J. Lee           IEEE, AIP, Elsevier
    NLM                  Lee YJ              Vancouver, PubMed
    given first          Yoonwoo Lee         Chicago/MLA later authors; accepted first only in a known span

Names are separated by "," ";" "and" "&"; "et al." or "and others" ends the list and marks it cut short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.models import Name

_UPPER = "".join(c for c in map(chr, range(0x41, 0x530)) if c.isupper())
_LOWER = "".join(c for c in map(chr, range(0x61, 0x530)) if c.islower())
U = f"[{re.escape(_UPPER)}]"
L = f"[{re.escape(_LOWER)}]"
A = f"[{re.escape(_UPPER + _LOWER)}]"

# A capitalised name word, with internal apostrophes and hyphens: O'Brien, Herbert-Voss, Masa-aki.
_WORD = rf"{U}(?:{A}|['’](?={A}))+(?:-{A}(?:{A}|['’](?={A}))*)*"
# Particles written before the family name (lower- or upper-case): van der Berg, De Bra, d'Amore, y Arcas.
_PARTICLE = (
    r"(?:[vV]an|[vV]on|[dD]e|[dD]er|[dD]en|[dD]el|[dD]ella|[dD]es|[dD]i|[dD]a|[dD]os|[dD]as|[dD]u|[lL]e|[lL]a"
    r"|ter|ten|zu|bin|al|el|y|St\.)"
)
_FAMILY = rf"(?:{_PARTICLE}\s+)*(?:[dDlL]['’]\s?)?{_WORD}"
# One initial ("J.", "Th.", "Ya.") or a hyphenated pair ("J.-C.", "T-Y."); then a run of them.
_INITIAL = rf"{U}{L}?\.(?:\s?-\s?{U}{L}?\.?)?|{U}-{U}\."
_INITIALS = rf"(?:{_INITIAL})(?:\s*(?:{_INITIAL}))*"
# Initials without dots, as Crossref's Chicago output has them: "Sevelda, P", "J-P Triboulet".
_BARE_INITIALS = rf"{U}{{1,3}}|{U}(?:-{U})?(?:\s{U}(?:-{U})?)?"
_GIVEN = rf"(?:{U}\s)?{_WORD}(?:\s(?:{_WORD}|{_INITIALS}|{U}(?=\s)))*"

_FORMS: dict[str, re.Pattern[str]] = {
    "inv_init": re.compile(rf"(?P<family>{_FAMILY}(?:\s{_WORD})?),\s*(?P<given>{_INITIALS})"),
    "inv_full": re.compile(rf"(?P<family>{_FAMILY}),\s(?P<given>{_GIVEN})(?!\w)"),
    "fwd_init": re.compile(rf"(?P<given>{_INITIALS})\s?(?P<family>{_FAMILY}(?:\s{_FAMILY})*)"),
    "nlm": re.compile(rf"(?P<family>{_FAMILY}(?:\s{_FAMILY})?)\s(?P<given>(?:{U}\.){{2,4}}|{U}{{1,4}})(?![\w'’])"),
    "fwd_full": re.compile(rf"(?P<given>{_GIVEN})\s(?P<family>{_FAMILY})(?!\w)"),
    # Only inside a span known to hold nothing but names:
    "inv_full2": re.compile(rf"(?P<family>{_FAMILY}\s{_WORD}),\s(?P<given>{_GIVEN})(?!\w)"),
    "inv_bare": re.compile(rf"(?P<family>{_FAMILY}(?:\s{_WORD})?),\s(?P<given>{_BARE_INITIALS})(?![\w'’-])"),
    "fwd_bare": re.compile(rf"(?P<given>{_BARE_INITIALS})\s(?P<family>{_FAMILY}(?:\s{_FAMILY})*)(?!\w)"),
    "bare": re.compile(rf"(?P<family>{_FAMILY})(?P<given>)(?=[\s.,;:]*$)"),
}
# Which forms may follow the first one: Chicago and MLA invert only the first author.
_NEXT = {
    "inv_init": ("inv_init", "fwd_init", "fwd_full"),
    "inv_full": ("fwd_init", "fwd_full", "inv_init", "inv_full"),
    "fwd_init": ("fwd_init",),
    "nlm": ("nlm",),
    "fwd_full": ("fwd_full", "fwd_init", "inv_init"),
    "inv_bare": ("inv_init", "inv_bare", "fwd_bare", "fwd_init"),
    # "Wang, Jing, Ma, Yiwei": every name inverted (a second inverted full name switches to this).
    "inv_pairs": ("inv_full", "inv_full2", "inv_init", "inv_bare"),
}
_NEXT_BOUNDED = ("inv_bare", "fwd_bare", "bare")
_OPENING = ("fwd_init", "inv_init", "nlm", "inv_full", "inv_bare")
_OPENING_BOUNDED = ("fwd_init", "inv_init", "inv_bare", "nlm", "inv_full", "inv_full2")
_SEPARATOR = re.compile(r"\s*(?:,\s*(?:and\s+|&\s*)|;\s*(?:and\s+|&\s*)?|,\s*|\s+(?:and|&)\s+|\s*&\s*)")
_ELLIPSIS = re.compile(r"\s*,?\s*(?:…|\.\.\.)\s*")
_ET_AL = re.compile(r"\s*,?\s*(?:et\.?\s*al\b\.?|and\s+others\b)", re.IGNORECASE)
_EDITORS = re.compile(r"\s*\((?:eds?|hrsg|dir|coord)\.?\)\.?", re.IGNORECASE)
# A family name cannot be one of these words, which start titles and venues.
_NOT_NAMES = frozenset({"The", "In", "And", "Of", "For", "To", "Proc", "Proceedings", "Journal"})

# Words that make a span an organisation rather than a person ("World Health Organization").
_CORPORATE = re.compile(
    r"\b(?:Organi[sz]ation|Association|Institute|Institution|Society|Council|Committee|Group|Agency|Department"
    r"|Ministry|University|Foundation|Office|Bureau|Commission|Cent(?:er|re)|Consortium|Collaboration|Board"
    r"|Service|News|Network|Team|Project|Inc|Ltd|Corporation|Company|Academy|Federation|Union|Administration"
    r"|Authority|Trust|Alliance|Forum|Programme|Program|Nations|Bank|Fund|Press|Party|Government)\b"
)


@dataclass(frozen=True)
class Authors:
    """The names read, whether the list was cut short, and where in the text it ended."""

    names: tuple[Name, ...]
    et_al: bool
    end: int


def scan(text: str, *, opening: tuple[str, ...] = _OPENING, bounded: bool = False) -> Authors:
    """Read the author list at the start of `text`; `end` is where reading stopped.

    `bounded` says that `text` holds nothing but names, which allows looser forms (initials without dots,
    a lone family name, two-word family names).
    """
    names: list[Name] = []
    pos, form = 0, None
    while True:
        nexts = (_NEXT[form] + (_NEXT_BOUNDED if bounded else ())) if form else opening
        if names and (et_al := _ET_AL.match(text, pos)):
            return Authors(tuple(names), True, et_al.end())
        if names and (ellipsis := _ELLIPSIS.match(text, pos)):
            # APA 7 lists the first 19 authors, "…", then the last one: keep the run, mark it cut short.
            last = _match_name(text, ellipsis.end(), nexts)
            return Authors(tuple(names), True, last[1].end() if last else pos)
        sep = _SEPARATOR.match(text, pos) if names else None
        if names and not sep:
            break
        found = _match_name(text, sep.end() if sep else pos, nexts)
        if not found:
            break
        kind, match = found
        if form == "inv_full" and len(names) == 1 and kind in ("inv_full", "inv_full2"):
            form = "inv_pairs"
        form = form or _FAMILY_OF_FORM.get(kind, kind)
        names.append(_name(match))
        pos = match.end()
    return Authors(tuple(names), False, pos)


# Looser forms continue as their strict counterpart.
_FAMILY_OF_FORM = {"inv_full2": "inv_full", "fwd_bare": "fwd_full", "bare": "inv_init"}


def read_span(span: str, *, given_first: bool = True) -> tuple[tuple[Name, ...], bool] | None:
    """The names filling `span` (text known to stand where the authors go), or None if it is not names.

    An organisation ("World Health Organization") is one literal name. `given_first=False` refuses lists
    that start "Yoonwoo Lee", which would also read any two capitalised words as a name.
    """
    core = _EDITORS.sub("", span).strip(" ,;:")
    et_al = bool(re.search(r",?\s*(?:et\.?\s*al\.?|and\s+others)$", core, re.IGNORECASE))
    core = re.sub(r",?\s*(?:et\.?\s*al\.?|and\s+others)$", "", core, flags=re.IGNORECASE).strip(" ,;:")
    if not core.strip("."):
        return (), et_al
    if _CORPORATE.search(core) and not re.search(r"\d", core):
        return (Name(family=core.rstrip(".")),), et_al
    for opening in (_OPENING_BOUNDED, ("fwd_full", "fwd_bare"))[: 2 if given_first else 1]:
        found = scan(core, opening=opening, bounded=True)
        if found.names and not core[found.end :].strip(" ,;:."):
            return found.names, et_al or found.et_al
    return None


def literal_names(span: str) -> tuple[Name, ...]:
    """Names split at separators without reading their form: the last resort for a span before a title."""
    span = span.strip(" ,;:.")
    parts = [p for p in re.split(r"\s*(?:;|,?\s+and\s+|\s*&\s*)\s*", span) if p.strip(" ,.")]
    return tuple(Name.parse(p) for p in parts)


def _match_name(text: str, pos: int, forms: tuple[str, ...]) -> tuple[str, re.Match[str]] | None:
    for kind in forms:
        match = _FORMS[kind].match(text, pos)
        if match and _plausible(match, text):
            return kind, match
    return None


def _plausible(match: re.Match[str], text: str) -> bool:
    family, given = match.group("family").split(), match.group("given").split()
    if family[-1] in _NOT_NAMES or (given and given[0] in _NOT_NAMES):
        return False
    # A name ends at punctuation, a bracket, "and"/"&", "et al." or the end: not inside a longer phrase.
    if match.group(0).endswith("."):
        return True
    rest = text[match.end() : match.end() + 6]
    return not rest or rest[0] in ",.;:()[]“\"‘'" or bool(re.match(r"\s+(?:and\b|&|et\b|\(|\d{4}|[,.;:“\"‘])", rest))


def _name(match: re.Match[str]) -> Name:
    return Name(family=" ".join(match.group("family").split()), given=" ".join(match.group("given").split()))


def strip_homonym(name: str) -> str:
    """Drop a DBLP homonym number: "Chenglong Li 0002" -> "Chenglong Li"."""
    return re.sub(r"\s+\d{4}$", "", name.strip())
