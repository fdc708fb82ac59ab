"""Free-text citations: one made-up citation per style, every field checked."""

from __future__ import annotations

from app.models import Name, Reference
from app.parsing import parse_item


def families(ref: Reference) -> list[str]:
    return [a.family for a in ref.authors]


def test_apa_journal_article() -> None:
    ref = parse_item(
        "Okafor, M., Brandt, L. K., & van der Berg, P. (2021). Thermal evolution of an ice shell. "
        "Icarus, 301(2), 112–130. https://doi.org/10.1016/J.ICARUS.2021.01.004."
    )
    assert ref.authors == (
        Name(family="Okafor", given="M."),
        Name(family="Brandt", given="L. K."),
        Name(family="van der Berg", given="P."),
    )
    assert (ref.year, ref.title, ref.venue) == (2021, "Thermal evolution of an ice shell", "Icarus")
    assert (ref.volume, ref.issue, ref.pages) == ("301", "2", "112-130")
    assert ref.doi == "10.1016/j.icarus.2021.01.004"
    assert ref.type == "article-journal"
    assert not ref.et_al


def test_apa_keeps_question_mark_and_ellipsis_cuts_the_list() -> None:
    ref = parse_item(
        "Abe, K., Bauer, T., Chen, L.-Y., … Zhou, W. (2020). Is depth needed? A study of shallow nets. NeurIPS."
    )
    assert families(ref) == ["Abe", "Bauer", "Chen"]
    assert ref.authors[2].given == "L.-Y."
    assert ref.et_al
    assert ref.title == "Is depth needed? A study of shallow nets"
    assert ref.venue == "NeurIPS"
    assert ref.type == "paper-conference"


def test_apa_without_author_puts_title_before_date() -> None:
    ref = parse_item("Editorial board notice. (2004). Journal of Examples, 8(1), 3.")
    assert ref.authors == ()
    assert ref.title == "Editorial board notice"
    assert (ref.venue, ref.volume, ref.issue, ref.pages) == ("Journal of Examples", "8", "1", "3")


def test_apa_corporate_author() -> None:
    ref = parse_item("World Meteorological Organization. (2019). State of the climate. WMO Bulletin, 68(2).")
    assert ref.authors == (Name(family="World Meteorological Organization"),)
    assert ref.title == "State of the climate"


def test_ieee_comma_inside_quotes() -> None:
    ref = parse_item(
        "[4] R. Vasquez, T.-Y. Lindqvist, and J. A. de Souza, “Libration-driven flows in Enceladus,” "
        "J. Geophys. Res., vol. 125, no. 7, pp. 1–18, Jul. 2020."
    )
    assert families(ref) == ["Vasquez", "Lindqvist", "de Souza"]
    assert ref.authors[1].given == "T.-Y."
    assert ref.title == "Libration-driven flows in Enceladus"
    assert (ref.venue, ref.volume, ref.issue, ref.pages, ref.year) == ("J. Geophys. Res.", "125", "7", "1-18", 2020)


def test_ieee_comma_outside_quotes_conference_and_et_al() -> None:
    ref = parse_item("K. Mendez et al., “Sparse Routing for Mixtures”, in Proc. ICML, 2023, pp. 10–19.")
    assert families(ref) == ["Mendez"]
    assert ref.et_al
    assert ref.title == "Sparse Routing for Mixtures"
    assert (ref.venue, ref.year, ref.pages, ref.type) == ("Proc. ICML", 2023, "10-19", "paper-conference")


def test_ieee_arxiv_doi_sets_arxiv_with_version() -> None:
    ref = parse_item("A. Ito and B. Kumar, “Token pruning”, 2024, doi: 10.48550/arXiv.2403.01234v2.")
    assert ref.doi == "10.48550/arxiv.2403.01234v2"
    assert ref.arxiv == "2403.01234v2"
    assert ref.title == "Token pruning"
    assert ref.year == 2024


