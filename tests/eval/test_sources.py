"""Tests for kgan.eval.sources: iterate_batches and sampler."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import kgan
from kgan.eval import sources
from kgan.eval.sources import iterate_batches, sampler, to_float_samples


def test_docstring_examples_run():
    result = doctest.testmod(sources, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 2
    assert result.failed == 0


def test_iterate_batches_from_an_array_splits_and_caps():
    assert [b.shape for b in iterate_batches([[1.0, 2.0], [3.0, 4.0]])] == [(2, 2)]
    x = np.arange(10.0).reshape(5, 2)
    batches = list(iterate_batches(x, batch_size=2))
    assert [b.shape[0] for b in batches] == [2, 2, 1]
    np.testing.assert_array_equal(np.concatenate(batches), x)
    assert sum(b.shape[0] for b in iterate_batches(x, num_samples=3, batch_size=2)) == 3


def test_iterate_batches_from_an_iterable_of_pairs_and_dicts():
    pairs = [(np.ones((4, 2)), np.zeros(4)), (np.zeros((4, 2)), np.ones(4))]
    out = np.concatenate(list(iterate_batches(iter(pairs), batch_size=3)))
    assert out.shape == (8, 2) and out[:4].sum() == 8
    dicts = ({"image": np.ones((2, 3))} for _ in range(3))
    assert sum(b.shape[0] for b in iterate_batches(dicts, num_samples=5)) == 5


def test_iterate_batches_from_a_tf_dataset():
    ds = kgan.data.from_arrays(np.zeros((20, 2), "float32"), batch_size=8, shuffle=False)
    assert sum(b.shape[0] for b in iterate_batches(ds)) == 16  # drop_remainder


def test_iterate_batches_from_a_callable():
    asked = []

    def source(n):
        asked.append(n)
        return np.zeros((n, 2))

    assert sum(b.shape[0] for b in iterate_batches(source, num_samples=7, batch_size=3)) == 7
    assert asked == [3, 3, 1]


@pytest.mark.parametrize(
    "source, kwargs, match",
    [
        (lambda n: np.zeros((n, 2)), {}, "needs num_samples"),
        (lambda n: np.zeros((n + 1, 2)), {"num_samples": 2}, "asked for 2 samples"),
        (np.zeros((3, 2)), {"num_samples": 5}, "ran out after 3 samples"),
        ("not a source", {}, "got str"),
        (np.zeros((3, 2)), {"batch_size": 0}, "batch_size must be a positive integer"),
    ],
)
def test_iterate_batches_errors(source, kwargs, match):
    with pytest.raises(ValueError, match=match):
        list(iterate_batches(source, **kwargs))


def test_sampler_streams_reproducible_distinct_batches(tiny_gan):
    a, b = sampler(tiny_gan, seed=3), sampler(tiny_gan, seed=3)
    first, second = a(5), a(5)
    np.testing.assert_array_equal(first, b(5))
    np.testing.assert_array_equal(second, b(5))
    assert not np.allclose(first, second)
    # A bare generator model gives the same stream as the GAN it came from.
    np.testing.assert_allclose(sampler(tiny_gan.generator, seed=3)(5), first, atol=1e-6)


def test_sampler_rejects_other_objects():
    with pytest.raises(ValueError, match="got int"):
        sampler(3)


def test_to_float_samples_maps_uint8_to_the_unit_range_and_adds_a_channel():
    x = np.array([[[0, 255]]], np.uint8)
    out = to_float_samples(x)
    assert out.dtype == np.float32 and out.shape == (1, 1, 2, 1)
    assert out.ravel().tolist() == [-1.0, 1.0]
    floats = np.zeros((2, 3))
    assert to_float_samples(floats) is floats
