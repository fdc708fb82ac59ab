"""The same references as BibTeX, RIS, CSL-JSON and a plain-text bibliography get the same verdicts."""

from __future__ import annotations

import json
from typing import ClassVar

from app.matching import normalize
from app.models import Name, Record, Reference, Verdict
from app.parsing import parse_document
from app.settings import Settings
from app.sources.base import IdKind
from app.verifier import Verifier

REAL = Record(
    source="catalogue",
    type="article-journal",
    title="Deep learning for cell segmentation in microscopy",
    authors=(Name(family="Moen", given="Erick"), Name(family="Bannon", given="Dylan")),
    year=2019,
    venue="Nature Methods",
    volume="16",
    pages="1233-1246",
    doi="10.1038/s41592-019-0403-1",
)
BIBTEX = """
@article{moen, title={Deep learning for cell segmentation in microscopy}, author={Moen, Erick and Bannon, Dylan},
  journal={Nature Methods}, year={2019}, volume={16}, pages={1233--1246}}
@article{moen2, title={Deep learning for cell segmentation in microscopy}, author={Moen, Erick and Bannon, Dylan},
  journal={Nature Methods}, year={2031}, volume={16}, pages={1233--1246}}
@article{fake, title={Quantum annealing of cardiac tissue scaffolds}, author={Rivera, Ana and Okafor, Chidi},
  journal={Nature Methods}, year={2020}, volume={17}, pages={1--9}}
"""
RIS = """TY  - JOUR
TI  - Deep learning for cell segmentation in microscopy
AU  - Moen, Erick
AU  - Bannon, Dylan
JO  - Nature Methods
PY  - 2019
VL  - 16
SP  - 1233
EP  - 1246
ER  -
TY  - JOUR
TI  - Deep learning for cell segmentation in microscopy
AU  - Moen, Erick
AU  - Bannon, Dylan
JO  - Nature Methods
PY  - 2031
VL  - 16
SP  - 1233
EP  - 1246
ER  -
TY  - JOUR
TI  - Quantum annealing of cardiac tissue scaffolds
AU  - Rivera, Ana
AU  - Okafor, Chidi
JO  - Nature Methods
PY  - 2020
VL  - 17
SP  - 1
EP  - 9
ER  -
"""
CSL = json.dumps(
    [
        {
            "type": "article-journal",
            "title": "Deep learning for cell segmentation in microscopy",
            "author": [{"family": "Moen", "given": "Erick"}, {"family": "Bannon", "given": "Dylan"}],
            "container-title": "Nature Methods",
            "issued": {"date-parts": [[year]]},
            "volume": "16",
            "page": "1233-1246",
        }
        for year in (2019, 2031)
    ]
    + [
        {
            "type": "article-journal",
            "title": "Quantum annealing of cardiac tissue scaffolds",
            "author": [{"family": "Rivera", "given": "Ana"}, {"family": "Okafor", "given": "Chidi"}],
            "container-title": "Nature Methods",
            "issued": {"date-parts": [[2020]]},
            "volume": "17",
            "page": "1-9",
        }
    ]
)
TEXT = """References
1. Moen, E., & Bannon, D. (2019). Deep learning for cell segmentation in microscopy. Nature Methods, 16, 1233–1246.
2. Moen, E., & Bannon, D. (2031). Deep learning for cell segmentation in microscopy. Nature Methods, 16, 1233–1246.
3. Rivera, A., & Okafor, C. (2020). Quantum annealing of cardiac tissue scaffolds. Nature Methods, 17, 1–9.
"""


class Catalogue:
    """An in-memory scholarly index behind the `Source` protocol: finds records sharing a title word."""

    name: ClassVar[str] = "openalex"
    identifiers: ClassVar[frozenset[IdKind]] = frozenset()
    searchable: ClassVar[bool] = True
    search_reads: ClassVar[frozenset[str] | None] = None

    async def resolve(self, kind: IdKind, value: str) -> Record | None:
        return None

    async def search(self, ref: Reference, *, limit: int = 5) -> list[Record]:
        words = set(normalize(ref.title or ref.raw or "").split())
        return [REAL] if words & set(normalize(REAL.title or "").split()) - {"in", "for"} else []


async def verdicts(body: str, content_type: str, settings: Settings) -> list[Verdict]:
    verifier = Verifier({"openalex": Catalogue()}, settings)
    return [r.verdict for r in await verifier.verify(parse_document(body, content_type))]


async def test_every_input_format_gives_the_same_verdicts(settings: Settings) -> None:
    expected = [Verdict.VERIFIED, Verdict.MISCITED, Verdict.NOT_FOUND]
    assert await verdicts(BIBTEX, "application/x-bibtex", settings) == expected
    assert await verdicts(RIS, "application/x-research-info-systems", settings) == expected
    assert await verdicts(CSL, "application/vnd.citationstyles.csl+json", settings) == expected
    assert await verdicts(TEXT, "text/plain", settings) == expected
