"""Venue names: aliases, acronyms and abbreviations of one venue agree; different venues do not."""

from __future__ import annotations

import pytest

from app.venues import is_preprint_venue, venue_matches


@pytest.mark.parametrize(
    ("cited", "found"),
    [
        ("NeurIPS", "Advances in Neural Information Processing Systems 33"),
        ("NIPS", "Neural Information Processing Systems"),
        ("CVPR", "2023 IEEE/CVF Conference on Computer Vision and Pattern Recognition (CVPR)"),
        ("ICML", "Proceedings of the 40th International Conference on Machine Learning"),
        ("AAAI", "Proceedings of the AAAI Conference on Artificial Intelligence"),
        ("ACL", "Proceedings of the 59th Annual Meeting of the Association for Computational Linguistics"),
        ("J. Mach. Learn. Res.", "Journal of Machine Learning Research"),
        ("Proc Natl Acad Sci U S A", "Proceedings of the National Academy of Sciences of the United States of America"),
        ("Biol Conserv", "Biological Conservation"),
    ],
)
def test_names_of_the_same_venue_match(cited: str, found: str) -> None:
    assert venue_matches(cited, found) is True


@pytest.mark.parametrize(
    ("cited", "found"),
    [
        ("ICML", "Proceedings of the AAAI Conference on Artificial Intelligence"),
        ("ICCV", "Computer Vision and Pattern Recognition"),
        ("Symposium on Neural Scaling Laws", "International Conference on Machine Learning"),
        ("CVPR", "arXiv"),
        ("International Conference on Quantum Machine Learning", "International Conference on Machine Learning"),
        ("Journal of Statistical Machine Learning Theory", "International Conference on Machine Learning"),
    ],
)
def test_different_venues_do_not_match(cited: str, found: str) -> None:
    assert venue_matches(cited, found) is False


def test_a_publisher_series_cannot_confirm_or_refute_a_conference() -> None:
    assert venue_matches("ICML", "Proceedings of Machine Learning Research") is None


def test_a_missing_venue_cannot_be_judged() -> None:
    assert venue_matches("ICML", None) is None


def test_preprint_servers_are_recognised() -> None:
    assert is_preprint_venue("arXiv preprint arXiv:2101.00001")
    assert is_preprint_venue("CoRR")
    assert not is_preprint_venue("ICLR")
