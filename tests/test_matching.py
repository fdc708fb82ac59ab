"""Field comparison: the variation two correct descriptions of one work show passes; real differences do not."""

from __future__ import annotations

from app.matching import (
    compare_authors,
    compare_titles,
    garbled_number,
    misspelt_name,
    names_match,
    normalize,
    year_fits,
)
from app.models import Name


def test_normalize_strips_case_accents_latex_and_punctuation() -> None:
    assert normalize("Élan: {\\em Über}-Fast  Nets!") == "elan uber fast nets"


def test_titles_equal_up_to_case_and_punctuation_are_the_same() -> None:
    assert compare_titles(
        "Deep residual learning for image recognition", "Deep Residual Learning for Image Recognition."
    ).same


def test_titles_differing_only_in_spacing_are_the_same() -> None:
    assert compare_titles("Pre-training of 3D point clouds", "Pretraining of 3-D Point Clouds").same


def test_british_and_american_spelling_are_the_same_title() -> None:
    assert compare_titles("Optimising neural network modelling", "Optimizing Neural Network Modeling").same


def test_ligatures_do_not_change_a_title() -> None:
    assert compare_titles("Eﬃcient ﬁne-tuning of transformers", "Efficient fine-tuning of transformers").same


def test_a_dropped_subtitle_is_the_same_title() -> None:
    cmp = compare_titles("BERT", "BERT: Pre-training of Deep Bidirectional Transformers")
    assert not cmp.same  # a one-word head is too short to be recognised
    cmp = compare_titles("Attention is all you need", "Attention Is All You Need: Transformers for Translation")
    assert cmp.same and cmp.subtitle_only


def test_one_word_swapped_is_a_different_title() -> None:
    cmp = compare_titles(
        "Bias-Adversarial Augmentation towards Model Debiasing",
        "Bias-Adversarial Augmentation for Model Debiasing and Fairness",
    )
    assert not cmp.same


def test_a_replaced_content_word_is_reported() -> None:
    cmp = compare_titles("Semantic segmentation of compressed images", "Semantic segmentation of compressed videos")
    assert not cmp.same and cmp.changed
    assert cmp.similarity > 0.8


def test_a_changed_letter_is_a_different_title() -> None:
    assert not compare_titles("Subspace differential privacys", "Subspace Differential Privacy").same


def test_a_dropped_inner_article_is_a_different_title() -> None:
    assert not compare_titles("Characterizing risk of fairwashing", "Characterizing the risk of fairwashing").same


def test_html_entities_in_records_are_decoded() -> None:
    assert compare_titles("Neural networks' implicit priors", "Neural Networks&apos; Implicit Priors").same


def test_initials_match_full_given_names() -> None:
    assert names_match(Name(family="Hinton", given="G. E."), Name(family="Hinton", given="Geoffrey E."))


def test_different_first_initial_is_another_person() -> None:
    assert not names_match(Name(family="Smith", given="A."), Name(family="Smith", given="John"))


def test_family_and_given_swapped_cjk_order_match() -> None:
    assert names_match(Name(family="Chenglong", given="Li"), Name(family="Li", given="Chenglong"))


def test_dblp_homonym_number_is_ignored() -> None:
    assert names_match(Name(family="Li", given="Chenglong"), Name(family="Li 0002", given="Chenglong"))


def test_a_particle_moved_to_the_given_name_matches() -> None:
    assert names_match(Name(family="Vito", given="E. D."), Name(family="De Vito", given="Ernesto"))


def test_name_particles_and_diacritics_match() -> None:
    assert names_match(Name(family="van der Maaten", given="Laurens"), Name(family="Van Der Maaten", given="L."))
    assert names_match(Name(family="Elias", given="Marek"), Name(family="Eliáš", given="Marek"))


def test_parsed_name_forms() -> None:
    assert Name.parse("Montoya JG") == Name(family="Montoya", given="JG")
    assert Name.parse("Ludwig van Beethoven") == Name(family="van Beethoven", given="Ludwig")
    assert Name.parse("Hinton, Geoffrey E.") == Name(family="Hinton", given="Geoffrey E.")


def test_all_authors_found_in_another_order_count_as_matched() -> None:
    cited = [Name(family="Kim", given="N."), Name(family="Lee", given="Y.")]
    found = [Name(family="Lee", given="Yoonwoo"), Name(family="Kim", given="Namil")]
    cmp = compare_authors(cited, found)
    assert cmp.matched == 2 and not cmp.missing and not cmp.first_matches


def test_swapped_in_authors_are_missing() -> None:
    cited = [Name(family="Nguyen", given="Duy"), Name(family="Yao", given="Jiachen")]
    found = [Name(family="Izza", given="Yacine"), Name(family="Marques-Silva", given="Joao")]
    assert compare_authors(cited, found).missing == ("Duy Nguyen", "Jiachen Yao")


def test_a_short_author_list_without_et_al_leaves_record_authors_uncited() -> None:
    found = [Name(family=f, given="A.") for f in ("Wang", "Krishnamurthy", "Du")]
    cmp = compare_authors(found[:2], found)
    assert cmp.uncited == ("A. Du",)
    assert compare_authors(found[:2], found, et_al=True).uncited == ()


def test_a_long_list_cut_after_six_names_in_order_is_a_style_convention() -> None:
    found = [Name(family=f"Author{i}", given="A.") for i in range(12)]
    assert compare_authors(found[:10], found).uncited == ()
    assert compare_authors(found[:3], found).uncited != ()


def test_a_record_listing_only_the_first_author_is_truncated_not_contradicting() -> None:
    cited = [Name(family="Montoya", given="J. G."), Name(family="Liesenfeld", given="O.")]
    cmp = compare_authors(cited, cited[:1])
    assert cmp.record_truncated


def test_online_first_and_print_years_both_fit() -> None:
    assert year_fits(2019, [2018])
    assert year_fits(2019, [2020])
    assert not year_fits(2019, [2016])


def test_a_swapped_function_word_is_a_different_title() -> None:
    assert not compare_titles("Augmentation towards model debiasing", "Augmentation for model debiasing").same


def test_a_dropped_leading_article_is_the_same_title() -> None:
    assert compare_titles("Unreasonable effectiveness of data", "The Unreasonable Effectiveness of Data").same


def test_an_ocr_garbled_number_reads_as_the_recorded_one() -> None:
    assert garbled_number("1z", "13") and garbled_number("11I", "117") and garbled_number("315K", "315")


def test_a_clean_number_that_differs_is_not_garbled() -> None:
    assert not garbled_number("14", "13") and not garbled_number("1z", "23") and not garbled_number("x", "13")


def test_a_family_name_one_letter_off_is_misspelt() -> None:
    assert misspelt_name(Name(family="WiDkinson", given="L."), Name(family="Wilkinson", given="Louise"))


def test_short_or_distinct_family_names_are_not_misspellings() -> None:
    assert not misspelt_name(Name(family="Kim", given="J."), Name(family="Kin", given="J."))
    assert not misspelt_name(Name(family="Johnson", given="A."), Name(family="Jackson", given="A."))


def test_cited_authors_are_found_in_a_record_listing_hundreds() -> None:
    found = [Name(family=f"Author{i}", given="A.") for i in range(300)]
    found[150], found[299] = Name(family="Li", given="Chenglong"), Name(family="De Vito", given="Saverio")
    cited = [Name(family="Chenglong", given="Li"), Name(family="Vito", given="S. De"), Name(family="Nobody")]
    c = compare_authors(cited, found)
    assert (c.matched, c.missing) == (2, ("Nobody",))
