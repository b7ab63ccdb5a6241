"""BM25 text analysis: words, characters, pinyin abbreviations, stopwords."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from knowledge_base.retrieval.lexicon import STOPWORDS, analyze


def test_pinyin_abbreviations_become_the_words_they_stand_for() -> None:
    assert "退款" in analyze("tk几天到啊")
    assert "运费险" in analyze("YFX怎么赔")


def test_a_typo_still_shares_characters_with_the_right_word() -> None:
    assert {"~退", "~款"} <= set(analyze("退款")) and "~退" in analyze("退宽")


def test_question_words_and_particles_carry_no_weight() -> None:
    terms = analyze("请问怎么退货呢？")
    assert "退货" in terms
    assert not {"请问", "怎么", "呢", "~呢"} & set(terms)


def test_traditional_and_full_width_text_analyse_like_simplified() -> None:
    assert analyze("退貨運費") == analyze("退货运费")


@given(text=st.text(max_size=200))
def test_analysis_never_fails_and_yields_clean_terms(text: str) -> None:
    terms = analyze(text)
    assert all(term.strip() and term not in STOPWORDS for term in terms)
