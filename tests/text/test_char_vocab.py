"""CharVocab: sorted code points, exact round trips (oracle: plain indexing), one-line errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from jlr.data import DataError
from jlr.text import CharVocab


def test_char_vocab_sorted_and_typed():
    vocab = CharVocab.from_text("hello")
    assert vocab.chars == ("e", "h", "l", "o") and len(vocab) == vocab.size == 4
    ids = vocab.encode("hole")
    assert ids.dtype == np.int32
    np.testing.assert_array_equal(ids, [1, 3, 2, 0])
    assert vocab.decode(ids) == "hole" and vocab.decode([]) == ""


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1, max_size=40), st.data())
def test_char_vocab_round_trip(text, data):
    vocab = CharVocab.from_text(text)
    sample = data.draw(st.text(alphabet=sorted(set(text)), max_size=40))
    ids = vocab.encode(sample)
    assert ids.shape == (len(sample),)
    assert ids.size == 0 or (0 <= ids.min() and ids.max() < vocab.size)
    assert vocab.decode(ids) == sample
    assert [vocab.chars[i] for i in ids] == list(sample)  # oracle: plain indexing


def test_char_vocab_errors():
    vocab = CharVocab.from_text("abc")
    with pytest.raises(DataError) as error:
        vocab.encode("abz")
    message = str(error.value)
    assert "\n" not in message and "'z' at position 2" in message
    with pytest.raises(DataError):
        vocab.decode([0, 3])
