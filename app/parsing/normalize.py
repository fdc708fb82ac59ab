"""Text clean-up shared by every parser: what PDF extraction and word processors do to citations.

`clean` is safe on any citation: it never removes words, only repairs encoding artefacts.
"""

from __future__ import annotations

import html
import re
import unicodedata

# Presentation forms (U+FB00..FB06) that PDF text extraction leaves in place of letter pairs.
_LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
# Zero-width characters, BOM and soft hyphen carry no text; drop them.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
# Every Unicode space separator becomes a plain space.
_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000\t\r\f\v]")
_ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]{2,8});")
# A word broken across a line: "conser-\nvation" or, once lines are joined, "conser- vation".
# Not when the continuation is a conjunction: "pre- and post-operative" is suspended hyphenation.
_BROKEN_WORD = re.compile(r"(?<=[a-z])-\s*\n\s*(?=[a-z])|(?<=[a-z]{2})- (?!(?:and|or|to|und|et)\b)(?=[a-z]{2})")
_BROKEN_WORD_DASH_KEPT = re.compile(r"(?<=[A-Za-z0-9])-\s*\n\s*(?=[A-Z0-9])")


def clean(text: str) -> str:
    """NFC-normalise, expand ligatures, drop invisible characters, decode HTML entities, unify spaces.

    Newlines are kept (documents are split on them); use `squash` to make one line.
    """
    text = unicodedata.normalize("NFC", text)
    for ligature, letters in _LIGATURES.items():
        text = text.replace(ligature, letters)
    text = text.translate(_INVISIBLE)
    if "&" in text and _ENTITY.search(text):
        text = html.unescape(text)
    return _SPACES.sub(" ", text)


def join_hyphenation(text: str) -> str:
    """Repair words broken at line ends: "conser-\\nvation" -> "conservation".

    A hyphen before a capital or digit ("Smith-\\nJones", "COVID-\\n19") is a real hyphen and is kept.
    """
    text = _BROKEN_WORD_DASH_KEPT.sub("-", text)
    return _BROKEN_WORD.sub("", text)


def squash(text: str) -> str:
    """One line, single spaces, hyphenation repaired."""
    return " ".join(join_hyphenation(clean(text)).split())
