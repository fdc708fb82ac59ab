"""Do two venue names denote the same venue? Acronyms, ISO-4 abbreviations, proceedings titles and aliases.

Records name one venue many ways: "NeurIPS", "NIPS", "Advances in Neural Information Processing Systems 33",
"2023 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)", "J. Mach. Learn. Res.". The answer is
True (same), False (different) or None (cannot tell: a side is empty, or a publisher-wide series such as PMLR).
"""

from __future__ import annotations

import re
from functools import lru_cache

from app.matching import normalize

# Venues known under names that no general rule connects (renamed venues, acronyms not built from initials).
# Keys are canonical names; values are normalized aliases. General knowledge of the field, not of any dataset.
ALIASES: dict[str, tuple[str, ...]] = {
    "neurips": (
        "nips",
        "neurips",
        "advances in neural information processing systems",
        "neural information processing systems",
        "conference on neural information processing systems",
    ),
    "arxiv": ("arxiv", "corr", "arxiv preprint", "arxiv org", "computing research repository", "arxiv e prints"),
    "naacl": ("naacl", "naacl hlt", "north american chapter of the association for computational linguistics"),
    "www": ("www", "the web conference", "world wide web conference", "international world wide web conference"),
    "kdd": ("kdd", "sigkdd", "knowledge discovery and data mining"),
    "vldb": ("vldb", "pvldb", "proceedings of the vldb endowment", "very large data bases"),
    "jmlr": ("jmlr", "journal of machine learning research"),
    "tmlr": ("tmlr", "transactions on machine learning research"),
    "tacl": ("tacl", "transactions of the association for computational linguistics"),
    "tpami": ("tpami", "pami", "ieee transactions on pattern analysis and machine intelligence"),
    "findings": ("findings",),
    "biorxiv": ("biorxiv", "medrxiv"),
}
# Series that publish many conferences: a match on them neither confirms nor refutes a conference name.
SERIES = (
    "proceedings of machine learning research",
    "pmlr",
    "lecture notes in computer science",
    "lncs",
    "ceur workshop proceedings",
    "acm international conference proceeding series",
)

_ALIAS_INDEX = {alias: key for key, aliases in ALIASES.items() for alias in aliases}
_NOISE = re.compile(
    r"\b(?:\d+(?:st|nd|rd|th)?|proceedings|proc|of|the|in|on|and|annual|ieee|acm|cvf|ieee cvf|international|intl|"
    r"conference|conf|workshop|symposium|meeting|volume|vol)\b"
)
_STOP = frozenset(["of", "the", "and", "in", "on", "for", "at", "de", "la"])


@lru_cache(maxsize=16384)
def _canonical(name: str) -> str | None:
    """The alias key of a venue name, looking at the whole name and at any acronym in parentheses."""
    norm = normalize(name)
    candidates = [norm, *(normalize(p) for p in re.findall(r"\(([^)]+)\)", name))]
    stripped = normalize(re.sub(r"\b(19|20)\d\d\b", " ", norm))
    candidates.append(stripped)
    for cand in candidates:
        if cand in _ALIAS_INDEX:
            return _ALIAS_INDEX[cand]
        for alias, key in _ALIAS_INDEX.items():
            if len(alias) > 6 and alias in cand:
                return key
    tokens = set(norm.split())
    for alias, key in _ALIAS_INDEX.items():
        if " " not in alias and alias in tokens and len(alias) >= 4:
            return key
    return None


@lru_cache(maxsize=16384)
def _acronyms(name: str) -> frozenset[str]:
    """Acronyms a venue name carries: words in capitals or parentheses ("CVPR", "(ICML)")."""
    found = {normalize(m) for m in re.findall(r"\b[A-Z][A-Za-z]*[A-Z]+[a-z]*\b", name)}
    found |= {normalize(m) for m in re.findall(r"\(([A-Za-z][\w-]{1,12})\)", name)}
    return frozenset(a.replace(" ", "") for a in found if len(a) >= 2)


def _initials_contain(acronym: str, name: str) -> bool:
    """True when the acronym spells the initials of a run of content words: CVPR = Computer Vision and
    Pattern Recognition; stopwords may be skipped."""
    words = [w for w in normalize(name).split() if w not in _STOP]
    initials = "".join(w[0] for w in words)
    return len(acronym) >= 3 and acronym in initials


def _abbreviates(short: str, full: str) -> bool:
    """ISO-4 style: each word of `short` abbreviates the matching content word of `full` ("J Mach Learn Res");
    ISO-4 keeps every significant word, so the word counts must agree."""
    s = [w for w in normalize(short).split() if w not in _STOP]
    f = [w for w in normalize(full).split() if w not in _STOP]
    return bool(s) and len(s) == len(f) and all(_is_abbreviation(a, b) for a, b in zip(s, f, strict=True))


def _is_abbreviation(short: str, word: str) -> bool:
    if short[0] != word[0] or len(short) > len(word):
        return False
    it = iter(word)
    return all(ch in it for ch in short)


@lru_cache(maxsize=65536)
def venue_matches(cited: str | None, found: str | None) -> bool | None:
    """Whether two venue names denote the same venue; None when it cannot be told. Cached by the two names: the
    same journals meet again in every answer."""
    if not cited or not found:
        return None
    a, b = normalize(cited), normalize(found)
    if not a or not b:
        return None
    if a == b:
        return True
    if any(s in a or s in b for s in SERIES):
        return None
    ka, kb = _canonical(cited), _canonical(found)
    if ka or kb:
        if ka == kb:
            return True
        if ka and kb:
            return False
    core_a, core_b = _core(a), _core(b)
    if core_a and core_a == core_b:
        return True
    acr_a, acr_b = _acronyms(cited), _acronyms(found)
    if acr_a & acr_b:
        return True
    if any(_initials_contain(x, found) for x in acr_a | ({a} if " " not in a else set())):
        return True
    if any(_initials_contain(x, cited) for x in acr_b | ({b} if " " not in b else set())):
        return True
    return _abbreviates(cited, found) or _abbreviates(found, cited)


def _core(norm: str) -> str:
    """The distinctive part of a venue name: years, ordinals and generic words removed."""
    return " ".join(_NOISE.sub(" ", norm).split())


def is_preprint_venue(name: str | None) -> bool:
    return bool(name) and _canonical(name or "") in {"arxiv", "biorxiv"}
