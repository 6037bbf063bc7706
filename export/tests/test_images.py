"""to_uint8, make_grid and save_grid."""

from __future__ import annotations

import os

import numpy as np
import pytest
from PIL import Image

from kgan_runtime import InvalidInputError, OnnxGenerator, make_grid, save_grid, to_uint8
from kgan_runtime import images as images_module


def test_to_uint8_maps_range_endpoints_and_clips():
    x = np.array([-2.0, -1.0, 0.0, 0.5, 1.0, 3.0, np.inf, -np.inf])
    np.testing.assert_array_equal(
        to_uint8(x, (-1, 1)), np.array([0, 0, 128, 191, 255, 255, 255, 0], np.uint8)
    )
    np.testing.assert_array_equal(
        to_uint8(np.array([0.0, 127.6, 255.0], np.float32), (0, 255)), [0, 128, 255]
    )
    np.testing.assert_array_equal(to_uint8(np.array([0, 5, 10]), (0, 10)), [0, 128, 255])


def test_to_uint8_passes_uint8_through():
    x = np.arange(256, dtype=np.uint8)
    assert to_uint8(x, (-1, 1)) is x


@pytest.mark.parametrize(
    ("images", "value_range", "match"),
    [
        (np.array([0.0, np.nan]), (-1, 1), "1 NaN"),
        (np.array([True, False]), (-1, 1), "dtype bool"),
        (np.array([1j]), (-1, 1), "dtype complex128"),
        (np.array([0.0]), (1, -1), "low < high"),
        (np.array([0.0]), (0, 0), "low < high"),
        (np.array([0.0]), (0, np.inf), "finite"),
        (np.array([0.0]), (0,), "pair of numbers"),
        (np.array([0.0]), "ab", "pair of numbers"),
    ],
)
def test_to_uint8_errors(images, value_range, match):
    with pytest.raises(InvalidInputError, match=match):
        to_uint8(images, value_range)


@pytest.mark.parametrize(
    ("n", "nrow", "padding", "expected"),
    [
        (64, None, 1, (8 * 5 + 1, 8 * 5 + 1)),  # 8x8 grid of 4x4 images.
        (10, None, 1, (3 * 5 + 1, 4 * 5 + 1)),  # ceil(sqrt(10)) = 4 per row, 3 rows.
        (10, 5, 0, (2 * 4, 5 * 4)),
        (3, 8, 2, (1 * 6 + 2, 3 * 6 + 2)),  # nrow larger than n: one row of n.
        (1, None, 1, (6, 6)),
        (7, 1, 1, (7 * 5 + 1, 6)),
    ],
)
def test_make_grid_size(n, nrow, padding, expected):
    grid = make_grid(np.zeros((n, 4, 4, 1), np.uint8), nrow=nrow, padding=padding)
    assert grid.shape == (*expected, 1)
    assert grid.dtype == np.uint8


def test_make_grid_places_images_row_major():
    images = np.stack([np.full((2, 3, 3), i * 40, np.uint8) for i in range(1, 6)])
    grid = make_grid(images, nrow=3, padding=1)
    assert grid.shape == (2 * 3 + 1, 3 * 4 + 1, 3)
    for i in range(5):
        row, col = divmod(i, 3)
        y, x = 1 + row * 3, 1 + col * 4
        assert (grid[y : y + 2, x : x + 3] == (i + 1) * 40).all()
    # Padding lines and the unused last cell are black.
    assert (grid[0] == 0).all() and (grid[:, 0] == 0).all() and (grid[3] == 0).all()
    assert (grid[4:6, 9:12] == 0).all()


def test_make_grid_converts_float_with_value_range_and_accepts_nhw():
    grid = make_grid(np.ones((2, 2, 2), np.float32), nrow=2, padding=0, value_range=(-1, 1))
    assert grid.shape == (2, 4, 1)
    assert (grid == 255).all()


