"""MNIST-1D: generated offline from templates, cached atomically, no global RNG side effect."""

import random
import socket
import urllib.request

import numpy as np
import pytest
import requests

from jlr.data import DataError, load_mnist1d
from jlr.data import mnist1d as jlr_mnist1d

from .real_formats import assert_one_line

N = 100  # 10 per class: generation takes well under a second


def _no_network(*args, **kwargs):
    raise AssertionError("MNIST-1D must be generated offline")


@pytest.fixture
def offline(monkeypatch):
    monkeypatch.setattr(requests, "get", _no_network)
    monkeypatch.setattr(urllib.request, "urlopen", _no_network)
    monkeypatch.setattr(socket.socket, "connect", _no_network)


def test_generates_offline_and_round_trips_the_cache(tmp_path, offline, monkeypatch):
    ds = load_mnist1d(cache_dir=tmp_path, num_samples=N, seed=7)
    assert ds.x_train.shape == (80, 40) and ds.x_test.shape == (20, 40)
    assert ds.x_train.dtype == np.float32 and ds.y_train.dtype == np.int32
    np.testing.assert_array_equal(np.bincount(np.concatenate([ds.y_train, ds.y_test])), [10] * 10)
    cached = list(tmp_path.glob("mnist1d/*.npz"))
    assert len(cached) == 1 and not list(tmp_path.glob("mnist1d/*.tmp"))

    def no_regeneration(**kwargs):
        raise AssertionError("the second load must read the cache")

    monkeypatch.setattr(jlr_mnist1d, "generate_mnist1d", no_regeneration)
    again = load_mnist1d(cache_dir=tmp_path, num_samples=N, seed=7)
    for got, want in zip(again, ds, strict=True):
        np.testing.assert_array_equal(got, want)


def test_matches_the_package_generator(tmp_path, offline):
    from mnist1d.data import get_dataset_args, make_dataset

    ds = load_mnist1d(cache_dir=tmp_path, num_samples=N, seed=3)
    args = get_dataset_args()
    args.num_samples, args.seed = N, 3
    reference = make_dataset(args)
    np.testing.assert_allclose(ds.x_train, reference["x"], rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(ds.y_test, reference["y_test"])


def test_leaves_global_rngs_alone(tmp_path, offline):
    np.random.seed(1234)  # noqa: NPY002 - the legacy global state is what we check
    random.seed(99)
    numpy_before, python_before = np.random.random(), random.random()  # noqa: NPY002
    np.random.seed(1234)  # noqa: NPY002
    random.seed(99)
    load_mnist1d(cache_dir=tmp_path, num_samples=N, seed=5)
    assert np.random.random() == numpy_before  # noqa: NPY002
    assert random.random() == python_before


def test_cache_folder_from_env_and_damaged_cache(tmp_path, offline, monkeypatch):
    monkeypatch.setenv("JLR_CACHE", str(tmp_path / "env-cache"))
    first = load_mnist1d(num_samples=N, seed=1)
    (path,) = (tmp_path / "env-cache" / "mnist1d").glob("*.npz")
    path.write_bytes(b"not an npz")  # a damaged cache is regenerated, not trusted
    second = load_mnist1d(num_samples=N, seed=1)
    np.testing.assert_array_equal(second.x_test, first.x_test)
    with pytest.raises(DataError) as error:
        load_mnist1d(cache_dir=tmp_path, num_samples=5)
    assert_one_line(error.value, "num_samples=5")
