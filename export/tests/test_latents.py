"""sample_latents / default_labels follow the documented numpy expressions exactly."""

from __future__ import annotations

import numpy as np
import pytest

from kgan_runtime import InvalidInputError, default_labels, sample_latents


@pytest.mark.parametrize(("n", "d", "seed"), [(1, 1, 0), (5, 64, 0), (64, 128, 42), (3, 7, 2**40)])
def test_sample_latents_is_the_documented_expression(n, d, seed):
    expected = np.random.default_rng(seed).standard_normal((n, d)).astype(np.float32)
    got = sample_latents(n, d, seed)
    assert got.dtype == np.float32
    assert got.shape == (n, d)
    np.testing.assert_array_equal(got, expected)
    # Bit for bit, not just numerically equal.
    assert got.tobytes() == expected.tobytes()


def test_sample_latents_draws_float64_then_casts():
    direct32 = np.random.default_rng(0).standard_normal((4, 4), dtype=np.float32)
    assert not np.array_equal(sample_latents(4, 4, 0), direct32)


def test_sample_latents_numpy_integer_arguments():
    np.testing.assert_array_equal(
        sample_latents(np.int64(3), np.int32(4), np.uint8(9)), sample_latents(3, 4, 9)
    )


def test_sample_latents_seed_none_differs():
    assert not np.array_equal(sample_latents(2, 16), sample_latents(2, 16))


@pytest.mark.parametrize(
    ("n", "d", "seed"),
    [
        (0, 4, 0),
        (-1, 4, 0),
        (2.0, 4, 0),
        (True, 4, 0),
        ("3", 4, 0),
        (2, 0, 0),
        (2, 4.5, 0),
        (2, 4, -1),
        (2, 4, 1.5),
        (2, 4, "seed"),
        (2, 4, True),
    ],
)
def test_sample_latents_rejects_bad_arguments(n, d, seed):
    with pytest.raises(InvalidInputError):
        sample_latents(n, d, seed)


@pytest.mark.parametrize(("n", "k"), [(1, 2), (5, 3), (10, 10), (7, 100)])
def test_default_labels(n, k):
    got = default_labels(n, k)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, (np.arange(n) % k).astype(np.int32))


@pytest.mark.parametrize(("n", "k"), [(0, 3), (3, 1), (3, 0), (3, None), (3, 2.0), (3, True)])
def test_default_labels_rejects_bad_arguments(n, k):
    with pytest.raises(InvalidInputError):
        default_labels(n, k)
