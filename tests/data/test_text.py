"""Text data: the UTF-8 reader, the stdlib corpus, real tiny-shakespeare."""

import pytest

from jlr.data import (
    STDLIB_FILES,
    DataError,
    load_tinyshakespeare,
    read_text_file,
    stdlib_corpus,
    text_fingerprint,
    tinyshakespeare_split,
)
from jlr.text import CharVocab

from .real_formats import assert_one_line, shared_file

SAMPLE = "Grüße, 世界!\nline two\r\n"


def test_read_text_file_utf8(tmp_path):
    path = tmp_path / "a.txt"
    path.write_bytes(SAMPLE.encode("utf-8"))
    assert read_text_file(path) == SAMPLE
    path.write_bytes(b"\xef\xbb\xbf" + SAMPLE.encode("utf-8"))  # BOM dropped
    assert read_text_file(path) == SAMPLE


@pytest.mark.parametrize(
    ("data", "fragments"),
    [
        ("café".encode("latin-1"), ("not UTF-8 text", "byte 0xe9 at offset 3")),
        (b"abc\x00def", ("NUL byte at offset 3", "binary")),
    ],
)
def test_read_text_file_rejects_non_text(tmp_path, data, fragments):
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(DataError) as error:
        read_text_file(path)
    assert_one_line(error.value, "bad.txt", *fragments)


def test_read_text_file_missing(tmp_path):
    with pytest.raises(DataError) as error:
        read_text_file(tmp_path / "nope.txt")
    assert_one_line(error.value, "nope.txt", "no such file")


def test_stdlib_corpus_is_stable_and_recorded():
    first, second = stdlib_corpus(max_chars=20_000), stdlib_corpus(max_chars=20_000)
    assert first == second
    assert first.n_chars == len(first.text) == 20_000
    assert first.fingerprint == text_fingerprint(first.text) and len(first.fingerprint) == 16
    assert list(first.files) == sorted(first.files) and first.files
    assert set(first.files) | set(first.missing) == set(STDLIB_FILES)
    assert first.describe()["fingerprint"] == first.fingerprint
    assert stdlib_corpus(max_chars=1000).text == first.text[:1000]


def test_stdlib_corpus_records_missing_files(tmp_path):
    (tmp_path / "abc.py").write_text("x = 1\r\n", encoding="utf-8")
    corpus = stdlib_corpus(root=tmp_path, max_chars=None)
    assert corpus.files == ("abc.py",) and corpus.text == "x = 1\n"
    assert len(corpus.missing) == len(STDLIB_FILES) - 1


def test_real_tinyshakespeare():
    path = shared_file("tinyshakespeare.txt")
    corpus = load_tinyshakespeare(path)
    assert corpus.n_chars == 1_115_394
    vocab = CharVocab.from_text(corpus.text)
    assert vocab.size == 65
    train, val = tinyshakespeare_split(corpus.text)
    assert len(train) == int(0.9 * 1_115_394) and train + val == corpus.text
    assert vocab.decode(vocab.encode(val)) == val
