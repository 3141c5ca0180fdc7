"""WordVocab against HF `tokenizers` (WordLevel model, Whitespace pre-tokenizer, WordLevelTrainer
with the same specials, vocab_size and min_frequency): the same token -> id map and the same
ids; round trips, <unk>, fixed special ids, the frequency cut and order-independent ids as
properties (hypothesis); padding against a hand-built array."""

import random
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer, models, pre_tokenizers, trainers

from jlr.data import DataError
from jlr.text import (
    BOS_ID,
    EOS_ID,
    PAD_ID,
    SPECIAL_TOKENS,
    UNK_ID,
    WordVocab,
    pad_sequences,
    pre_tokenize,
)

# words from a small alphabet so that tokens repeat (ties and cuts happen), punctuation runs,
# spaces and newlines, and a few non-ASCII letters (Python's \w and HF's agree on these)
WORD = st.text(alphabet="abcé", min_size=1, max_size=3)
PUNCT = st.text(alphabet=".,!'<>", min_size=1, max_size=2)
SPACE = st.sampled_from([" ", "  ", "\n", "\t"])
TEXT = st.lists(st.tuples(st.one_of(WORD, PUNCT), SPACE), max_size=30).map(
    lambda pairs: "".join(token + space for token, space in pairs)
)


def hf_word_level(text, *, min_freq=1, max_size=None):
    tokenizer = Tokenizer(models.WordLevel(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordLevelTrainer(
        vocab_size=10**6 if max_size is None else max_size,
        min_frequency=min_freq,
        special_tokens=list(SPECIAL_TOKENS),
        show_progress=False,
    )
    tokenizer.train_from_iterator([text], trainer)
    return tokenizer


def test_pre_tokenize_rule():
    assert pre_tokenize("don't stop...  ok?! a_b 3.14 café\n<eos>") == [
        "don", "'", "t", "stop", "...", "ok", "?!", "a_b", "3", ".", "14", "café", "<", "eos", ">",
    ]  # fmt: skip
    assert pre_tokenize(" \n\t ") == []


def test_small_vocab_by_hand():
    vocab = WordVocab.from_text("the cat sat . the dog sat . the end")
    # counts: the 3; . 2, sat 2; cat, dog, end 1 -> by count, then code point ('.' < 's')
    assert vocab.tokens == (*SPECIAL_TOKENS, "the", ".", "sat", "cat", "dog", "end")
    assert (PAD_ID, UNK_ID, BOS_ID, EOS_ID) == (0, 1, 2, 3)
    ids = vocab.encode("the bird sat", add_bos=True, add_eos=True)
    assert ids.dtype == np.int32
    np.testing.assert_array_equal(ids, [BOS_ID, 4, UNK_ID, 6, EOS_ID])
    assert vocab.decode(ids) == "<bos> the <unk> sat <eos>"
    assert vocab.decode(ids, skip_special=True) == "the sat"
    assert "cat" in vocab and "bird" not in vocab and vocab.token_id("bird") == UNK_ID
    assert vocab.size == len(vocab) == 10 and vocab.decode([]) == ""


def test_frequency_and_size_cuts_by_hand():
    text = "a a a b b c c d e"
    assert WordVocab.from_text(text, min_freq=2).tokens[4:] == ("a", "b", "c")
    assert WordVocab.from_text(text, max_size=6).tokens[4:] == ("a", "b")  # b beats c: a tie
    assert WordVocab.from_text(text, max_size=4).tokens == SPECIAL_TOKENS
    assert WordVocab.from_text("").tokens == SPECIAL_TOKENS
    np.testing.assert_array_equal(WordVocab.from_text("").encode("any words"), [UNK_ID, UNK_ID])


def test_bad_settings_and_ids():
    with pytest.raises(ValueError, match="min_freq"):
        WordVocab.from_text("a", min_freq=0)
    with pytest.raises(ValueError, match="max_size"):
        WordVocab.from_text("a", max_size=3)
    with pytest.raises(ValueError, match="starts with"):
        WordVocab(("a", "b"))
    with pytest.raises(ValueError, match="unique"):
        WordVocab((*SPECIAL_TOKENS, "a", "a"))
    vocab = WordVocab.from_text("a b")
    with pytest.raises(DataError) as error:
        vocab.decode([0, 6])
    assert "\n" not in str(error.value) and "[0, 6)" in str(error.value)


@settings(max_examples=60, deadline=None)
@given(TEXT, st.integers(1, 3), st.one_of(st.none(), st.integers(4, 12)))
def test_matches_hf_word_level(text, min_freq, max_size):
    vocab = WordVocab.from_text(text, min_freq=min_freq, max_size=max_size)
    tokenizer = hf_word_level(text, min_freq=min_freq, max_size=max_size)
    assert {token: i for i, token in enumerate(vocab.tokens)} == tokenizer.get_vocab()
    probe = text + " unseen zzz ,,"  # unknown words and punctuation too
    assert vocab.encode(probe).tolist() == tokenizer.encode(probe).ids
    assert pre_tokenize(probe) == [
        token for token, _ in pre_tokenizers.Whitespace().pre_tokenize_str(probe)
    ]


@settings(max_examples=60, deadline=None)
@given(TEXT, st.data())
def test_round_trip_on_in_vocabulary_text(text, data):
    vocab = WordVocab.from_text(text)
    tokens = (
        data.draw(st.lists(st.sampled_from(vocab.tokens[4:]), max_size=20))
        if len(vocab) > 4
        else []
    )
    sample = " ".join(tokens)
    ids = vocab.encode(sample)
    assert UNK_ID not in ids.tolist() and ids.shape == (len(pre_tokenize(sample)),)
    assert vocab.decode(ids) == " ".join(pre_tokenize(sample))
    assert pre_tokenize(vocab.decode(vocab.encode(text))) == pre_tokenize(text)  # the whole text
    assert [vocab.tokens[i] for i in vocab.encode(text)] == pre_tokenize(text)  # oracle: indexing


@settings(max_examples=60, deadline=None)
@given(TEXT, st.integers(1, 3), st.one_of(st.none(), st.integers(4, 12)), st.randoms())
def test_cut_and_order_properties(text, min_freq, max_size, rng):
    tokens = pre_tokenize(text)
    counts = Counter(tokens)
    vocab = WordVocab.from_text(text, min_freq=min_freq, max_size=max_size)
    kept = vocab.tokens[4:]
    assert vocab.tokens[:4] == SPECIAL_TOKENS  # fixed ids whatever the text
    assert max_size is None or len(vocab) <= max_size
    assert all(counts[token] >= min_freq for token in kept)
    keys = [(-counts[token], token) for token in kept]
    assert keys == sorted(keys)  # by count, ties by code point
    dropped = [token for token in counts if token not in vocab]
    if kept and dropped:  # everything dropped was rare or ranked after the last kept token
        assert all(counts[t] < min_freq or (-counts[t], t) > keys[-1] for t in dropped)
    for token in dropped:
        assert vocab.encode(token).tolist() == [UNK_ID] * len(pre_tokenize(token))
    shuffled = list(tokens)
    rng.shuffle(shuffled)  # the ids depend on the counts only, not on where tokens appear
    assert WordVocab.from_tokens(shuffled, min_freq=min_freq, max_size=max_size) == vocab


@settings(max_examples=40, deadline=None)
@given(st.text(min_size=1, max_size=40), st.text(max_size=40))
def test_character_level_with_specials(train_text, sample):
    vocab = WordVocab.from_tokens(list(train_text))
    ids = vocab.encode_tokens(list(sample), add_bos=True, add_eos=True)
    assert ids[0] == BOS_ID and ids[-1] == EOS_ID and len(ids) == len(sample) + 2
    known = [char if char in vocab else SPECIAL_TOKENS[UNK_ID] for char in sample]
    assert vocab.decode_tokens(ids[1:-1]) == known
    in_vocab = "".join(char for char in sample if char in vocab)
    assert "".join(vocab.decode_tokens(vocab.encode_tokens(list(in_vocab)))) == in_vocab


def test_special_token_spellings_are_not_counted_or_parsed():
    vocab = WordVocab.from_tokens(["<pad>", "x", "<eos>", "x", "y"])
    assert vocab.tokens == (*SPECIAL_TOKENS, "x", "y")
    assert vocab.encode("<eos>").tolist() == [UNK_ID, UNK_ID, UNK_ID]  # "<", "eos", ">"


def test_pad_sequences():
    ids, mask = pad_sequences([[5, 6, 7], [8], []])
    np.testing.assert_array_equal(ids, [[5, 6, 7], [8, PAD_ID, PAD_ID], [PAD_ID] * 3])
    np.testing.assert_array_equal(mask, [[1, 1, 1], [1, 0, 0], [0, 0, 0]])
    assert ids.dtype == np.int32 and mask.dtype == bool
    assert pad_sequences([[1]], length=3)[0].shape == (1, 3)
    with pytest.raises(DataError, match="length=2"):
        pad_sequences([[1, 2, 3]], length=2)


def test_ids_do_not_depend_on_hash_order():
    """Counting goes through a dict; the ranking must not inherit its order."""
    words = [f"w{i}" for i in range(50)] * 2
    orders = {
        WordVocab.from_tokens(random.Random(seed).sample(words, len(words))).tokens
        for seed in range(5)
    }
    assert len(orders) == 1
