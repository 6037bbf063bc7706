"""Folders of images (PNG, JPEG, BMP, GIF, WebP) as uint8 arrays or a streaming `tf.data` pipeline.

What a folder dataset is, and the limits that keep a hostile folder from
hanging or exhausting the machine:

- Every file under the folder (recursively, in sorted path order) whose name
  ends in one of `IMAGE_SUFFIXES`, case-insensitively. Links to files are
  followed wherever they point (a folder of links into an image store is a
  common layout), but the target must be a regular file: a FIFO, socket or
  device named `*.png` is refused instead of blocking the reader forever.
  Links to folders are not entered (no loops, no trees outside the folder).
- Every header is read, and every limit checked, before any pixel is
  decoded: an image may have at most `max_image_pixels` pixels (and so may
  the `image_size` it is resized to), and the decoded dataset (uint8) must
  fit in `max_bytes` (default: half the available memory). Violations raise
  `ValueError`, as do unreadable files, mixed sizes without `image_size`, and
  Pillow's own decompression-bomb error (`PIL.Image.MAX_IMAGE_PIXELS` still
  applies on top: Pillow refuses images of more than twice it).
- 16-bit images keep their top 8 bits (16-bit grey as 16-bit RGB, which
  Pillow reads that way), so 65535 -> 255 and 32768 -> 128.
- `channels=None` takes the first image's: 1 for grey images, 3 otherwise.

Example:
    >>> x = folder_arrays("faces/", image_size=64)  # doctest: +SKIP
    >>> ds = from_folder("faces/", batch_size=128, image_size=64)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from kgan.data.arrays import check_batch_size, check_integer, check_memory, uint8_to_float

if TYPE_CHECKING:
    import tensorflow as tf

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp")
MAX_IMAGE_PIXELS = 8192 * 8192
"""Default bound on the pixels of one image, read from its header before decoding."""

_GREY_MODES = ("1", "L", "I", "F", "I;16", "I;16B", "I;16L", "I;16N")
_SIXTEEN_BIT_MODES = ("I", "I;16", "I;16B", "I;16L", "I;16N")


@dataclass(frozen=True)
class FolderLayout:
    """What every image of a folder decodes to.

    Attributes:
        files: the image files, in the dataset's order.
        height, width, channels: the decoded shape of every image.
        resize: whether images are resized to (height, width).
    """

    files: tuple[Path, ...]
    height: int
    width: int
    channels: int
    resize: bool

    @property
    def shape(self) -> tuple[int, int, int]:
        return (self.height, self.width, self.channels)

    @property
    def nbytes(self) -> int:
        """Bytes of the decoded uint8 dataset."""
        return len(self.files) * self.height * self.width * self.channels


def image_files(path: str | os.PathLike) -> list[Path]:
    """The image files of a folder, recursively, in sorted order; regular files only.

    Raises:
        ValueError: if the folder does not exist, holds no images, or one of
            them is not a regular file (or a link to one).
    """
    root = Path(path)
    if not root.is_dir():
        raise ValueError(f"Image folder {str(root)!r} does not exist or is not a folder.")
    files = []
    for folder, _, names in os.walk(root, followlinks=False):
        files.extend(Path(folder, n) for n in names if Path(n).suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(
            f"Image folder {str(root)!r} holds no images (looked for {', '.join(IMAGE_SUFFIXES)})."
        )
    files.sort()
    for file in files:
        _require_regular_file(file)
    return files


def _require_regular_file(file: Path) -> None:
    """ValueError unless `file` is (or links to) a regular file, which opening cannot block."""
    try:
        mode = os.stat(file).st_mode  # follows links: the target must be a regular file
    except OSError as err:
        raise ValueError(f"Cannot read image {str(file)!r}: {err}") from err
    if not stat.S_ISREG(mode):
        raise ValueError(
            f"Image {str(file)!r} is not a regular file (a FIFO, socket, device or a "
            "link to one); remove it from the folder."
        )


def _image_size(image_size: int | Sequence[int] | None) -> tuple[int, int] | None:
    if image_size is None:
        return None
    if isinstance(image_size, (int, np.integer)):
        size: tuple = (image_size, image_size)
    else:
        size = tuple(image_size) if isinstance(image_size, Sequence) else ()
    if len(size) != 2 or not all(
        isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in size
    ):
        raise ValueError(
            f"image_size must be a positive int or (height, width); got {image_size!r}."
        )
    return int(size[0]), int(size[1])


def _check_pixels(pixels: int, what: str, max_image_pixels: int) -> None:
    if pixels > max_image_pixels:
        raise ValueError(
            f"{what} has {pixels:,} pixels, more than max_image_pixels={max_image_pixels:,}; "
            "raise max_image_pixels to read it."
        )


def _header(file: Path, max_image_pixels: int) -> tuple[tuple[int, int], str]:
    """(width, height) and mode of an image, from its header only."""
    from PIL import Image, UnidentifiedImageError

    try:
        # Pillow warns above its own bound; kgan's bound (checked below) decides instead.
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always", Image.DecompressionBombWarning)
            with Image.open(file) as img:
                size, mode = img.size, img.mode
    except Image.DecompressionBombError as err:
        raise ValueError(
            f"Image {str(file)!r} is too large to decode ({err}); kgan's bound is "
            f"max_image_pixels={max_image_pixels:,} and Pillow's 2 * PIL.Image.MAX_IMAGE_PIXELS."
        ) from err
    except (UnidentifiedImageError, OSError, ValueError) as err:
        raise ValueError(f"Cannot read image {str(file)!r}: {err}") from err
    _check_pixels(size[0] * size[1], f"Image {str(file)!r}", max_image_pixels)
    return size, mode


def scan_folder(
    path: str | os.PathLike,
    *,
    image_size: int | Sequence[int] | None = None,
    channels: int | None = None,
    max_image_pixels: int = MAX_IMAGE_PIXELS,
    max_bytes: int | None = None,
) -> FolderLayout:
    """Lists a folder's images and checks every header and limit; decodes nothing.

    Args: as `folder_arrays`.

    Returns:
        The `FolderLayout` every image will decode to.

    Raises:
        ValueError: for anything `folder_arrays` would refuse before decoding.
    """
    if channels not in (None, 1, 3):
        raise ValueError(f"channels must be 1, 3 or None; got {channels!r}.")
    check_integer(max_image_pixels, "max_image_pixels")
    size = _image_size(image_size)
    if size is not None:
        _check_pixels(size[0] * size[1], f"image_size={image_size!r}", max_image_pixels)
    files = image_files(path)
    first_size, first_mode = _header(files[0], max_image_pixels)
    if channels is None:
        channels = 1 if first_mode in _GREY_MODES else 3
    height, width = size if size is not None else (first_size[1], first_size[0])
    layout = FolderLayout(tuple(files), height, width, channels, resize=size is not None)
    check_memory(
        layout.nbytes, f"{len(files)} images of {height}x{width}x{channels} in {str(path)!r}",
        max_bytes,
    )  # fmt: skip
    for file in files[1:]:
        file_size, _ = _header(file, max_image_pixels)
        if size is None and file_size != first_size:
            raise ValueError(
                f"Image {str(file)!r} is {file_size[::-1]}, but {str(files[0])!r} is "
                f"{first_size[::-1]}; pass image_size to resize them all."
            )
    return layout


def decode_image(
    file: str | os.PathLike, layout: FolderLayout, max_image_pixels: int
) -> np.ndarray:
    """One image of a scanned folder as uint8 (height, width, channels).

    Raises:
        ValueError: if the file no longer matches its scan or does not decode.
    """
    from PIL import Image, UnidentifiedImageError

    file = Path(file)
    _require_regular_file(file)  # again: the file may have changed since the scan
    try:
        with Image.open(file) as img:
            _check_pixels(img.size[0] * img.size[1], f"Image {str(file)!r}", max_image_pixels)
            if img.mode in _SIXTEEN_BIT_MODES:
                top = np.clip(np.asarray(img, np.int64), 0, 65535) >> 8
                img = Image.fromarray(top.astype(np.uint8), "L")
            img = img.convert("L" if layout.channels == 1 else "RGB")
            if layout.resize:
                img = img.resize((layout.width, layout.height), Image.Resampling.BILINEAR)
            array = np.asarray(img, dtype=np.uint8)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as err:
        raise ValueError(f"Cannot read image {str(file)!r}: {err}") from err
    if array.shape[:2] != (layout.height, layout.width):
        raise ValueError(
            f"Image {str(file)!r} is {array.shape[:2]}, but the folder's images are "
            f"{(layout.height, layout.width)}; pass image_size to resize them all."
        )
    return array.reshape(layout.shape)


def _threads(num_threads: int | None) -> int:
    if num_threads is None:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    check_integer(num_threads, "num_threads")
    return int(num_threads)


def folder_arrays(
    path: str | os.PathLike,
    *,
    image_size: int | Sequence[int] | None = None,
    channels: int | None = None,
    max_image_pixels: int = MAX_IMAGE_PIXELS,
    max_bytes: int | None = None,
    num_threads: int | None = None,
) -> np.ndarray:
    """Reads every image of a folder (recursively) as uint8 (N, H, W, C), decoding in parallel.

    Args:
        path: the folder.
        image_size: resize every image to this (H, W), or H = W; needed when
            the images differ in size.
        channels: 1 (grayscale) or 3 (RGB); defaults to the first image's.
        max_image_pixels: the most pixels one image (and `image_size`) may have.
        max_bytes: the most memory the decoded images may take (None: half
            the available memory).
        num_threads: decoding threads (None: one per CPU core). The result
            does not depend on it.

    Returns:
        The images, in sorted path order.

    Raises:
        ValueError: see the module docstring; nothing is decoded before every
            header and limit has been checked.

    Example:
        >>> folder_arrays("faces/", image_size=32).shape  # doctest: +SKIP
        (20000, 32, 32, 3)
    """
    layout = scan_folder(
        path, image_size=image_size, channels=channels, max_image_pixels=max_image_pixels,
        max_bytes=max_bytes,
    )  # fmt: skip
    images = np.empty((len(layout.files), *layout.shape), np.uint8)

    def read(i: int) -> None:
        images[i] = decode_image(layout.files[i], layout, max_image_pixels)

    with ThreadPoolExecutor(_threads(num_threads)) as pool:
        for _ in pool.map(read, range(len(layout.files))):
            pass
    return images


def from_folder(
    path: str | os.PathLike,
    *,
    batch_size: int,
    image_size: int | Sequence[int] | None = None,
    channels: int | None = None,
    seed: int = 0,
    shuffle: bool = True,
    max_image_pixels: int = MAX_IMAGE_PIXELS,
    max_bytes: int | None = None,
    num_threads: int | None = None,
) -> tf.data.Dataset:
    """A training dataset from a folder of images, decoded in parallel as it streams.

    The epoch order is drawn over indices first, so the first batch waits
    only for its own images: the first pass decodes each file when the order
    reaches it, a batch at a time on `num_threads` threads while training
    runs (prefetched), into a uint8 array of the whole folder (allocated
    lazily, checked against `max_bytes`); later passes read that array. The batches are those of
    `from_arrays(folder_arrays(path, ...), ...)` with the same arguments:
    same images, same seeded order.

    Args:
        path, image_size, channels, max_image_pixels, max_bytes: as `folder_arrays`.
        batch_size: images per batch; the last incomplete batch is dropped.
        seed: shuffling seed (see `from_arrays` for the global seed).
        shuffle: reshuffle every epoch.
        num_threads: decoding threads (None: one per CPU core).

    Returns:
        A dataset of float32 NHWC batches in [-1, 1].

    Raises:
        ValueError: for everything `folder_arrays` checks before decoding and
            a bad batch size. A file that changes or breaks after the scan
            stops the iteration with a `tf.errors` exception naming the file.

    Example:
        >>> ds = from_folder("faces/", batch_size=64, image_size=32)  # doctest: +SKIP
    """
    import tensorflow as tf

    from kgan.data.pipeline import shuffled_batches

    check_batch_size(batch_size)
    layout = scan_folder(
        path, image_size=image_size, channels=channels, max_image_pixels=max_image_pixels,
        max_bytes=max_bytes,
    )  # fmt: skip
    n = len(layout.files)
    images = np.empty((n, *layout.shape), np.uint8)  # pages are taken as images arrive
    decoded = np.zeros(n, bool)
    pool = ThreadPoolExecutor(_threads(num_threads), thread_name_prefix="kgan-from-folder")

    def read(i: int) -> None:
        images[i] = decode_image(layout.files[i], layout, max_image_pixels)
        decoded[i] = True

    def fetch(indices: np.ndarray) -> np.ndarray:
        # Each index comes once per epoch; at an epoch boundary (prefetch) an image may be
        # decoded twice, and both write the same bytes.
        for _ in pool.map(read, [int(i) for i in indices if not decoded[i]]):
            pass
        return uint8_to_float(images[indices])

    def fetch_op(indices: tf.Tensor) -> tf.Tensor:
        batch = tf.numpy_function(fetch, [indices], tf.float32, stateful=False)
        return tf.ensure_shape(batch, (batch_size, *layout.shape))

    return shuffled_batches(
        tf.data.Dataset.range(n), n, batch_size=batch_size, seed=seed, shuffle=shuffle,
        fetch=fetch_op,
    )  # fmt: skip