@pytest.mark.parametrize(
    ("images", "kwargs", "match"),
    [
        (np.zeros((0, 4, 4, 1)), {}, "non-empty"),
        (np.zeros((4, 4)), {}, r"got shape \(4, 4\)"),
        (np.zeros((1, 2, 4, 4, 1)), {}, "got shape"),
        (np.zeros((2, 0, 4, 1)), {}, "non-empty"),
        (np.zeros((2, 4, 4, 1)), {"nrow": 0}, "nrow"),
        (np.zeros((2, 4, 4, 1)), {"nrow": 1.5}, "nrow"),
        (np.zeros((2, 4, 4, 1)), {"padding": -1}, "padding"),
    ],
)
def test_make_grid_errors(images, kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        make_grid(images, **kwargs)


@pytest.mark.parametrize(("channels", "mode"), [(1, "L"), (3, "RGB")])
def test_save_grid_writes_png_of_expected_size(tmp_path, channels, mode):
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, size=(10, 6, 5, channels)).astype(np.float32)
    path = save_grid(images, tmp_path / "grid.png", nrow=4, scale=1)
    assert path == tmp_path / "grid.png"
    with Image.open(path) as png:
        assert png.format == "PNG"
        assert png.mode == mode
        assert png.size == (4 * 6 + 1, 3 * 7 + 1)  # (width, height)
        pixels = np.asarray(png)
    expected = make_grid(images, nrow=4)
    np.testing.assert_array_equal(pixels, expected[..., 0] if channels == 1 else expected)
    assert os.listdir(tmp_path) == ["grid.png"]  # No temporary file left behind.


def test_save_grid_uint8_used_as_is(tmp_path):
    images = np.arange(2 * 2 * 2, dtype=np.uint8).reshape(2, 2, 2) * 30
    path = save_grid(
        images, str(tmp_path / "u8.png"), nrow=2, padding=0, value_range=(0, 1), scale=1
    )
    with Image.open(path) as png:
        np.testing.assert_array_equal(np.asarray(png), np.concatenate(list(images), axis=1))


def test_save_grid_from_generator(models, tmp_path):
    gen = OnnxGenerator(models["rgb"].path)
    path = save_grid(gen.sample(6, seed=0), tmp_path / "rgb.png", value_range=gen.value_range)
    with Image.open(path) as png:
        # 3 per row; images are 3 high, 5 wide: 19 x 9 pixels, upscaled 14x to reach 256.
        assert png.size == ((3 * 6 + 1) * 14, (2 * 4 + 1) * 14)
        assert png.mode == "RGB"


