"""Byte-level BPE against HF `tokenizers`: the byte alphabet and GPT-2 pre-tokenization against
`pre_tokenizers.ByteLevel`, training against `BpeTrainer` (same merges, same vocabulary) and
against a naive trainer that recounts every pair before each merge, and encoding/decoding
against `models.BPE` + `decoders.ByteLevel` given the same merges; the tie-break by hand;
decode(encode(s)) == s for any string (hypothesis); save/load round trip and bad files."""

import json
from collections import Counter

import pytest
from data.real_formats import shared_file
from hypothesis import given, settings
from hypothesis import strategies as st
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

from jlr.data import DataError
from jlr.errors import UserError
from jlr.text import (
    BPE,
    bpe_decode,
    bpe_encode,
    bpe_from_merges,
    gpt2_pre_tokenize,
    load_bpe,
    save_bpe,
    train_bpe,
)
from jlr.text.bpe import BASE_TOKENS, BYTE_ID, BYTE_TO_CHAR, from_chars, merge_pair, to_chars

# Characters from several scripts and categories (Python's Unicode 14 and the Rust side agree
# on all of them): ASCII letters, digits, punctuation and apostrophes, whitespace of several
# kinds, Latin-1, Greek, Cyrillic, CJK, combining marks, emoji (with ZWJ and a skin tone),
# superscript and fraction digits (\p{N} but not decimal), an NBSP and an ideographic space.
VARIED = "abcdeABC 0123'.,!?-_\n\t\r  éüßΣσπжЖ中文字あ\u0301\u0308😀👍🏽\u200d🚀²½\xa0\u3000\u2028"
TEXT = st.text(alphabet=VARIED, max_size=60)
# words from a tiny alphabet, so that pairs repeat and ties happen during training
CORPUS = st.lists(
    st.text(alphabet="ab c'\nd", min_size=1, max_size=12) | st.text(alphabet="xé😀 ", max_size=5),
    min_size=1,
    max_size=8,
)
# a few lines of English with repeated words, so that merges go beyond single pairs
PROSE = """The quick brown fox jumps over the lazy dog.
The lazy dog sleeps; the quick fox runs on, and on, and on.

Speak, speak: the fox is quick, the dog is lazy, and the day is long.
Resolved. resolved. The rest is silence, said the dog to the fox.
"""


def hf_byte_level(tokenizer: Tokenizer) -> Tokenizer:
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    return tokenizer


def hf_train(texts, vocab_size):
    tokenizer = hf_byte_level(Tokenizer(models.BPE()))
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer)
    return tokenizer


def hf_from_bpe(bpe):
    vocab = {to_chars(token): i for i, token in enumerate(bpe.tokens)}
    merges = [(to_chars(bpe.tokens[a]), to_chars(bpe.tokens[b])) for a, b in bpe.merges]
    return hf_byte_level(Tokenizer(models.BPE(vocab, merges)))


def spelled_merges(bpe):
    return [(to_chars(bpe.tokens[a]), to_chars(bpe.tokens[b])) for a, b in bpe.merges]


def hf_merges(tokenizer):
    merges = json.loads(tokenizer.to_str())["model"]["merges"]
    return [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in merges]


def naive_train(texts, vocab_size):
    """The definition, slowly: recount every pair of every word before each merge."""
    words = Counter(w.encode() for t in texts for w in gpt2_pre_tokenize(t))
    words = {tuple(BYTE_ID[b] for b in w): n for w, n in words.items()}
    tokens, merges = list(BASE_TOKENS), []
    while len(tokens) < vocab_size:
        counts = Counter()
        for word, n in words.items():
            for pair in zip(word, word[1:], strict=False):
                counts[pair] += n
        if not counts:
            break
        pair = min(counts, key=lambda p: (-counts[p], p))
        new = tokens[pair[0]] + tokens[pair[1]]
        if new not in tokens:
            tokens.append(new)
        merges.append(pair)
        words = {tuple(merge_pair(list(w), pair, tokens.index(new))): n for w, n in words.items()}
    return merges, tokens


