"""write_atomically: the old file or the new one, and a new file's usual permissions."""

import os

import pytest

from jlr.atomic_file import write_atomically


def test_replaces_the_file_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "sub" / "report.html"
    write_atomically(path, b"old")
    write_atomically(path, b"new")
    assert path.read_bytes() == b"new"
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_mode_is_what_open_gives_a_new_file(tmp_path, umask):
    old = os.umask(umask)
    try:
        ours = write_atomically(tmp_path / "ours.txt", b"x")
        theirs = tmp_path / "theirs.txt"
        theirs.write_bytes(b"x")
    finally:
        os.umask(old)
    assert ours.stat().st_mode & 0o777 == theirs.stat().st_mode & 0o777 == 0o666 & ~umask
