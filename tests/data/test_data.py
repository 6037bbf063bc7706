"""kgan.data: built-in sets, arrays, folders, TFDS (mocked), and every bad input."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow_datasets as tfds
from PIL import Image

from kgan import data


def _all(ds):
    return np.concatenate([np.asarray(b) for b in ds])


@pytest.mark.parametrize(
    "name,centers,std",
    [
        ("ring8", data.ring8_centers(), data.RING8_STD),
        ("grid25", data.grid25_centers(), data.GRID25_STD),
    ],
)
def test_mixtures_are_gaussians_around_their_modes(name, centers, std):
    x = _all(data.load(name, batch_size=500, shuffle=False))
    assert x.shape == (data.MIXTURE_EXAMPLES, 2) and x.dtype == np.float32
    dist = np.linalg.norm(x[:, None] - centers[None], axis=-1)
    nearest = dist.argmin(1)
    offsets = x - centers[nearest]
    assert offsets.std() == pytest.approx(std, rel=0.05)
    counts = np.bincount(nearest, minlength=len(centers))
    assert counts.min() > 0.8 * len(x) / len(centers)


def test_ring8_modes_lie_on_the_unit_circle():
    np.testing.assert_allclose(np.linalg.norm(data.ring8_centers(), axis=1), 1.0)
    assert len(data.grid25_centers()) == 25


def test_splits_differ_and_seeds_reproduce():
    a, _ = data.mixture_arrays("ring8", "train", seed=0)
    b, _ = data.mixture_arrays("ring8", "train", seed=0)
    c, _ = data.mixture_arrays("ring8", "test", seed=0)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a[:10], c[:10])


def test_digits_are_8x8_images_in_minus_one_one():
    ds = data.load("digits", batch_size=100, with_labels=True, shuffle=False)
    x, y = next(iter(ds))
    x, y = np.asarray(x), np.asarray(y)
    assert x.shape == (100, 8, 8, 1) and x.dtype == np.float32
    assert x.min() == -1.0 and x.max() == 1.0
    assert set(np.unique(y)) <= set(range(10))
    assert sum(1 for _ in ds) == data.DIGITS_TRAIN // 100
    test_x, _ = data.digits_arrays("test")
    assert len(test_x) == 1797 - data.DIGITS_TRAIN


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


def test_from_arrays_with_labels_yields_pairs():
    x = np.zeros((6, 2), np.float32)
    xb, yb = next(iter(data.from_arrays(x, np.arange(6), batch_size=3, shuffle=False)))
    assert np.asarray(yb).dtype == np.int32 and np.asarray(yb).tolist() == [0, 1, 2]


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
    ],
)
def test_from_arrays_rejects_bad_input(x, labels, match):
    with pytest.raises(ValueError, match=match):
        data.from_arrays(x, labels, batch_size=2)


@pytest.mark.parametrize(
    "batch_size,match",
    [
        (0, "batch_size must be a positive integer"),
        (2.5, "batch_size must be a positive integer"),
        (100, "larger than the dataset"),
    ],
)
def test_bad_batch_sizes(batch_size, match):
    with pytest.raises(ValueError, match=match):
        data.from_arrays(np.zeros((10, 2), np.float32), batch_size=batch_size)


def test_unknown_split_of_a_builtin_set():
    with pytest.raises(ValueError, match="Unknown split='val'"):
        data.load("ring8", split="val", batch_size=10)
    with pytest.raises(ValueError, match="Unknown split='dev' for 'digits'"):
        data.load("digits", split="dev", batch_size=10)


def _write_images(folder, sizes, mode="L"):
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i, size in enumerate(sizes):
        shape = size if mode == "L" else (*size, 3)
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(folder / f"{i}.png")


def test_from_folder_reads_and_resizes(tmp_path):
    _write_images(tmp_path / "a", [(8, 8)] * 3 + [(16, 16)], mode="L")
    ds = data.from_folder(tmp_path / "a", batch_size=2, image_size=8, shuffle=False)
    batch = np.asarray(next(iter(ds)))
    assert batch.shape == (2, 8, 8, 1) and -1.0 <= batch.min() and batch.max() <= 1.0
    _write_images(tmp_path / "rgb", [(8, 8)] * 2, mode="RGB")
    assert data.folder_arrays(tmp_path / "rgb").shape == (2, 8, 8, 3)


def test_from_folder_errors(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        data.from_folder(tmp_path / "missing", batch_size=1)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no images"):
        data.from_folder(tmp_path / "empty", batch_size=1)
    _write_images(tmp_path / "mixed", [(8, 8), (16, 16)])
    with pytest.raises(ValueError, match="pass image_size"):
        data.from_folder(tmp_path / "mixed", batch_size=1)
    bad = tmp_path / "bad"
    _write_images(bad, [(8, 8)])
    (bad / "broken.png").write_bytes(b"not a png at all")
    with pytest.raises(ValueError, match="Cannot read image .*broken.png"):
        data.from_folder(bad, batch_size=1)


def test_tfds_path_with_mock_data():
    with tfds.testing.mock_data(num_examples=40, policy=tfds.testing.MockPolicy.USE_CODE):
        ds = data.load("mnist", batch_size=16, with_labels=True)
        x, y = next(iter(ds))
        x = np.asarray(x)
        assert x.shape == (16, 28, 28, 1) and x.dtype == np.float32
        assert -1.0 <= x.min() and x.max() <= 1.0
        assert np.asarray(y).dtype == np.int32
        assert sum(1 for _ in ds) == 40 // 16
        with pytest.raises(ValueError, match="has no image feature"):
            data.load("wine_quality", batch_size=4)


def test_unknown_dataset_names_the_builtins():
    with pytest.raises(ValueError, match=r"Unknown dataset='no_such_set_kgan'.*'ring8'"):
        data.load("no_such_set_kgan", batch_size=4)