def test_mla() -> None:
    ref = parse_item(
        "Okafor, Miriam, et al. “Thermal Evolution of an Ice Shell.” Icarus, vol. 301, no. 2, 2018, pp. 112–30."
    )
    assert ref.authors == (Name(family="Okafor", given="Miriam"),)
    assert ref.et_al
    assert ref.title == "Thermal Evolution of an Ice Shell"
    assert (ref.venue, ref.volume, ref.issue, ref.year, ref.pages) == ("Icarus", "301", "2", 2018, "112-30")


def test_mla_seventh_edition_volume_dot_issue() -> None:
    ref = parse_item("Sato, Paulo, and Lena Ruiz. “Salt in Plumes.” Planetary Letters 54.1 (2018): 93–105.")
    assert ref.authors == (Name(family="Sato", given="Paulo"), Name(family="Ruiz", given="Lena"))
    assert (ref.title, ref.venue, ref.volume, ref.issue, ref.year, ref.pages) == (
        "Salt in Plumes",
        "Planetary Letters",
        "54",
        "1",
        2018,
        "93-105",
    )


def test_chicago_author_date() -> None:
    ref = parse_item(
        "Okafor, Miriam, Lukas Brandt, and Masa-aki Kono. 2022. “Ice Shells Revisited.” Icarus 12 (3): 45–67."
    )
    assert ref.authors == (
        Name(family="Okafor", given="Miriam"),
        Name(family="Brandt", given="Lukas"),
        Name(family="Kono", given="Masa-aki"),
    )
    assert (ref.year, ref.title, ref.venue, ref.volume, ref.issue, ref.pages) == (
        2022,
        "Ice Shells Revisited",
        "Icarus",
        "12",
        "3",
        "45-67",
    )


def test_chicago_with_undotted_initials() -> None:
    ref = parse_item("Brandt, L, J-P Moreau, and E Ruiz. 2009. “Plume Chemistry.” Icarus 62 (12) (November): 1144.")
    assert families(ref) == ["Brandt", "Moreau", "Ruiz"]
    assert ref.authors[1].given == "J-P"
    assert (ref.title, ref.volume, ref.issue, ref.pages) == ("Plume Chemistry", "62", "12", "1144")


def test_harvard() -> None:
    ref = parse_item("Lindqvist, T. and Okafor, M. (2017) ‘Cryovolcanism on small moons’, Icarus, 12(3), pp. 45–67.")
    assert families(ref) == ["Lindqvist", "Okafor"]
    assert (ref.year, ref.title, ref.venue, ref.volume, ref.issue, ref.pages) == (
        2017,
        "Cryovolcanism on small moons",
        "Icarus",
        "12",
        "3",
        "45-67",
    )


def test_harvard_year_after_names() -> None:
    ref = parse_item("Ruiz, L., Sato, P. & Ito, A.B., 2011. Brine pockets in ice. Icarus, 86(10), pp.1373–1381.")
    assert families(ref) == ["Ruiz", "Sato", "Ito"]
    assert (ref.year, ref.title, ref.venue, ref.volume, ref.issue, ref.pages) == (
        2011,
        "Brine pockets in ice",
        "Icarus",
        "86",
        "10",
        "1373-1381",
    )


def test_vancouver() -> None:
    ref = parse_item("1. Okafor M, Brandt LK, Sato P. Ice shell thickness. Icarus. 2022;12(3):45-67.")
    assert ref.authors == (
        Name(family="Okafor", given="M"),
        Name(family="Brandt", given="LK"),
        Name(family="Sato", given="P"),
    )
    assert (ref.title, ref.venue, ref.year, ref.volume, ref.issue, ref.pages) == (
        "Ice shell thickness",
        "Icarus",
        2022,
        "12",
        "3",
        "45-67",
    )


def test_pubmed_like_with_colon_after_names_and_wrapped_lines() -> None:
    ref = parse_item("Okafor MJ, Brandt L, et al: Tidal heat-\ning of moons. Icarus 2004, 363:1965-1976.")
    assert families(ref) == ["Okafor", "Brandt"]
    assert ref.et_al
    assert (ref.title, ref.venue, ref.year, ref.volume, ref.pages) == (
        "Tidal heating of moons",
        "Icarus",
        2004,
        "363",
        "1965-1976",
    )


