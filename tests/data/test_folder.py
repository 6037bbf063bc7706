"""kgan.data.folder: folders of images, their limits, and the streaming pipeline."""

from __future__ import annotations

import os
import struct
import threading
import time
import warnings
import zlib

import keras
import numpy as np
import pytest
from PIL import Image

from kgan import data
from kgan.data import folder


def _write_images(path, sizes, mode="L"):
    path.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    for i, size in enumerate(sizes):
        shape = size if mode == "L" else (*size, 3)
        Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(path / f"{i}.png")


def _png_header(path, width, height, bit_depth=8, color_type=0):
    """A PNG whose header claims width x height, with almost no pixel data (as a bomb would)."""

    def chunk(kind, body):
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


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
    with pytest.raises(ValueError, match="larger than the dataset"):
        data.from_folder(tmp_path / "mixed", batch_size=3, image_size=8)
    for size in (0, (8,), (8, 8, 8), "8", 2.5, True):
        with pytest.raises(ValueError, match="image_size must be a positive int"):
            data.folder_arrays(tmp_path / "mixed", image_size=size)


def test_from_folder_streams_the_batches_of_from_arrays(tmp_path):
    """Decoded in parallel as it streams, with the same images and seeded order as in memory."""
    _write_images(tmp_path / "f", [(6, 6)] * 21, mode="RGB")
    x = data.folder_arrays(tmp_path / "f")
    keras.utils.set_random_seed(1)
    in_memory = data.from_arrays(x, batch_size=4, seed=3)
    expected = [np.asarray(b) for _ in range(2) for b in in_memory]
    keras.utils.set_random_seed(1)
    ds = data.from_folder(tmp_path / "f", batch_size=4, seed=3, num_threads=3)
    streamed = [np.asarray(b) for _ in range(2) for b in ds]
    assert len(streamed) == 2 * (21 // 4)
    np.testing.assert_array_equal(np.stack(streamed), np.stack(expected))
    assert not np.array_equal(streamed[0], streamed[5])  # epoch 2 is reshuffled


def test_folder_arrays_does_not_depend_on_the_threads(tmp_path):
    _write_images(tmp_path / "f", [(5, 7)] * 9, mode="RGB")
    one = data.folder_arrays(tmp_path / "f", num_threads=1)
    four = data.folder_arrays(tmp_path / "f", num_threads=4)
    np.testing.assert_array_equal(one, four)
    with pytest.raises(ValueError, match="num_threads must be a positive integer"):
        data.folder_arrays(tmp_path / "f", num_threads=0)


# ---------------------------------------------------------------------------
# Issue 17 item 9: hostile folders
# ---------------------------------------------------------------------------


def test_a_decompression_bomb_is_a_value_error_before_decoding(tmp_path):
    """20000x20000 made Pillow raise DecompressionBombError; now the documented ValueError."""
    (tmp_path / "bomb").mkdir()
    _png_header(tmp_path / "bomb" / "a.png", 20000, 20000)
    with pytest.raises(ValueError, match=r"Image .*a.png.* is too large to decode"):
        data.from_folder(tmp_path / "bomb", batch_size=1)
    # Between kgan's bound and Pillow's: refused by max_image_pixels, without Pillow's warning.
    (tmp_path / "big").mkdir()
    _png_header(tmp_path / "big" / "a.png", 10000, 10000)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match=r"100,000,000 pixels, more than max_image_pixels="):
            data.folder_arrays(tmp_path / "big")
    assert not [str(w.message) for w in caught]


def test_max_image_pixels_is_configurable(tmp_path):
    _write_images(tmp_path / "f", [(8, 8)] * 2)
    with pytest.raises(ValueError, match="64 pixels, more than max_image_pixels=63"):
        data.folder_arrays(tmp_path / "f", max_image_pixels=63)
    assert data.folder_arrays(tmp_path / "f", max_image_pixels=64).shape == (2, 8, 8, 1)
    with pytest.raises(ValueError, match="max_image_pixels must be a positive integer"):
        data.folder_arrays(tmp_path / "f", max_image_pixels=0)


def test_a_huge_image_size_is_refused_before_any_allocation(tmp_path):
    """from_folder(image_size=50000) grew to 23.5 GB; now it stops at the header checks."""
    _write_images(tmp_path / "f", [(8, 8)] * 3, mode="RGB")
    start = time.perf_counter()
    with pytest.raises(ValueError, match=r"image_size=50000 has 2,500,000,000 pixels"):
        data.from_folder(tmp_path / "f", batch_size=1, image_size=50000)
    assert time.perf_counter() - start < 10


def test_the_decoded_dataset_must_fit_max_bytes(tmp_path):
    _write_images(tmp_path / "f", [(8, 8)] * 20, mode="RGB")  # 20 * 192 = 3840 bytes
    with pytest.raises(ValueError, match=r"20 images of 8x8x3 .* more than max_bytes=3000"):
        data.from_folder(tmp_path / "f", batch_size=1, max_bytes=3000)
    assert data.folder_arrays(tmp_path / "f", max_bytes=3840).shape == (20, 8, 8, 3)