def test_save_grid_overwrites_atomically_and_cleans_up_on_error(tmp_path, monkeypatch):
    path = tmp_path / "grid.png"
    save_grid(np.zeros((4, 3, 3, 1), np.uint8), path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(images_module.Image.Image, "save", boom)
    with pytest.raises(OSError, match="disk full"):
        save_grid(np.full((4, 3, 3, 1), 255, np.uint8), path)
    assert path.read_bytes() == before  # Old file intact.
    assert os.listdir(tmp_path) == ["grid.png"]  # Temporary file removed.


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_save_grid_file_mode_follows_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = save_grid(np.zeros((1, 2, 2, 1), np.uint8), tmp_path / "m.png")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o644


@pytest.mark.parametrize("shape", [(2, 4, 4, 2), (2, 4, 4, 4), (2, 16)])
def test_save_grid_rejects_other_channel_counts(tmp_path, shape):
    with pytest.raises(InvalidInputError, match="C in"):
        save_grid(np.zeros(shape, np.uint8), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()


def test_save_grid_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        save_grid(np.zeros((1, 2, 2, 1), np.uint8), tmp_path / "missing" / "x.png")


def test_save_grid_scale_upsamples_by_nearest_neighbour(tmp_path):
    from PIL import Image

    images = np.arange(2 * 2 * 2, dtype=np.uint8).reshape(2, 2, 2, 1) * 30
    small = save_grid(images, tmp_path / "s.png", nrow=2, padding=0, scale=1)
    big = save_grid(images, tmp_path / "b.png", nrow=2, padding=0, scale=3)
    a = np.asarray(Image.open(small))
    b = np.asarray(Image.open(big))
    assert b.shape == (a.shape[0] * 3, a.shape[1] * 3)
    np.testing.assert_array_equal(b[::3, ::3], a)
    with pytest.raises(InvalidInputError, match="scale must be a positive integer"):
        save_grid(images, tmp_path / "x.png", scale=0)


# -- Readable size (issue 13, item 7) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("height", "width", "expected"),
    [
        (91, 91, 3),
        (37, 37, 7),
        (11, 26, 10),
        (256, 10, 1),
        (255, 1, 2),
        (1000, 2000, 1),
        (1, 1, 256),
    ],
)
def test_readable_scale_is_the_smallest_factor_reaching_256(height, width, expected):
    assert images_module.readable_scale(height, width) == expected
    assert expected * max(height, width) >= 256
    assert expected == 1 or (expected - 1) * max(height, width) < 256


def test_save_grid_defaults_to_a_readable_nearest_neighbour_upscale(tmp_path):
    # 100 8x8 digits, 10 per row: a 91 x 91 grid, written 3x (273 pixels) by default.
    digits = np.random.default_rng(0).integers(0, 256, (100, 8, 8, 1), dtype=np.uint8)
    path = save_grid(digits, tmp_path / "digits.png", nrow=10)
    with Image.open(path) as png:
        assert png.size == (273, 273)
        pixels = np.asarray(png)
    exact = make_grid(digits, nrow=10)[..., 0]
    np.testing.assert_array_equal(pixels, np.repeat(np.repeat(exact, 3, axis=0), 3, axis=1))


def test_grids_already_readable_are_not_scaled(tmp_path):
    path = save_grid(np.zeros((4, 200, 100, 3), np.uint8), tmp_path / "big.png")
    with Image.open(path) as png:
        assert png.size == (2 * 101 + 1, 2 * 201 + 1)


def test_make_grid_scale_none_is_readable_and_default_is_exact():
    images = np.zeros((16, 8, 8, 1), np.uint8)
    assert make_grid(images).shape == (37, 37, 1)
    assert make_grid(images, scale=None).shape == (259, 259, 1)
    assert make_grid(images, scale=2).shape == (74, 74, 1)


@pytest.mark.parametrize("scale", [0, -1, 1.5, "2", True])
def test_bad_scale_is_refused(scale):
    with pytest.raises(InvalidInputError, match="scale must be a positive integer, or None"):
        make_grid(np.zeros((1, 2, 2, 1), np.uint8), scale=scale)


def test_readable_scale_respects_max_bytes():
    with pytest.raises(InvalidInputError, match="scaled 256x"):
        make_grid(np.zeros((1, 1, 1, 1), np.uint8), padding=0, scale=None, max_bytes=1000)


# -- The one behaviour where kgan's and the runtime's copies differed -------------------------


def test_to_uint8_rounds_in_float64_half_to_even():
    # Exact halves round to the even neighbour (numpy.rint), as in IEEE arithmetic.
    np.testing.assert_array_equal(to_uint8(np.array([0.5, 1.5, 2.5]), (0, 255)), [0, 2, 2])
    # float32 input is widened to float64 before scaling: this value sits just above
    # 64.5 (float64: 64.50000...), which float32 arithmetic would round to 64.
    x = np.array([-0.49411762], np.float32)
    assert (np.float64(x[0]) + 1) * 127.5 > 64.5
    assert to_uint8(x, (-1, 1))[0] == 65


@pytest.mark.parametrize("rank", [0, 1, 2, 3, 5])
def test_to_uint8_accepts_any_rank(rank):
    x = np.zeros((2,) * rank, np.float32)
    assert to_uint8(x).shape == x.shape and (to_uint8(x) == 128).all()


def test_make_grid_accepts_nhw_and_nhwc_only_and_caps_columns_at_n():
    assert make_grid(np.zeros((2, 4, 4), np.uint8), nrow=5).shape == (6, 11, 1)
    with pytest.raises(InvalidInputError, match="shape"):
        make_grid(np.zeros((2, 4), np.uint8))
