"""WordPiece against HF `tokenizers` (`models.WordPiece`, `normalizers.BertNormalizer`,
`pre_tokenizers.BertPreTokenizer`, `decoders.WordPiece`) on the same vocabulary: the same
pieces and ids, with casing, accents, CJK, punctuation, unknown and over-long words; the
greedy longest-match rule by hand."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers

from jlr.data import DataError
from jlr.text import WordPiece, bert_normalize, bert_pre_tokenize, wordpiece_decode
from jlr.text import wordpiece_encode as encode
from jlr.text.wordpiece import split_word, tokenize

VOCAB = (
    "[PAD]", "[UNK]", "un", "##aff", "##able", "##a", "##b", "a", "b", "c", "the", "##s", "cat",
    "caf", "##e", "##é", "café", "CAT", "Cat", "##AT", ",", ".", "'", "!", "t", "don", "中", "文",
    "σ", "ς", "##σ", "ς", "i", "##̇", "x", "##x", "##xx", "ab", "abc", "##c", "e",
)  # fmt: skip
VOCAB = tuple(dict.fromkeys(VOCAB))  # unique, first spelling kept
# letters of the vocabulary in both cases, accents and combining marks, CJK (and a character of
# HF's list gap 0x2B820-0x2B91F), punctuation of several kinds, whitespace and control chars
ALPHABET = (
    "unaffbleAUNBLEcCtTsSxXé\u0301\u0308ÉΣσςİi中文字\U0002b820\U0002b920あ"
    ".,'!¿—…  \t\n\xa0\x00\x07\ufffd\u200b"
)
TEXT = st.text(alphabet=ALPHABET, max_size=40)


def hf_wordpiece(wp: WordPiece) -> Tokenizer:
    vocab = {token: i for i, token in enumerate(wp.tokens)}
    tokenizer = Tokenizer(
        models.WordPiece(
            vocab, unk_token=wp.unk_token, max_input_chars_per_word=wp.max_chars_per_word
        )
    )
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=wp.strip_accents,
        lowercase=wp.lowercase,
    )  # fmt: skip
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece(prefix=wp.prefix, cleanup=False)
    return tokenizer


def test_greedy_longest_match_by_hand():
    wp = WordPiece(VOCAB)
    assert split_word(wp, "unaffable") == ["un", "##aff", "##able"]
    assert split_word(wp, "abc") == ["abc"]  # longest first: not a ##b ##c
    assert split_word(wp, "abxxx") == ["ab", "##xx", "##x"]
    assert split_word(wp, "abz") == ["[UNK]"]  # no piece for z: the whole word, not ab [UNK]
    assert split_word(WordPiece(VOCAB, max_chars_per_word=4), "abxxx") == ["[UNK]"]
    assert tokenize(wp, "The cat's café, UNAFFABLE!") == [
        "the",
        "cat",
        "'",
        "[UNK]",
        "caf",
        "##e",
        ",",
        "un",
        "##aff",
        "##able",
        "!",
    ]  # fmt: skip  ("s" alone is not a piece, only "##s"; café -> cafe -> caf ##e)


def test_normalize_and_pre_tokenize_by_hand():
    assert bert_normalize("Héllo\tWörld\x00中文") == "hello world 中  文 "
    assert bert_normalize("Héllo", lowercase=False) == "Héllo"
    assert bert_normalize("Héllo", lowercase=True, strip_accents=False) == "héllo"
    assert bert_pre_tokenize("don't  stop...ok") == ["don", "'", "t", "stop", ".", ".", ".", "ok"]
    assert bert_pre_tokenize("") == [] and bert_pre_tokenize(" \n ") == []


@settings(max_examples=150, deadline=None)
@given(TEXT, st.booleans(), st.sampled_from([None, True, False]))
def test_matches_hf(text, lowercase, strip_accents):
    wp = WordPiece(VOCAB, lowercase=lowercase, strip_accents=strip_accents)
    tokenizer = hf_wordpiece(wp)
    encoding = tokenizer.encode(text)
    assert tokenize(wp, text) == encoding.tokens
    assert encode(wp, text) == encoding.ids
    assert wordpiece_decode(wp, encoding.ids) == tokenizer.decode(encoding.ids)
    normal = bert_normalize(text, lowercase=lowercase, strip_accents=strip_accents)
    assert normal == tokenizer.normalizer.normalize_str(text)
    hf_words = tokenizer.pre_tokenizer.pre_tokenize_str(normal)
    assert bert_pre_tokenize(normal) == [word for word, _ in hf_words]


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet="abcx", min_size=1, max_size=12), st.integers(1, 6))
def test_max_chars_and_unknown_words_match_hf(word, max_chars):
    wp = WordPiece(VOCAB, max_chars_per_word=max_chars)
    assert (
        encode(wp, word + " " + word.upper())
        == hf_wordpiece(wp).encode(word + " " + word.upper()).ids
    )


def test_pieces_rebuild_known_words():
    wp = WordPiece(VOCAB, lowercase=False)
    ids = encode(wp, "unaffable CAT abxxx")
    assert wordpiece_decode(wp, ids) == "unaffable CAT abxxx"
    assert wordpiece_decode(wp, []) == ""
    with pytest.raises(DataError) as error:
        wordpiece_decode(wp, [len(VOCAB)])
    assert "\n" not in str(error.value)


def test_bad_vocabularies():
    with pytest.raises(ValueError, match="unknown token"):
        WordPiece(("a", "b"))
    with pytest.raises(ValueError, match="unique"):
        WordPiece(("[UNK]", "a", "a"))
