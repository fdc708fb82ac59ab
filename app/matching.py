"""Field-by-field comparison of a citation with a record, tolerant of the variation real records have.

Pure functions, no I/O. Each tolerance mirrors a way two correct descriptions of one work differ in practice:
case, punctuation, diacritics, LaTeX, ligatures, subtitles, initials, name particles, family/given order,
online vs print year. Anything beyond those is a difference worth reporting.
"""

from __future__ import annotations

import difflib
import html
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from app.models import Name

# Letters that NFKD does not decompose into ASCII.
_TRANSLIT = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "ae",
        "œ": "oe",
        "Œ": "oe",
        "ø": "o",
        "Ø": "o",
        "ł": "l",
        "Ł": "l",
        "đ": "d",
        "Đ": "d",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        "ﬁ": "fi",
        "ﬂ": "fl",
        "ﬀ": "ff",
        "ﬃ": "ffi",
        "ﬄ": "ffl",
    }
)
_LATEX_COMMAND = re.compile(r"\\[a-zA-Z]+\s*|\\.")
_NON_WORD = re.compile(r"[^0-9a-z]+")
_TAGS = re.compile(r"</?[a-zA-Z][^>]*>")

# A leading article is often dropped by indexes that sort by title; any other changed word is a different title.
ARTICLES = frozenset({"a", "an", "the"})


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """Lower-case ASCII words separated by single spaces: accents, LaTeX, tags and punctuation removed."""
    # Each step only when its marker is present: most titles and names are plain ASCII words.
    if "&" in text:
        text = html.unescape(text)
    if "<" in text:
        text = _TAGS.sub(" ", text)
    if "\\" in text:
        text = _LATEX_COMMAND.sub("", text)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_TRANSLIT))
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", text.lower()).strip()


def _fold(word: str) -> str:
    """British and American spelling folded together ("modelling" ~ "modeling", "optimise" ~ "optimize")."""
    word = word.replace("isation", "ization").replace("ising", "izing").replace("ise", "ize")
    return word.replace("elling", "eling").replace("our", "or")


@lru_cache(maxsize=65536)
def _words(text: str) -> tuple[str, ...]:
    return tuple(_fold(w) for w in normalize(text).split())


@dataclass(frozen=True)
class TitleComparison:
    """How two titles relate. `similarity` in 0..1; `changed` lists the content words that differ."""

    similarity: float
    changed: tuple[str, ...] = ()
    subtitle_only: bool = False  # one title is the other without its subtitle

    @property
    def same(self) -> bool:
        return not self.changed or self.subtitle_only


@lru_cache(maxsize=16384)
def compare_titles(cited: str, found: str) -> TitleComparison:
    """Compare two titles word by word, ignoring stopwords and spelling variants.

    Cached: one citation meets the same title in several sources' answers (and the comparison is frozen)."""
    a, b = _words(cited), _words(found)
    if not a or not b:
        return TitleComparison(0.0, ("<empty>",))
    if a == b or "".join(a) == "".join(b):  # equal, or equal but for spacing ("3D" vs "3-D", glued words)
        return TitleComparison(1.0)
    similarity = fuzz.ratio(" ".join(a), " ".join(b)) / 100
    changed = _changed_words(a, b)
    if not changed:
        return TitleComparison(max(similarity, 0.97))
    # A subtitle dropped (or added) in the citation: the shorter title is the longer one's head, up to ':'.
    for short, long in ((cited, found), (found, cited)):
        head = re.split(r"\s*[:?!.]\s+|\s+[-–—|]\s+", long, maxsplit=1)[0]
        if head != long and _words(short) == _words(head) and len(_words(head)) >= 2:
            return TitleComparison(max(similarity, 0.9), tuple(changed), subtitle_only=True)
    return TitleComparison(similarity, tuple(changed))


