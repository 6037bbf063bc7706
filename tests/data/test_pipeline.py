"""kgan.data.pipeline: from_arrays, resumable_batches, and the per-batch uint8 -> float mapping."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kgan import data
from kgan.data import arrays


def test_batches_are_full_and_shuffled_by_seed():
    first = [np.asarray(b) for b in data.load("ring8", batch_size=300, seed=1)]
    again = [np.asarray(b) for b in data.load("ring8", batch_size=300, seed=1)]
    other = next(iter(data.load("ring8", batch_size=300, seed=2)))
    assert all(b.shape == (300, 2) for b in first)
    assert len(first) == data.MIXTURE_EXAMPLES // 300  # remainder dropped
    np.testing.assert_array_equal(first[0], again[0])
    assert not np.allclose(first[0], np.asarray(other))


def test_from_arrays_scales_uint8_and_adds_a_channel():
    x = np.array([[[0, 255], [127, 128]]] * 4, np.uint8)  # (4, 2, 2)
    batch = np.asarray(next(iter(data.from_arrays(x, batch_size=4, shuffle=False))))
    assert batch.shape == (4, 2, 2, 1)
    expected = [[-1.0, 1.0], [127 / 127.5 - 1, 128 / 127.5 - 1]]
    np.testing.assert_allclose(batch[0, :, :, 0], expected, atol=1e-6)


def test_the_pipelines_map_uint8_exactly_as_uint8_to_float():
    """uint8 images reach every pipeline through uint8_to_float: its values, bit for bit."""
    x = np.arange(256, dtype=np.uint8).reshape(4, 8, 8)
    expected = arrays.uint8_to_float(x)[..., None]
    batch = np.asarray(next(iter(data.from_arrays(x, batch_size=4, shuffle=False))))
    assert batch.dtype == np.float32
    np.testing.assert_array_equal(batch, expected)
    stream = data.resumable_batches(x, batch_size=4, seed=3)
    (batch,) = [np.asarray(b) for b in stream.take(1)]
    np.testing.assert_array_equal(np.sort(batch, axis=None), np.sort(expected, axis=None))


def test_resumable_batches_from_uint8_equal_those_from_floats():
    """kgan-train's stream from uint8 images is the stream from their floats."""
    x = np.random.default_rng(0).integers(0, 256, (40, 4, 4, 1), dtype=np.uint8)
    labels = np.arange(40) % 3
    kept = data.resumable_batches(x, labels, batch_size=8, seed=5, start_step=3)
    floats = data.resumable_batches(arrays.uint8_to_float(x), labels, batch_size=8, seed=5,
                                    start_step=3)  # fmt: skip
    for (xa, ya), (xb, yb) in zip(kept.take(12), floats.take(12)):
        np.testing.assert_array_equal(np.asarray(xa), np.asarray(xb))
        np.testing.assert_array_equal(np.asarray(ya), np.asarray(yb))


def test_resumable_batches_resume_where_they_stopped():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    whole = [np.asarray(b) for b in data.resumable_batches(x, batch_size=3, seed=1).take(9)]
    later = [np.asarray(b) for b in data.resumable_batches(x, batch_size=3, seed=1,
                                                           start_step=4).take(5)]  # fmt: skip
    for a, b in zip(whole[4:], later):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="start_step must be a non-negative integer"):
        data.resumable_batches(x, batch_size=3, start_step=-1)


def test_from_arrays_with_labels_yields_pairs():
    x = np.zeros((6, 2), np.float32)
    xb, yb = next(iter(data.from_arrays(x, np.arange(6), batch_size=3, shuffle=False)))
    assert np.asarray(yb).dtype == np.int32 and np.asarray(yb).tolist() == [0, 1, 2]


def test_from_arrays_order_depends_on_the_seeds_only():
    x = np.random.default_rng(0).integers(0, 256, (50, 2, 2), dtype=np.uint8)
    keras.utils.set_random_seed(7)
    a = [np.asarray(b) for b in data.from_arrays(x, batch_size=10, seed=3)]
    keras.utils.set_random_seed(7)
    b = [np.asarray(b) for b in data.from_arrays(x, batch_size=10, seed=3)]
    np.testing.assert_array_equal(np.stack(a), np.stack(b))


@pytest.mark.parametrize(
    "x,labels,match",
    [
        (np.zeros((0, 2), np.float32), None, "empty"),
        (np.zeros((4,), np.float32), None, "rank"),
        (np.zeros((2, 2, 2, 2, 2), np.float32), None, "rank"),
        (np.array([[np.nan, 0.0]] * 4, np.float32), None, "NaN or infinite"),
        (np.array([[np.inf, 0.0]] * 4, np.float32), None, "NaN or infinite"),
        (np.full((4, 2, 2, 1), 3.0, np.float32), None, r"must lie in \[-1, 1\]"),
        (np.zeros((4, 2, 2), np.int64), None, "uint8 in \\[0, 255\\] or float"),
        (np.zeros((4, 2), bool), None, "uint8 or floating"),
        (np.array([["a", "b"]] * 4), None, "numeric"),
        (np.zeros((4, 2), np.float32), np.arange(3), "labels must be 4 integers"),
        (np.zeros((4, 2), np.float32), np.array([0.5] * 4), "labels must be 4 integers"),
        (np.zeros((4, 2), np.float32), np.array([-1, 0, 1, 2]), "labels must be >= 0"),
        (np.zeros((4, 2), np.float32), np.array([0, 1, 2, 2**31]), "labels must be <= 2147483647"),
    ],
)
def test_from_arrays_rejects_bad_input(x, labels, match):
    with pytest.raises(ValueError, match=match):
        data.from_arrays(x, labels, batch_size=2)
    with pytest.raises(ValueError, match=match):
        data.resumable_batches(x, labels, batch_size=2)


@pytest.mark.parametrize(
    "batch_size,match",
    [
        (0, "batch_size must be a positive integer"),
        (2.5, "batch_size must be a positive integer"),
        (True, "batch_size must be a positive integer"),
        (100, "larger than the dataset"),
    ],
)
def test_bad_batch_sizes(batch_size, match):
    with pytest.raises(ValueError, match=match):
        data.from_arrays(np.zeros((10, 2), np.float32), batch_size=batch_size)
    with pytest.raises(ValueError, match=match):
        data.resumable_batches(np.zeros((10, 2), np.float32), batch_size=batch_size)


def test_pipelines_carry_kgans_tf_data_options():
    ds = data.from_arrays(np.zeros((8, 2), np.float32), batch_size=4)
    assert ds.options().autotune.enabled is False
    assert ds.options().deterministic is True


def test_docstring_examples_run():
    import doctest

    from kgan.data import pipeline

    result = doctest.testmod(pipeline, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 3 and result.failed == 0