def test_byte_alphabet():
    assert set(BYTE_TO_CHAR.values()) == set(pre_tokenizers.ByteLevel.alphabet())
    assert len(set(BYTE_TO_CHAR.values())) == 256 and BYTE_TO_CHAR[ord(" ")] == "Ġ"
    assert BYTE_TO_CHAR[ord("a")] == "a" and BYTE_TO_CHAR[0] == "Ā" and BYTE_TO_CHAR[10] == "Ċ"
    codes = [ord(BYTE_TO_CHAR[token[0]]) for token in BASE_TOKENS]
    assert codes == sorted(codes) and BASE_TOKENS[0] == b"!"  # GPT-2's encoder.json order
    assert from_chars(to_chars(bytes(range(256)))) == bytes(range(256))


def test_pre_tokenize_by_hand():
    assert gpt2_pre_tokenize("I'm here,  they'll see 123abc!!\n\n x") == [
        "I", "'m", " here", ",", " ", " they", "'ll", " see", " 123", "abc", "!!", "\n\n", " x",
    ]  # fmt: skip
    assert gpt2_pre_tokenize("") == [] and gpt2_pre_tokenize("   ") == ["   "]


@settings(max_examples=150, deadline=None)
@given(TEXT)
def test_pre_tokenize_matches_hf_byte_level(text):
    hf = pre_tokenizers.ByteLevel(add_prefix_space=False).pre_tokenize_str(text)
    assert [to_chars(word.encode()) for word in gpt2_pre_tokenize(text)] == [w for w, _ in hf]


def test_tie_break_by_hand():
    # one word each: every pair has count 1. Ids follow code points, not bytes: "!" is id 0,
    # the space (shown as "Ġ", U+0120) id 220, so "!!" goes first though b" " < b"!".
    bpe = train_bpe(["  ", "!!"], 257, pre_tokenizer="none")
    assert bpe.merges == ((BYTE_ID[ord("!")],) * 2,)
    # equal left ids: the smaller right id first; a higher count beats any id
    bpe = train_bpe(["ac", "ab", "zz", "zz"], 259, pre_tokenizer="none")
    z, a, b, c = (BYTE_ID[ord(ch)] for ch in "zabc")
    assert bpe.merges == ((z, z), (a, b), (a, c)) and bpe.tokens[256:] == (b"zz", b"ab", b"ac")
    # a merged token ties with base pairs by its id, 256, after every byte
    bpe = train_bpe(["abab", "xy"], 259, pre_tokenizer="none")
    x, y = BYTE_ID[ord("x")], BYTE_ID[ord("y")]
    assert bpe.merges == ((a, b), (x, y), (256, 256))


def test_incremental_counts_keep_overlaps_right():
    # "aaaa" -> "aa aa" (left to right, no overlap); then ("aa", "aa") is counted once per word
    bpe = train_bpe(["aaaa", "aaaa", "aaa"], 258, pre_tokenizer="none")
    a = BYTE_ID[ord("a")]
    assert bpe.merges == ((a, a), (256, 256)) and bpe.tokens[256:] == (b"aa", b"aaaa")
    assert bpe_encode(bpe, "aaa") == [256, a]  # ("aa", "a") has no merge


def test_train_matches_hf_on_shakespeare():
    text = shared_file("tinyshakespeare.txt").read_text(encoding="utf-8")[:2000]
    bpe = train_bpe(text, 400)
    tokenizer = hf_train([text], 400)
    assert spelled_merges(bpe) == hf_merges(tokenizer)
    assert {to_chars(t): i for i, t in enumerate(bpe.tokens)} == tokenizer.get_vocab()
    assert bpe_encode(bpe, text) == tokenizer.encode(text).ids


@settings(max_examples=60, deadline=None)
@given(CORPUS, st.integers(256, 300))
def test_train_matches_hf_and_the_naive_trainer(texts, vocab_size):
    bpe = train_bpe(texts, vocab_size)
    merges, tokens = naive_train(texts, vocab_size)
    assert list(bpe.merges) == merges and list(bpe.tokens) == tokens
    assert spelled_merges(bpe) == hf_merges(hf_train(texts, vocab_size))
    assert bpe.vocab_size <= vocab_size


@settings(max_examples=100, deadline=None)
@given(TEXT)
def test_encode_and_decode_match_hf_given_the_same_merges(text):
    bpe = _trained()
    tokenizer = hf_from_bpe(bpe)
    ids = bpe_encode(bpe, text)
    assert ids == tokenizer.encode(text).ids
    assert bpe_decode(bpe, ids) == tokenizer.decode(ids) == text


