r"""Diversity and repetition of generated text: distinct-n and the repetition rate.

A sample is any sequence of tokens (a string's characters, or a list of ids). Its n-grams are
its windows of n consecutive tokens; a sample of length T has max(T - n + 1, 0) of them.

    distinct-n(samples)      = |unique n-grams over all samples| / |n-grams over all samples|
                               (Li et al. 2016): 1 when no n-gram occurs twice anywhere; low
                               when the samples repeat themselves or one another
    repetition rate(samples) = sum_i |n-grams of sample i that repeat an earlier n-gram of
                               sample i| / |n-grams over all samples|

Both pool the counts over the samples (a long sample weighs more than a short one). The
repetition rate looks inside each sample only, so it measures a sample looping on itself
("the the the", a greedy decoder's cycles); distinct-n also falls when different samples
say the same thing. For one sample, repetition rate = 1 - distinct-n. With no n-gram at all
(every sample shorter than n) both are 0: there is nothing to be diverse or repetitive.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence


def ngrams(sample: Sequence[Hashable], n: int) -> list[tuple]:
    """The n-grams of one sample in order: [(s[0..n-1]), (s[1..n]), ...], T - n + 1 of them."""
    if n < 1:
        raise ValueError(f"n={n} must be at least 1")
    return [tuple(sample[i : i + n]) for i in range(len(sample) - n + 1)]


def distinct_n(samples: Iterable[Sequence[Hashable]], n: int) -> float:
    """Unique n-grams over all samples / n-grams over all samples, in [0, 1]."""
    all_ngrams = [gram for sample in samples for gram in ngrams(sample, n)]
    return len(set(all_ngrams)) / len(all_ngrams) if all_ngrams else 0.0


def n_repeated(sample: Sequence[Hashable], n: int) -> int:
    """How many n-grams of the sample equal an n-gram that started earlier in it."""
    grams = ngrams(sample, n)
    return len(grams) - len(set(grams))


def repetition_rate(samples: Iterable[Sequence[Hashable]], n: int) -> float:
    """Fraction of all n-grams that repeat an earlier n-gram of their own sample, in [0, 1)."""
    samples = list(samples)
    total = sum(len(ngrams(sample, n)) for sample in samples)
    return sum(n_repeated(sample, n) for sample in samples) / total if total else 0.0
