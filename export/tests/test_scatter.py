"""kgan_runtime.scatter: the 2-D picture frames the data and the samples, with axes and a legend."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from kgan_runtime import InvalidInputError
from kgan_runtime.scatter import (
    GENERATED_COLOR,
    REAL_COLOR,
    _ticks,
    save_scatter,
    scatter_frame,
    scatter_image,
)


def ring(n: int, radius: float = 1.0, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    angle = 2 * np.pi * rng.integers(0, 8, n) / 8
    return radius * np.stack([np.cos(angle), np.sin(angle)], 1) + rng.normal(0, 0.02, (n, 2))


def inside(frame, points):
    (x0, x1), (y0, y1) = frame.x, frame.y
    return (points[:, 0] >= x0) & (points[:, 0] <= x1) & (points[:, 1] >= y0) & (points[:, 1] <= y1)


def test_every_real_point_and_every_ordinary_sample_is_framed():
    # The old picture framed the real points only and dropped most samples spread wider.
    real = ring(2000)
    samples = np.random.default_rng(1).normal(0, 1.5, (2000, 2))
    frame = scatter_frame(samples, real)
    assert inside(frame, real).all() and inside(frame, samples).all()
    assert frame.generated_outside == 0 and frame.nonfinite == 0
    assert (frame.generated, frame.real) == (2000, 2000)
    assert frame.note() == "all 2,000 generated points in the frame"


def test_far_outliers_are_counted_not_framed_and_nan_is_counted():
    samples = np.concatenate([ring(1000), [[1e6, 0.0], [0.0, -5e4], [np.nan, 0.0], [np.inf, 1]]])
    frame = scatter_frame(samples, ring(500, seed=2))
    assert frame.x[1] < 10 and frame.y[0] > -10  # The outliers do not squash the picture.
    assert (frame.generated_outside, frame.nonfinite) == (2, 2)
    assert frame.note() == (
        "2 of 1,004 generated points lie outside; 2 of 1,004 are NaN/Inf (not drawn)"
    )


def test_frame_has_equal_units_and_a_margin():
    frame = scatter_frame(np.array([[0.0, 0.0], [4.0, 1.0]]), aspect=2.0)
    width, height = frame.x[1] - frame.x[0], frame.y[1] - frame.y[0]
    assert width / height == pytest.approx(2.0)
    assert frame.x[0] < 0.0 and frame.x[1] > 4.0  # 5% margin around the data.
    assert np.mean(frame.y) == pytest.approx(0.5)  # Centred on the data.


def test_value_range_is_included():
    frame = scatter_frame(np.zeros((3, 2)), value_range=(-1.0, 1.0))
    assert frame.x[0] < -1 and frame.x[1] > 1 and frame.y[0] < -1 and frame.y[1] > 1


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (-1.1, 1.1, ["-1.0", "-0.5", "0", "0.5", "1.0"]),
        (-5.3, 5.3, ["-4", "-2", "0", "2", "4"]),
        (0.02, 0.11, ["0.02", "0.04", "0.06", "0.08", "0.10"]),
        (100, 1000, ["200", "400", "600", "800", "1000"]),
    ],
)
def test_ticks_are_round_numbers(low, high, expected):
    assert [label for _, label in _ticks(low, high)] == expected


def colour_pixels(image: Image.Image, colour) -> np.ndarray:
    return (np.asarray(image) == colour).all(axis=-1)


def test_picture_draws_both_series_axes_and_a_legend():
    real, samples = ring(2000), ring(2000, radius=0.8, seed=3)
    image = scatter_image(samples, real=real, title="ring8 seed 0")
    assert (image.size, image.mode) == ((512, 512), "RGB")
    red, grey = colour_pixels(image, GENERATED_COLOR), colour_pixels(image, REAL_COLOR)
    assert red[60:].sum() > 1000 and grey[60:].sum() > 1000  # Both series in the plot.
    assert red[:60].any() and grey[:60].any()  # Their legend markers in the header.
    pixels = np.asarray(image)
    dark = (pixels < 100).all(axis=-1)
    assert dark[:60].sum() > 200  # Title, legend and note text.
    assert dark[-30:, :].sum() > 50 and dark[:, :45].sum() > 50  # Tick labels below and left.


def test_picture_without_real_points_has_a_one_entry_legend():
    image = scatter_image(ring(100), value_range=(-1.0, 1.0), size=300)
    assert image.size == (300, 300)
    assert not colour_pixels(image, REAL_COLOR).any()


def test_points_outside_the_frame_are_not_drawn():
    samples = np.concatenate([np.zeros((500, 2)), [[1e9, 1e9]]])
    assert scatter_frame(samples, value_range=(-1, 1)).generated_outside == 1
    image = scatter_image(samples, value_range=(-1, 1))
    red = colour_pixels(image, GENERATED_COLOR)
    assert red[60:].sum() == 5  # One "+" of 5 pixels at the origin; the far point is counted.


def test_with_few_samples_the_extremes_are_framed():
    # The core spans the samples' 1st-99th percentiles: with two points, both.
    frame = scatter_frame(np.array([[0.0, 0.0], [1e9, 1e9]]))
    assert frame.generated_outside == 0 and frame.x[1] > 1e9


def test_save_scatter_writes_a_png_atomically(tmp_path):
    path = save_scatter(ring(50), tmp_path / "p.png", real=ring(50, seed=4))
    with Image.open(path) as png:
        assert png.format == "PNG" and png.size == (512, 512)
    assert os.listdir(tmp_path) == ["p.png"]


@pytest.mark.parametrize(
    ("samples", "kwargs", "match"),
    [
        (np.zeros((3, 3)), {}, r"shape \(n, 2\)"),
        (np.zeros(4), {}, r"shape \(n, 2\)"),
        (np.zeros((0, 2)), {}, "at least one"),
        (np.array([["a", "b"]]), {}, "real numbers"),
        (np.zeros((2, 2)), {"real": np.zeros((2, 3))}, "real of shape"),
        (np.zeros((2, 2)), {"value_range": (1, -1)}, "low < high"),
        (np.zeros((2, 2)), {"size": 50}, "size"),
    ],
)
def test_bad_arguments(samples, kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        scatter_image(samples, **kwargs)


def test_all_nan_samples_still_give_a_picture():
    image = scatter_image(np.full((3, 2), np.nan))
    assert image.size == (512, 512)
    assert scatter_frame(np.full((3, 2), np.nan)).nonfinite == 3