def _changed_words(a: Sequence[str], b: Sequence[str]) -> list[str]:
    """Words inserted, deleted or replaced between two word lists (a dropped leading article excepted)."""
    if (a[0] in ARTICLES and a[1:] == b) or (b[0] in ARTICLES and b[1:] == a):
        return []
    changed: list[str] = []
    matcher = difflib.SequenceMatcher(a=a, b=b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        left, right = a[i1:i2], b[j1:j2]
        if op == "replace" and "".join(left) == "".join(right):
            continue  # "pre training" vs "pretraining"
        if op == "replace" and len(left) == len(right):
            changed += [f"{x}->{y}" for x, y in zip(left, right, strict=True) if x != y]
            continue
        changed += [*left, *right]
    return changed


# Names -----------------------------------------------------------------------------------------------------------

_HOMONYM = re.compile(r"\s+\d{4}$")  # DBLP disambiguation: "Chenglong Li 0002"


_PARTICLES = frozenset(
    [
        "de",
        "da",
        "di",
        "do",
        "dos",
        "das",
        "del",
        "della",
        "der",
        "den",
        "van",
        "von",
        "ter",
        "ten",
        "le",
        "la",
        "du",
        "y",
    ]
)


@lru_cache(maxsize=65536)
def _name_key(text: str) -> str:
    return normalize(_HOMONYM.sub("", text)).replace(" ", "")


@lru_cache(maxsize=65536)
def _family_core(text: str) -> str:
    """The family name without leading particles: "De Vito" and "Vito" (particle moved to the given name)."""
    words = normalize(_HOMONYM.sub("", text)).split()
    while len(words) > 1 and words[0] in _PARTICLES:
        words = words[1:]
    return "".join(words)


@lru_cache(maxsize=65536)
def _initials(given: str) -> str:
    return "".join(part[0] for part in normalize(given).split() if part)


def names_match(cited: Name, found: Name) -> bool:
    """Same person as far as a citation can tell: family names agree and the given names or initials fit.

    Tolerates initials vs full names, family/given swapped (CJK order, "Family Given" strings), particles and
    hyphens, and a missing given name on either side.
    """
    return _same_person(cited.family, cited.given, found.family, found.given)


@lru_cache(maxsize=65536)
def _same_person(cited_family: str, cg: str, found_family: str, fg: str) -> bool:
    """`names_match` on the names' strings, cached: a citation's authors meet the same record in several answers."""
    cf, ff = _name_key(cited_family), _name_key(found_family)
    if not cf or not ff:
        return False
    if cf == ff or _family_core(cited_family) == _family_core(found_family):
        return _given_fit(cg, fg)
    # Swapped order: "Li Chenglong" cited, Li / Chenglong found; or full name packed into one field.
    if cg and fg and _name_key(cg) == ff and _name_key(fg) == cf:
        return True
    cited_full = _name_key(f"{cg} {cited_family}")
    found_full = _name_key(f"{fg} {found_family}")
    return cited_full == found_full or _name_key(f"{cited_family} {cg}") == found_full


def _found_keys(found: Name) -> tuple[str, ...]:
    """Where a record's name is filed for `compare_authors`: a cited name can match it (`names_match`) only under
    one of these (family, family without particles, full name)."""
    return (
        "f:" + _name_key(found.family),
        "c:" + _family_core(found.family),
        "F:" + _name_key(f"{found.given} {found.family}"),
    )


def _cited_keys(cited: Name) -> tuple[str, ...]:
    """Where to look for a cited name: its family (or its given name, for swapped order) and its full name."""
    return (
        "f:" + _name_key(cited.family),
        "c:" + _family_core(cited.family),
        "f:" + _name_key(cited.given),
        "F:" + _name_key(f"{cited.given} {cited.family}"),
        "F:" + _name_key(f"{cited.family} {cited.given}"),
    )


def _given_fit(a: str, b: str) -> bool:
    ia, ib = _initials(a), _initials(b)
    if not ia or not ib:
        return True
    # "J." vs "Jason", "J. A." vs "Jason", "Jean-Christophe" vs "J.-C.": the first initial decides.
    return ia[0] == ib[0]


LONG_LIST = 12  # author lists longer than this are indexed by name rather than scanned for each cited name
STYLE_CUT = 6  # the shortest cut of a long author list in common styles (Vancouver, IEEE)


@dataclass(frozen=True)
class AuthorComparison:
    """Which cited authors the record confirms. `missing`: cited but not on the record; `uncited`: the reverse."""

    matched: int
    missing: tuple[str, ...] = ()
    uncited_names: tuple[Name, ...] = ()
    first_matches: bool = True
    record_truncated: bool = False  # the record lists fewer names than were cited: a partial record, not proof

    @property
    def uncited(self) -> tuple[str, ...]:
        """The record's names the citation left out (written only when asked: a record may list hundreds)."""
        return tuple(str(n) for n in self.uncited_names)

    @property
    def score(self) -> float:
        total = self.matched + len(self.missing)
        return self.matched / total if total else 1.0


def compare_authors(cited: Sequence[Name], found: Sequence[Name], *, et_al: bool = False) -> AuthorComparison:
    """Match every cited author against the record's list (order-insensitive), and report the leftovers."""
    in_order = bool(cited) and all(names_match(c, f) for c, f in zip(cited, found, strict=False))
    if in_order and len(cited) <= len(found):
        # The record's first authors in its order, as most citations give them: each cited name pairs with the
        # name at its place, as the search below would pair it; a long list needs no index.
        style_cut = len(cited) >= STYLE_CUT
        uncited = () if et_al or style_cut else tuple(found[len(cited) :])
        return AuthorComparison(len(cited), (), uncited, True, False)
    index: dict[str, list[int]] = {}  # a long list: the keys under which names_match can pair a name: positions
    for i, f in enumerate(found if len(found) > LONG_LIST else ()):
        for key in _found_keys(f):
            index.setdefault(key, []).append(i)
    taken: set[int] = set()
    missing: list[str] = []
    matched = 0
    for name in cited:
        if index:
            positions = sorted({i for key in _cited_keys(name) for i in index.get(key, ())} - taken)
        else:
            positions = [i for i in range(len(found)) if i not in taken]
        hit = next((i for i in positions if names_match(name, found[i])), None)
        if hit is None:
            missing.append(str(name))
        else:
            taken.add(hit)
            matched += 1
    remaining = [f for i, f in enumerate(found) if i not in taken]
    first = not cited or not found or names_match(cited[0], found[0])
    record_truncated = len(found) < len(cited) and matched == len(found)
    # Style guides cut long lists to their first 6, 7, 10 or 20 names; a lost "et al." after such a prefix is
    # a convention, not a miscitation.
    style_cut = len(cited) >= STYLE_CUT and in_order
    uncited = () if et_al or style_cut or not cited else tuple(remaining)
    return AuthorComparison(matched, tuple(missing), uncited, first, record_truncated)


# Years -----------------------------------------------------------------------------------------------------------


def first_page(pages: str | None) -> str | None:
    """The first page of a range ("1233-1246", "75P.1–75P", "e1234, e1240")."""
    first = re.split(r"[-–—,]", pages or "")[0].strip()
    return first or None


def garbled_number(cited: str, found: str) -> bool:
    """A number printed with OCR noise reads as the recorded one: "1z" for 13, "11I" for 117, "315K" for 315.

    The cited value must hold a letter (a clean number that differs is a different number); its digits stand where
    the record's do, and at most one character is noise in place of a digit.
    """
    c, f = normalize(cited).replace(" ", ""), normalize(found).replace(" ", "")
    if not f.isdigit() or c.isdigit() or not any(ch.isdigit() for ch in c):
        return False
    if c.strip("abcdefghijklmnopqrstuvwxyz") == f:
        return True
    return (
        len(c) == len(f)
        and sum(a != b for a, b in zip(c, f, strict=True)) == 1
        and all(a == b for a, b in zip(c, f, strict=True) if a.isdigit())
    )


def misspelt_name(cited: Name, found: Name) -> bool:
    """Family names one typing or OCR error apart ("WiDkinson" / "Wilkinson", "Ndo sgala" / "Ndongala"): the same
    person misspelt, or another person; a citation cannot tell, so the name neither confirms nor contradicts."""
    a, b = _name_key(cited.family), _name_key(found.family)
    return min(len(a), len(b)) >= 5 and Levenshtein.distance(a, b) <= 1 + len(a) // 10


def year_fits(cited: int, found: Sequence[int]) -> bool:
    """A year is right when a version of the work carries it, give or take one year (online-first vs print,
    conference vs proceedings volume)."""
    return any(abs(cited - y) <= 1 for y in found)
