"""keep_temp_buffers_in_heap: the two glibc settings, their opt-out, and their effect on a
real process (a large block no longer comes from mmap). No speed is claimed here: the
benchmark (benchmarks/bench_transformer.py) measures that."""

import subprocess
import sys

import pytest

from jlr.train import allocator

GLIBC_REASON = allocator.mallopt_unavailable_reason()
needs_glibc = pytest.mark.skipif(GLIBC_REASON is not None, reason=str(GLIBC_REASON))


class RecordingMallopt:
    """Stands in for the C function: records each call and answers `result` (1: success)."""

    def __init__(self):
        self.calls = []
        self.result = 1

    def __call__(self, param, value):
        self.calls.append((param, value))
        return self.result


class RecordingLibc:
    def __init__(self):
        self.mallopt = RecordingMallopt()


@pytest.fixture
def recording_libc(monkeypatch):
    libc = RecordingLibc()
    monkeypatch.setattr(allocator, "_load_libc", lambda: libc)
    monkeypatch.delenv(allocator.OPT_OUT, raising=False)
    return libc


@needs_glibc
def test_sets_mmap_max_0_and_disables_trimming(recording_libc):
    assert allocator.keep_temp_buffers_in_heap() is True
    # <malloc.h>: M_MMAP_MAX = -4, M_TRIM_THRESHOLD = -1; -1 as the value disables trimming
    assert recording_libc.mallopt.calls == [(-4, 0), (-1, -1)]


@needs_glibc
def test_is_idempotent(recording_libc):
    assert allocator.keep_temp_buffers_in_heap() is True
    assert allocator.keep_temp_buffers_in_heap() is True
    assert recording_libc.mallopt.calls == [(-4, 0), (-1, -1)] * 2


def test_opt_out_changes_nothing_and_says_why(recording_libc, monkeypatch):
    monkeypatch.setenv(allocator.OPT_OUT, "1")
    assert allocator.keep_temp_buffers_in_heap() is False
    assert recording_libc.mallopt.calls == []
    assert "JLR_NO_MALLOPT is set" in allocator.mallopt_unavailable_reason()


def test_other_c_library_changes_nothing_and_says_why(recording_libc, monkeypatch):
    monkeypatch.setattr(allocator.platform, "libc_ver", lambda: ("", ""))
    assert allocator.keep_temp_buffers_in_heap() is False
    assert recording_libc.mallopt.calls == []
    assert "not glibc" in allocator.mallopt_unavailable_reason()


@needs_glibc
def test_refused_setting_returns_false(recording_libc):
    recording_libc.mallopt.result = 0  # glibc's answer to a parameter it refuses
    assert allocator.keep_temp_buffers_in_heap() is False


# A fresh process mallocs 64 MiB and reports how many bytes glibc holds in mmapped blocks
# before and after (mallinfo2's hblkhd): above the default mmap threshold the block is an
# mmap; with the settings applied it comes from the heap.
PROBE = """
import ctypes
from jlr.train.allocator import keep_temp_buffers_in_heap
class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]
libc = ctypes.CDLL(None)
libc.mallinfo2.restype = MallInfo2
libc.malloc.restype = ctypes.c_void_p
applied = keep_temp_buffers_in_heap()
before = libc.mallinfo2().hblkhd
block = libc.malloc(64 << 20)
assert block
print(applied, libc.mallinfo2().hblkhd - before)
"""


def mmapped_growth(env_extra: dict[str, str]) -> tuple[str, int]:
    import os

    env = {k: v for k, v in os.environ.items() if k != allocator.OPT_OUT} | env_extra
    completed = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, env=env, timeout=120
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    applied, growth = completed.stdout.split()
    return applied, int(growth)


@needs_glibc
@pytest.mark.subprocess
def test_a_large_block_comes_from_the_heap_in_a_real_process():
    applied, growth = mmapped_growth({})
    assert applied == "True" and growth == 0
    applied, growth = mmapped_growth({allocator.OPT_OUT: "1"})  # the control: glibc's default
    assert applied == "False" and growth >= 64 << 20
