"""distinct-n and the repetition rate against hand-counted examples, and their properties."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from jlr.text.sample_metrics import distinct_n, n_repeated, ngrams, repetition_rate

samples_strategy = st.lists(st.text(alphabet="abc ", max_size=30), min_size=1, max_size=5)


def test_ngrams_by_hand():
    assert ngrams("abcd", 2) == [("a", "b"), ("b", "c"), ("c", "d")]
    assert ngrams([7, 8, 9], 3) == [(7, 8, 9)]
    assert ngrams("ab", 3) == []
    with pytest.raises(ValueError, match="n=0"):
        ngrams("ab", 0)


def test_distinct_n_by_hand():
    # "abab": bigrams ab, ba, ab -> 2 unique of 3; "abc": ab, bc -> pooled {ab, ba, bc} of 5
    assert distinct_n(["abab"], 2) == pytest.approx(2 / 3, abs=1e-12)
    assert distinct_n(["abab", "abc"], 2) == pytest.approx(3 / 5, abs=1e-12)
    assert distinct_n(["aaaa"], 1) == pytest.approx(1 / 4, abs=1e-12)
    assert distinct_n(["a", ""], 2) == 0.0  # no bigram at all
    assert distinct_n([[1, 2, 3], [3, 2, 1]], 1) == pytest.approx(3 / 6, abs=1e-12)


def test_repetition_rate_by_hand():
    # "the the the" in words: bigrams (the,the) x2 -> 1 repeat of 2
    assert repetition_rate([["the", "the", "the"]], 2) == pytest.approx(1 / 2, abs=1e-12)
    # "abcabc": bigrams ab bc ca ab bc -> 2 repeats; "xyz": 0 repeats of 2; pooled 2 / 7
    assert n_repeated("abcabc", 2) == 2
    assert repetition_rate(["abcabc", "xyz"], 2) == pytest.approx(2 / 7, abs=1e-12)
    # the same n-gram in two different samples is not a repetition: the rate is per sample
    assert repetition_rate(["ab", "ab"], 2) == 0.0
    assert distinct_n(["ab", "ab"], 2) == pytest.approx(1 / 2, abs=1e-12)
    assert repetition_rate([""], 1) == 0.0


@given(samples_strategy, st.integers(1, 4))
def test_both_lie_in_the_unit_interval(samples, n):
    assert 0.0 <= distinct_n(samples, n) <= 1.0
    assert 0.0 <= repetition_rate(samples, n) < 1.0


@given(st.text(alphabet="ab", max_size=40), st.integers(1, 4))
def test_for_one_sample_repetition_is_one_minus_distinct(sample, n):
    if len(sample) >= n:
        assert repetition_rate([sample], n) == pytest.approx(1 - distinct_n([sample], n), abs=1e-12)


@given(samples_strategy, st.integers(1, 4))
def test_repeating_every_sample_halves_distinct_n_and_keeps_repetition(samples, n):
    doubled = samples + samples
    assert distinct_n(doubled, n) == pytest.approx(distinct_n(samples, n) / 2, abs=1e-12)
    assert repetition_rate(doubled, n) == pytest.approx(repetition_rate(samples, n), abs=1e-12)


@given(st.text(alphabet="abcdefgh", min_size=1, max_size=20), st.integers(2, 5))
def test_a_sample_looped_k_times_repeats_all_but_its_first_pass(sample, k):
    looped = sample * k  # a greedy decoder's cycle
    n = 1
    rate = repetition_rate([looped], n)
    assert rate == pytest.approx(1 - len(set(sample)) / len(looped), abs=1e-12)
    assert rate >= 1 - 1 / k - 1e-12
