"""kgan.data.npz: .npz files of arrays (x, optional y) with the checks of from_arrays."""

from __future__ import annotations

import os

import numpy as np
import pytest

from kgan import data
from kgan.data import npz


def test_x_and_y_load_as_from_arrays_takes_them(tmp_path):
    x = np.random.default_rng(0).integers(0, 256, (10, 4, 4), dtype=np.uint8)
    y = np.arange(10, dtype=np.int64) % 3
    np.savez(tmp_path / "d.npz", x=x, y=y)
    xs, ys = data.npz_arrays(tmp_path / "d.npz", with_labels=True)
    assert xs.dtype == np.uint8 and xs.shape == (10, 4, 4, 1) and ys.dtype == np.int32
    np.testing.assert_array_equal(xs[..., 0], x)
    np.testing.assert_array_equal(ys, y)
    assert data.npz_arrays(tmp_path / "d.npz")[1] is None
    np.savez_compressed(tmp_path / "p.npz", x=np.zeros((6, 2), np.float64))
    points, labels = data.npz_arrays(tmp_path / "p.npz")
    assert points.dtype == np.float32 and points.shape == (6, 2) and labels is None


def _save(path, **arrays):
    np.savez(path, **arrays)
    return path


@pytest.mark.parametrize(
    "arrays,with_labels,match",
    [
        (
            {"images": np.zeros((4, 2), np.float32)},
            False,
            r"must hold an array named 'x'.*\['images'\]",
        ),
        ({"x": np.zeros((4, 2), np.float32)}, True, "has no 'y' array of labels"),
        ({"x": np.zeros((0, 2), np.float32)}, False, r"\['x'\] is empty"),
        ({"x": np.zeros((4,), np.float32)}, False, r"\['x'\] must have rank 2"),
        ({"x": np.zeros((4, 2, 2), np.int64)}, False, "must be uint8 in"),
        ({"x": np.array([[np.nan, 0.0]] * 4)}, False, "NaN or infinite"),
        ({"x": np.full((4, 2, 2, 1), 3.0)}, False, r"must lie in \[-1, 1\]"),
        ({"x": np.zeros((4, 2)), "y": np.arange(3)}, True, r"\['y'\] must be 4 integers"),
        ({"x": np.zeros((4, 2)), "y": np.array([0, 1, 2, 2**31])}, True, "must be <= 2147483647"),
        ({"x": np.zeros((4, 2)), "y": np.array([-1, 0, 1, 2])}, True, "must be >= 0"),
    ],
)
def test_bad_files_are_refused_with_one_line(tmp_path, arrays, with_labels, match):
    path = _save(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ValueError, match=match):
        data.npz_arrays(path, with_labels=with_labels)


def test_objects_missing_files_and_non_zips_are_refused(tmp_path):
    np.savez(tmp_path / "o.npz", x=np.array([{"a": 1}, None], dtype=object))
    with pytest.raises(ValueError, match=r"\['x'\] must be a numeric array; got dtype object"):
        data.npz_arrays(tmp_path / "o.npz")
    with pytest.raises(ValueError, match="Cannot read dataset file .*missing.npz"):
        data.npz_arrays(tmp_path / "missing.npz")
    (tmp_path / "text.npz").write_text("not a zip")
    with pytest.raises(ValueError, match="is not a readable .npz file"):
        data.npz_arrays(tmp_path / "text.npz")
    os.mkfifo(tmp_path / "fifo.npz")
    with pytest.raises(ValueError, match="is not a regular file"):
        data.npz_arrays(tmp_path / "fifo.npz")


def test_arrays_must_fit_max_bytes_before_loading(tmp_path):
    path = _save(tmp_path / "d.npz", x=np.zeros((100, 10), np.float32))  # 4000 bytes
    with pytest.raises(ValueError, match=r"would take .* more than max_bytes=3999"):
        data.npz_arrays(path, max_bytes=3999)
    assert data.npz_arrays(path, max_bytes=4000)[0].shape == (100, 10)


def test_headers_and_info_without_loading(tmp_path):
    path = _save(tmp_path / "d.npz", x=np.zeros((7, 5, 5), np.uint8), y=np.array([0, 4] * 3 + [1]))
    headers = npz.npz_headers(path)
    assert headers["x"] == ((7, 5, 5), np.dtype("uint8"))
    assert npz.npz_info(path) == {"sample_shape": (5, 5, 1), "num_examples": 7, "num_classes": 5}
    unlabelled = _save(tmp_path / "u.npz", x=np.zeros((3, 2), np.float32))
    assert npz.npz_info(unlabelled)["num_classes"] is None