def _returns_within(seconds, fn):
    outcome = []

    def target():
        try:
            outcome.append(fn())
        except Exception as err:  # noqa: BLE001 - handed to the test
            outcome.append(err)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, f"still blocked after {seconds} s"
    return outcome[0]


def test_a_fifo_named_png_is_refused_instead_of_hanging(tmp_path):
    _write_images(tmp_path / "f", [(8, 8)] * 2)
    os.mkfifo(tmp_path / "f" / "fifo.png")
    err = _returns_within(60, lambda: data.from_folder(tmp_path / "f", batch_size=1))
    assert isinstance(err, ValueError) and "fifo.png' is not a regular file" in str(err)
    # A link to a FIFO is refused too; a folder named *.png is a folder, and is walked.
    os.remove(tmp_path / "f" / "fifo.png")
    os.mkfifo(tmp_path / "elsewhere")
    os.symlink(tmp_path / "elsewhere", tmp_path / "f" / "link.png")
    err = _returns_within(60, lambda: data.folder_arrays(tmp_path / "f"))
    assert isinstance(err, ValueError) and "link.png' is not a regular file" in str(err)
    os.remove(tmp_path / "f" / "link.png")
    _write_images(tmp_path / "f" / "sub.png", [(8, 8)])
    assert data.folder_arrays(tmp_path / "f").shape == (3, 8, 8, 1)


def test_symlinks_to_files_are_followed_and_to_folders_not(tmp_path):
    """The documented decision: links to files count wherever they point; links to folders don't."""
    _write_images(tmp_path / "store", [(8, 8)] * 2)
    _write_images(tmp_path / "f", [(8, 8)])
    os.symlink(tmp_path / "store" / "1.png", tmp_path / "f" / "linked.png")
    os.symlink(tmp_path / "store", tmp_path / "f" / "linked_folder")
    x = data.folder_arrays(tmp_path / "f")
    assert x.shape == (2, 8, 8, 1)
    with Image.open(tmp_path / "store" / "1.png") as img:
        np.testing.assert_array_equal(x[1, :, :, 0], np.asarray(img))
    os.symlink(tmp_path / "nowhere.png", tmp_path / "f" / "broken.png")
    with pytest.raises(ValueError, match="Cannot read image .*broken.png"):
        data.folder_arrays(tmp_path / "f")


def test_16_bit_pngs_keep_their_top_8_bits(tmp_path):
    """16-bit PNGs loaded as only 0 and 255 (clipped); now scaled: v -> v >> 8."""
    (tmp_path / "f").mkdir()
    values = (np.arange(256, dtype=np.uint16) * 257).reshape(16, 16)  # 8-bit v stored as v * 257
    Image.fromarray(values).save(tmp_path / "f" / "a.png")
    with Image.open(tmp_path / "f" / "a.png") as img:
        assert img.mode == "I;16"
    a = data.folder_arrays(tmp_path / "f")
    assert a.shape == (1, 16, 16, 1)
    np.testing.assert_array_equal(a[0, :, :, 0], np.arange(256).reshape(16, 16))
    rgb = data.folder_arrays(tmp_path / "f", channels=3)
    np.testing.assert_array_equal(rgb[0, :, :, 1], np.arange(256).reshape(16, 16))


def test_16_bit_values_map_to_their_top_byte(tmp_path):
    (tmp_path / "f").mkdir()
    Image.fromarray(np.array([[0, 255, 256, 32768, 65280, 65535]], np.uint16)).save(
        tmp_path / "f" / "b.png"
    )
    (row,) = data.folder_arrays(tmp_path / "f")[0, :, :, 0]
    assert row.tolist() == [0, 0, 1, 128, 255, 255]


def test_describe_reads_headers_only(tmp_path):
    _write_images(tmp_path / "f", [(8, 8)] * 5, mode="RGB")
    layout = folder.scan_folder(tmp_path / "f", image_size=4)
    assert layout.shape == (4, 4, 3) and len(layout.files) == 5 and layout.nbytes == 240
    info = data.describe(str(tmp_path / "f"))
    assert (info.source, info.sample_shape, info.num_examples, info.has_labels) == (
        "folder",
        (8, 8, 3),
        5,
        False,
    )


def test_a_file_that_breaks_after_the_scan_stops_the_stream_naming_it(tmp_path):
    _write_images(tmp_path / "f", [(8, 8)] * 4)
    ds = data.from_folder(tmp_path / "f", batch_size=2, shuffle=False)
    os.remove(tmp_path / "f" / "2.png")
    os.mkfifo(tmp_path / "f" / "2.png")
    err = _returns_within(60, lambda: [b for b in ds])
    assert isinstance(err, Exception) and "2.png' is not a regular file" in str(err)
