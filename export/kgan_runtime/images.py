"""Convert generator outputs to uint8 images, tile them into a grid, save a PNG.

kgan's training grids and TensorBoard images use these same functions. Pictures written
to files default to a readable size: grids are upscaled by the smallest integer factor
that makes their long side at least :data:`MIN_SIDE` (256) pixels, nearest neighbour, so
an 8x8 digit stays sharp.

Example:
    >>> import numpy as np
    >>> from kgan_runtime.images import make_grid, to_uint8
    >>> samples = np.zeros((6, 4, 4, 1), dtype=np.float32)  # values in [-1, 1]
    >>> to_uint8(samples, (-1.0, 1.0)).max()
    np.uint8(128)
    >>> make_grid(samples, nrow=3, padding=1).shape  # 2 rows x 3 columns of 4x4 images
    (11, 16, 1)
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from ._validation import DEFAULT_MAX_BYTES, check_budget, check_int, check_max_bytes, is_int
from .errors import InvalidInputError
from .fileio import atomic_file

__all__ = ["MIN_SIDE", "make_grid", "readable_scale", "save_grid", "to_uint8"]

MIN_SIDE = 256
"""Pixels on the long side that pictures are upscaled to by default (``scale=None``)."""


def _check_value_range(value_range: Sequence[float]) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in value_range)
    except (TypeError, ValueError) as err:
        raise InvalidInputError(
            f"value_range must be a pair of numbers (low, high); got {value_range!r}."
        ) from err
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise InvalidInputError(f"value_range must be finite with low < high; got ({lo}, {hi}).")
    return lo, hi


def to_uint8(images: np.ndarray, value_range: Sequence[float] = (-1.0, 1.0)) -> np.ndarray:
    """Map generator outputs linearly from ``value_range`` to uint8 ``[0, 255]``.

    ``low`` maps to 0 and ``high`` to 255: ``rint((x - low) * 255 / (high - low))``
    computed in float64 (rounding half to even), then clipped to ``[0, 255]``, so values
    outside ``value_range`` (including +-Inf) saturate. NaN is refused, never silently
    turned into some pixel value. Any rank is accepted. A uint8 array is returned
    unchanged (it is already in ``[0, 255]``).

    Args:
        images: Array of any shape with a real floating or integer dtype.
        value_range: ``(low, high)`` of the input values, e.g. the generator's
            ``value_range``. Ignored for uint8 input.

    Returns:
        A uint8 array of the same shape.

    Raises:
        InvalidInputError: For a non-numeric dtype (bool, complex, object...), NaN
            values, or an invalid ``value_range``.

    Example:
        >>> to_uint8(np.array([-1.0, 0.0, 1.0]), (-1, 1))
        array([  0, 128, 255], dtype=uint8)
    """
    arr = np.asarray(images)
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype.kind not in "fiu":
        raise InvalidInputError(
            f"images must have a real floating or integer dtype; got dtype {arr.dtype}."
        )
    lo, hi = _check_value_range(value_range)
    x = arr.astype(np.float64)
    nan_count = int(np.isnan(x).sum())
    if nan_count:
        raise InvalidInputError(
            f"images contain {nan_count} NaN value(s); expected numbers in [{lo}, {hi}]."
        )
    scaled = np.rint((x - lo) * (255.0 / (hi - lo)))
    return np.clip(scaled, 0.0, 255.0).astype(np.uint8)


def make_grid(
    images: np.ndarray,
    nrow: int | None = None,
    padding: int = 1,
    *,
    value_range: Sequence[float] = (-1.0, 1.0),
    scale: int | None = 1,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> np.ndarray:
    """Tile a batch of images into one uint8 image.

    Images are placed row by row, ``nrow`` images per row (the torchvision
    convention), with ``padding`` black pixels between images and around the
    border. For ``N`` images of size ``H x W`` with ``c = min(nrow, N)`` columns
    and ``r = ceil(N / c)`` rows the grid is
    ``(r * (H + padding) + padding, c * (W + padding) + padding, C)``, times ``scale``.
    Unused cells of the last row stay black.

    Args:
        images: ``(N, H, W, C)`` or ``(N, H, W)`` array. uint8 is used as is;
            other numeric dtypes are converted with :func:`to_uint8`.
        nrow: Images per grid row; default ``ceil(sqrt(N))`` (a square-ish grid).
        padding: Pixels between images and around the border (>= 0).
        value_range: Range of non-uint8 input, see :func:`to_uint8`.
        scale: Integer nearest-neighbour upscaling of the whole grid (padding included);
            ``None`` for :func:`readable_scale` (long side at least 256 pixels).
            Default 1: one pixel per image pixel.
        max_bytes: Refuse (before allocating) a grid larger than this many bytes, e.g.
            from an absurd ``padding`` or ``scale``; default 4 GiB, ``None`` for no limit.

    Returns:
        A uint8 array of shape ``(grid_height, grid_width, C)``.

    Raises:
        InvalidInputError: For a wrong shape, an empty batch, bad ``nrow``/``padding``/
            ``scale``, a grid over ``max_bytes`` or values :func:`to_uint8` rejects.

    Example:
        >>> make_grid(np.zeros((64, 28, 28, 1), np.uint8), nrow=8, padding=2).shape
        (242, 242, 1)
    """
    arr = np.asarray(images)
    if arr.ndim == 3:
        arr = arr[..., np.newaxis]
    if arr.ndim != 4 or 0 in arr.shape:
        raise InvalidInputError(
            f"images must be a non-empty array of shape (N, H, W, C) or (N, H, W); "
            f"got shape {arr.shape}."
        )
    n, h, w, c = arr.shape
    ncol = math.isqrt(n - 1) + 1 if nrow is None else check_int(nrow, "nrow")
    ncol = min(ncol, n)
    padding = check_int(padding, "padding", minimum=0)
    nrows = -(-n // ncol)
    shape = (nrows * (h + padding) + padding, ncol * (w + padding) + padding, c)
    factor = _check_scale(scale, shape)
    max_bytes = check_max_bytes(max_bytes)
    check_budget(math.prod(shape), max_bytes, f"a {shape} grid")
    check_budget(math.prod(shape) * factor**2, max_bytes, f"a {shape} grid scaled {factor}x")
    arr = to_uint8(arr, value_range)
    grid = np.zeros(shape, dtype=np.uint8)
    for i in range(n):
        row, col = divmod(i, ncol)
        y = padding + row * (h + padding)
        x = padding + col * (w + padding)
        grid[y : y + h, x : x + w] = arr[i]
    if factor > 1:
        grid = np.repeat(np.repeat(grid, factor, axis=0), factor, axis=1)
    return grid


def readable_scale(height: int, width: int, min_side: int = MIN_SIDE) -> int:
    """The smallest integer upscaling that makes the long side at least ``min_side`` pixels.

    Pictures already that large get 1 (they are never shrunk).

    Example:
        >>> readable_scale(91, 91), readable_scale(37, 20), readable_scale(300, 10)
        (3, 7, 1)
    """
    return max(1, -(-int(min_side) // max(1, int(height), int(width))))


def _check_scale(scale: object, shape: Sequence[int]) -> int:
    if scale is None:
        return readable_scale(shape[0], shape[1])
    if not is_int(scale) or scale < 1:
        raise InvalidInputError(
            f"scale must be a positive integer, or None for at least {MIN_SIDE} pixels on the "
            f"long side; got scale={scale!r}."
        )
    return int(scale)


def save_grid(
    images: np.ndarray,
    path: str | os.PathLike[str],
    *,
    nrow: int | None = None,
    value_range: Sequence[float] = (-1.0, 1.0),
    padding: int = 1,
    scale: int | None = None,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> Path:
    """Save a batch of images as one PNG grid, atomically.

    The PNG is grayscale for ``C == 1`` and RGB for ``C == 3``. It is written to a
    temporary file in the destination folder and then renamed over ``path``, so an
    interrupted write never leaves a truncated PNG behind. The file is always PNG,
    whatever the suffix of ``path``.

    Args:
        images: ``(N, H, W, C)`` with ``C`` in {1, 3}, or ``(N, H, W)``. uint8 input
            is used as is; other numeric dtypes are mapped from ``value_range``.
        path: Destination file; its folder must exist.
        nrow: Images per grid row; default ``ceil(sqrt(N))``.
        value_range: ``(low, high)`` of non-uint8 input; pass the generator's
            ``value_range``.
        padding: Black pixels between images and around the border.
        scale: Integer nearest-neighbour upscaling of the whole grid. Default
            ``None``: the smallest factor giving at least 256 pixels on the long side
            (:func:`readable_scale`), e.g. 3x for 100 8x8 digits (91 -> 273 pixels).
        max_bytes: Refuse (before allocating) a grid, after scaling, larger than
            this many bytes; default 4 GiB, ``None`` for no limit.

    Returns:
        The path written, as a :class:`pathlib.Path`.

    Raises:
        InvalidInputError: For images :func:`make_grid` rejects, ``C`` not in {1, 3}, a
            bad ``scale`` or a grid over ``max_bytes``.
        OSError: If the file cannot be written.

    Example:
        >>> from kgan_runtime import OnnxGenerator
        >>> gen = OnnxGenerator("generator.onnx")  # doctest: +SKIP
        >>> images = gen.sample(64, seed=0)  # doctest: +SKIP
        >>> save_grid(images, "grid.png", value_range=gen.value_range)  # doctest: +SKIP
        PosixPath('grid.png')
    """
    arr = np.asarray(images)
    channels = 1 if arr.ndim == 3 else (arr.shape[-1] if arr.ndim == 4 else None)
    if channels not in (1, 3):
        raise InvalidInputError(
            f"save_grid needs images of shape (N, H, W, C) with C in {{1, 3}} or (N, H, W); "
            f"got shape {arr.shape}."
        )
    grid = make_grid(
        arr, nrow=nrow, padding=padding, value_range=value_range, scale=scale, max_bytes=max_bytes
    )
    picture = Image.fromarray(grid[..., 0] if channels == 1 else grid)
    path = Path(os.fspath(path))
    with atomic_file(path) as tmp:
        picture.save(tmp, format="PNG")
    return path