@settings(max_examples=200, deadline=None)
@given(
    st.text()
    | st.sampled_from(["", " ", "\n", "  \n\n\t ", "e\u0301", "👩\u200d👩\u200d👧", "🇫🇷", "\x00"])
)
def test_round_trip_any_string(text):
    bpe = _trained()
    ids = bpe_encode(bpe, text)
    assert bpe_decode(bpe, ids) == text
    assert all(0 <= i < bpe.vocab_size for i in ids)
    assert b"".join(bpe.tokens[i] for i in ids) == text.encode()  # the ids spell the bytes
    whole = _trained("none")  # the text as one word: merges may cross any boundary
    assert bpe_decode(whole, bpe_encode(whole, text)) == text


def test_merges_shorten_and_decode_rejects_bad_ids():
    bpe = _trained()
    text = "Speak, speak. You are all resolved"
    assert len(bpe_encode(bpe, text)) < len(text.encode())
    assert bpe_encode(bpe, "") == [] and bpe_decode(bpe, []) == ""
    with pytest.raises(DataError) as error:
        bpe_decode(bpe, [0, bpe.vocab_size])
    assert "\n" not in str(error.value) and f"[0, {bpe.vocab_size})" in str(error.value)


def test_bpe_checks_its_fields():
    with pytest.raises(ValueError, match="no earlier merge"):
        BPE(((0, 300),), BASE_TOKENS + (b"!x",))
    with pytest.raises(ValueError, match="tokens must be"):
        BPE(((0, 0),), BASE_TOKENS + (b"??",))
    with pytest.raises(ValueError, match="pre_tokenizer"):
        BPE((), BASE_TOKENS, "words")
    with pytest.raises(ValueError, match="not a token yet"):
        bpe_from_merges([(b"ab", b"c")])
    with pytest.raises(ValueError, match="at least 256"):
        train_bpe("abc", 255)


def test_save_load_round_trip(tmp_path):
    bpe = train_bpe(["ab ab abc", "a b c"], 270)
    path = save_bpe(bpe, tmp_path / "bpe.json")
    loaded = load_bpe(path)
    assert loaded == bpe and loaded.ranks == bpe.ranks
    line = json.loads(path.read_text())["merges"][0]
    assert line == " ".join(spelled_merges(bpe)[0])  # HF merges.txt's spelling
    none = train_bpe(["ab ab"], 260, pre_tokenizer="none")
    assert load_bpe(save_bpe(none, tmp_path / "none.json")) == none


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"\x89PNG\r\n\x1a\n\x00", "can't decode"),
        (b"not json", "Expecting value"),
        (b'{"merges": []}', "format"),
        (b"[1, 2]", "format"),
        (b'{"format": "jlr-bpe", "pre_tokenizer": "gpt2"}', "merges"),
        (b'{"format": "jlr-bpe", "pre_tokenizer": "gpt2", "merges": ["a b c"]}', '"a b"'),
        (b'{"format": "jlr-bpe", "pre_tokenizer": "gpt2", "merges": ["ab c"]}', "not a token"),
        (b'{"format": "jlr-bpe", "pre_tokenizer": "gpt2", "merges": ["a \xc2\xa0"]}', "'\\\\xa0'"),
        (b'{"format": "jlr-bpe", "pre_tokenizer": "bytes", "merges": []}', "pre_tokenizer"),
    ],
)
def test_bad_files_are_one_line_user_errors(tmp_path, content, reason):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(DataError, match=reason) as error:
        load_bpe(path)
    message = str(error.value)
    assert isinstance(error.value, UserError) and "\n" not in message and str(path) in message


def test_missing_file_is_a_user_error(tmp_path):
    with pytest.raises(DataError, match="No such file"):
        load_bpe(tmp_path / "absent.json")


_CACHE = {}


def _trained(pre_tokenizer="gpt2"):
    """One small BPE per pre-tokenizer, trained once for the property tests."""
    if pre_tokenizer not in _CACHE:
        corpus = [PROSE, VARIED * 3, "😀😀 ééé 中文 中文字 ½½"]
        _CACHE[pre_tokenizer] = train_bpe(corpus, 400, pre_tokenizer=pre_tokenizer)
    return _CACHE[pre_tokenizer]