def test_acs_has_no_title() -> None:
    ref = parse_item("(2) Okafor, M.; Brandt, L. K. Planetary and Space Science 1960, 11, 67–70.")
    assert families(ref) == ["Okafor", "Brandt"]
    assert ref.title is None
    assert (ref.venue, ref.year, ref.volume, ref.pages) == ("Planetary and Space Science", 1960, "11", "67-70")


def test_aip_has_no_title() -> None:
    ref = parse_item("3 M. Okafor and L.K. Brandt, Physics of Ice 11, 2551 (2004).")
    assert families(ref) == ["Okafor", "Brandt"]
    assert ref.title is None
    assert (ref.venue, ref.volume, ref.pages, ref.year) == ("Physics of Ice", "11", "2551", 2004)


def test_elsevier_without_titles() -> None:
    ref = parse_item("[1] K. OKAFOR, F. BRANDT, Kryo Prumysl 53 (2007) 215.")
    assert families(ref) == ["OKAFOR", "BRANDT"]
    assert ref.title is None
    assert (ref.venue, ref.volume, ref.year, ref.pages) == ("Kryo Prumysl", "53", 2007, "215")


def test_news_article_title_outlet_year() -> None:
    ref = parse_item("“Moon Missions Face Budget Cuts, Officials Say,” The Daily Planet, 2019.")
    assert ref.authors == ()
    assert (ref.title, ref.venue, ref.year) == (
        "Moon Missions Face Budget Cuts, Officials Say",
        "The Daily Planet",
        2019,
    )


def test_field_dump_with_empty_fields() -> None:
    ref = parse_item(
        "Wang, Jing, Ma, Yiwei, Tolbert, Leon M.. Brine pockets. physica status solidi (b). 1988. 147. . 11-44"
    )
    assert ref.authors == (
        Name(family="Wang", given="Jing"),
        Name(family="Ma", given="Yiwei"),
        Name(family="Tolbert", given="Leon M."),
    )
    assert (ref.title, ref.venue, ref.year, ref.volume, ref.issue, ref.pages) == (
        "Brine pockets",
        "physica status solidi (b)",
        1988,
        "147",
        None,
        "11-44",
    )


def test_future_year_is_kept() -> None:
    assert parse_item("Okafor, M. (2031). A paper from the future. Icarus.").year == 2031


def test_pdf_noise_ligatures_and_stray_spaces() -> None:
    ref = parse_item("Okafor, M. (2020). Eﬃcient ﬁtting of\u00a0ice  shells. Icarus, 3(1), 1–2.")
    assert ref.title == "Efficient fitting of ice shells"
    assert ref.raw == "Okafor, M. (2020). Eﬃcient ﬁtting of\u00a0ice  shells. Icarus, 3(1), 1–2."


def test_garbage_does_not_crash() -> None:
    ref = parse_item("1Bulletin DesMédePins 87m 486(2006) .")
    assert ref.year == 2006
    assert ref.title is None


def test_year_without_punctuation_after_et_al() -> None:
    ref = parse_item("Okafor, M. P. et al. 2003 Tidal heating of moons. Icarus 301, 929-933.")
    assert (ref.year, ref.title, ref.venue, ref.volume, ref.pages) == (
        2003,
        "Tidal heating of moons",
        "Icarus",
        "301",
        "929-933",
    )
    assert ref.et_al


def test_books_in_ieee_apa_and_vancouver() -> None:
    ieee = parse_item("J. Okafor, Planetary Interiors. Cambridge, MA: Example Press, 2016.")
    assert (ieee.title, ieee.publisher, ieee.year, ieee.venue, ieee.type) == (
        "Planetary Interiors",
        "Example Press",
        2016,
        None,
        "book",
    )
    apa = parse_item("Okafor, J. (2016). Planetary interiors (2nd ed.). Example Press.")
    assert (apa.title, apa.publisher) == ("Planetary interiors", "Example Press")
    nlm = parse_item(
        "Okafor J. Planetary interiors [Internet]. Boston: Example Press; 2016 [cited 2020 Jan 1]. "
        "Available from: https://example.org/book"
    )
    assert (nlm.title, nlm.publisher, nlm.year, nlm.url) == (
        "Planetary interiors",
        "Example Press",
        2016,
        "https://example.org/book",
    )
