"""fetch: cache hits, offline failure in one line, checksum mismatches; never the network."""

import hashlib
import shutil
import urllib.error
import urllib.request

import pytest

from jlr.data import KNOWN_FILES, DataError, fetch
from jlr.data.download import RemoteFile

from .real_formats import assert_one_line, shared_file

PAYLOAD = b"tiny test payload\n"


class FakeResponse:
    def __init__(self, data):
        self.data = data

    def read(self):
        return self.data

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.fixture
def offline(monkeypatch):
    def fail(url, timeout=None):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", fail)


@pytest.fixture
def test_file(monkeypatch):
    remote = RemoteFile(
        "small/file.txt",
        ("https://a.invalid/f", "https://b.invalid/f"),
        hashlib.sha256(PAYLOAD).hexdigest(),
    )
    monkeypatch.setitem(KNOWN_FILES, "test-file", remote)
    return remote


def test_offline_says_where_to_put_the_file(tmp_path, offline):
    with pytest.raises(DataError) as error:
        fetch("mnist-test-images", tmp_path)
    expected_path = tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz"
    assert_one_line(error.value, "offline", str(expected_path), "name resolution")
    assert isinstance(error.value, ValueError) and error.value.exit_code == 2  # CLI: exit 2


def test_download_is_checked_and_saved_once(tmp_path, monkeypatch, test_file):
    calls = []

    def serve(url, timeout=None):
        calls.append(url)
        if url.startswith("https://a."):  # first mirror down, second serves the bytes
            raise urllib.error.URLError("down")
        return FakeResponse(PAYLOAD)

    monkeypatch.setattr(urllib.request, "urlopen", serve)
    path = fetch("test-file", tmp_path)
    assert path == tmp_path / "small" / "file.txt" and path.read_bytes() == PAYLOAD
    assert calls == ["https://a.invalid/f", "https://b.invalid/f"]
    assert fetch("test-file", tmp_path) == path and len(calls) == 2  # cache hit: no download
    assert [p.name for p in path.parent.iterdir()] == ["file.txt"]  # no temp files left


def test_downloaded_bytes_with_wrong_checksum_are_not_saved(tmp_path, monkeypatch, test_file):
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout=None: FakeResponse(b"evil"))
    with pytest.raises(DataError) as error:
        fetch("test-file", tmp_path)
    assert_one_line(error.value, "sha256", "does not match")
    assert not (tmp_path / "small" / "file.txt").exists()


def test_cached_file_with_wrong_checksum_is_refused(tmp_path, offline, test_file):
    path = tmp_path / "small" / "file.txt"
    path.parent.mkdir()
    path.write_bytes(b"tampered")
    with pytest.raises(DataError) as error:
        fetch("test-file", tmp_path)
    assert_one_line(error.value, str(path), "does not match", "delete it")


def test_unknown_name_lists_known_ones(tmp_path):
    with pytest.raises(DataError) as error:
        fetch("imagenet", tmp_path)
    assert_one_line(error.value, "'imagenet'", "tinyshakespeare", "cifar10")


def test_real_tinyshakespeare_from_cache_matches_table(tmp_path, offline):
    source = shared_file("tinyshakespeare.txt")
    shutil.copy(source, tmp_path / "tinyshakespeare.txt")
    assert fetch("tinyshakespeare", tmp_path) == tmp_path / "tinyshakespeare.txt"
