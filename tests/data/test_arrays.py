"""kgan.data.arrays: the one uint8 -> [-1, 1] mapping, sample and label checks, memory bounds."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

from kgan.data import arrays


def test_uint8_to_float_is_x_over_127_5_minus_1_for_every_value():
    values = np.arange(256, dtype=np.uint8)
    out = arrays.uint8_to_float(values)
    assert out.dtype == np.float32
    assert out[0] == -1.0 and out[255] == 1.0
    np.testing.assert_array_equal(out, values.astype(np.float32) / np.float32(127.5) - 1)
    assert np.all(np.diff(out) > 0)
    with pytest.raises(ValueError, match="takes uint8 values; got dtype int64"):
        arrays.uint8_to_float(np.arange(3))


def test_check_samples_keeps_uint8_and_adds_a_channel():
    x = np.zeros((3, 4, 5), np.uint8)
    out = arrays.check_samples(x)
    assert out.dtype == np.uint8 and out.shape == (3, 4, 5, 1)
    assert arrays.check_samples(np.zeros((3, 2), np.float64)).dtype == np.float32
    assert arrays.to_float_samples(np.full((1, 2, 2), 255, np.uint8)).max() == 1.0
    with pytest.raises(ValueError, match=r"x as float32 \(\(1, 2, 2, 1\)\) would take"):
        arrays.to_float_samples(np.zeros((1, 2, 2), np.uint8), max_bytes=15)


def test_sample_shape_is_one_sample_as_the_networks_see_it():
    assert arrays.sample_shape(np.zeros((10, 8, 8), np.uint8)) == (8, 8, 1)
    assert arrays.sample_shape(np.zeros((10, 8, 8, 3), np.float32)) == (8, 8, 3)
    assert arrays.sample_shape(np.zeros((10, 2), np.float32)) == (2,)
    with pytest.raises(ValueError, match="empty"):
        arrays.sample_shape(np.zeros((0, 2), np.float32))


@pytest.mark.parametrize(
    "labels,match",
    [
        (np.array([0, 1, 2**31], np.int64), r"must be <= 2147483647 .*maximum of 2147483648"),
        (np.array([0, 1, 2**32], np.int64), r"maximum of 4294967296"),  # would wrap to 0
        (np.array([0, 1, 2**63 + 5], np.uint64), r"maximum of 9223372036854775813"),
        (np.array([-1, 0, 1]), "must be >= 0"),
        (np.array([0.0, 1.0, 2.0]), "must be 3 integers"),
        (np.array([0, 1]), "must be 3 integers"),
    ],
)
def test_labels_out_of_the_int32_range_are_refused_not_wrapped(labels, match):
    with pytest.raises(ValueError, match=match):
        arrays.check_labels(labels, 3)


def test_labels_at_the_int32_limit_pass():
    out = arrays.check_labels(np.array([0, 2**31 - 1], np.uint64), 2)
    assert out.dtype == np.int32 and out.tolist() == [0, 2**31 - 1]


def test_check_memory_names_the_size_and_the_bound():
    arrays.check_memory(100, "a", max_bytes=100)
    with pytest.raises(ValueError, match=r"b would take 0.00 GiB .* more than max_bytes=10 "):
        arrays.check_memory(11, "b", max_bytes=10)
    with pytest.raises(ValueError, match="more than half the available memory"):
        arrays.check_memory(2**62, "c")
    with pytest.raises(ValueError, match="max_bytes must be a positive integer"):
        arrays.check_memory(1, "d", max_bytes=1.5)
    assert arrays.available_memory() > 0


def test_docstring_examples_run():
    result = doctest.testmod(arrays, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 5 and result.failed == 0
