"""PNG grids of images and scatter plots of 2-D samples, written atomically with Pillow."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np

from kgan._fileio import atomic_file


def to_uint8(images: np.ndarray, value_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Maps images from `value_range` to uint8 [0, 255] (uint8 input is returned as is)."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return images
    lo, hi = value_range
    scaled = (images.astype(np.float32) - lo) * (255.0 / (hi - lo))
    return np.clip(np.round(scaled), 0, 255).astype(np.uint8)


def make_grid(images: np.ndarray, nrow: int | None = None, padding: int = 1) -> np.ndarray:
    """Tiles NHWC images into one (H', W', C) uint8 image, `nrow` images per row.

    Example:
        >>> make_grid(np.zeros((4, 8, 8, 1), "uint8"), nrow=2).shape
        (19, 19, 1)
    """
    images = to_uint8(images)
    if images.ndim != 4:
        raise ValueError(f"images must be NHWC; got shape {images.shape}.")
    n, h, w, c = images.shape
    nrow = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / nrow)
    grid = np.zeros((rows * (h + padding) + padding, nrow * (w + padding) + padding, c), np.uint8)
    for i, image in enumerate(images):
        r, col = divmod(i, nrow)
        top, left = padding + r * (h + padding), padding + col * (w + padding)
        grid[top : top + h, left : left + w] = image
    return grid


def _atomic_save(image, path: str | os.PathLike) -> Path:
    with atomic_file(path, suffix=".png") as tmp:
        image.save(tmp, format="PNG")
    return Path(path)


def save_grid(
    images: np.ndarray,
    path: str | os.PathLike,
    *,
    nrow: int | None = None,
    value_range: tuple[float, float] = (-1.0, 1.0),
    scale: int = 1,
) -> Path:
    """Writes NHWC images as one PNG grid (grayscale for C=1, RGB for C=3).

    Args:
        images: float images in `value_range`, or uint8.
        path: the PNG to write; written to a temporary name and renamed.
        nrow: images per row (default: a square grid).
        value_range: the range of float images.
        scale: integer upscaling (nearest) of the whole grid, for tiny images.
    """
    from PIL import Image

    grid = make_grid(to_uint8(images, value_range), nrow=nrow)
    if grid.shape[-1] not in (1, 3):
        raise ValueError(f"Images must have 1 or 3 channels; got {grid.shape[-1]}.")
    image = Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid)
    if scale > 1:
        image = image.resize((image.width * scale, image.height * scale), Image.Resampling.NEAREST)
    return _atomic_save(image, path)


def save_scatter(
    samples: np.ndarray,
    path: str | os.PathLike,
    *,
    real: np.ndarray | None = None,
    size: int = 512,
    extent: float | None = None,
) -> Path:
    """Writes a scatter plot of 2-D samples (red) over real points (grey) as a PNG."""
    from PIL import Image, ImageDraw

    samples = np.asarray(samples, dtype=np.float64).reshape(len(samples), -1)
    if samples.shape[1] != 2:
        raise ValueError(f"A scatter plot needs 2-D samples; got shape {samples.shape}.")
    points = [samples] + ([np.asarray(real, np.float64)] if real is not None else [])
    if extent is None:
        ref = points[-1]
        finite = ref[np.all(np.isfinite(ref), axis=1)]
        extent = float(np.abs(finite).max()) * 1.15 if finite.size else 1.0
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    centre = size / 2
    draw.line([(0, centre), (size, centre)], fill=(220, 220, 220))
    draw.line([(centre, 0), (centre, size)], fill=(220, 220, 220))

    def plot(xy: np.ndarray, colour, radius: float) -> None:
        xy = xy[np.all(np.isfinite(xy), axis=1)]
        px = centre + xy[:, 0] / extent * centre
        py = centre - xy[:, 1] / extent * centre
        for x, y in zip(px, py):
            draw.ellipse([x - radius, y - radius, x + radius, y + radius], fill=colour)

    if real is not None:
        plot(points[1], (150, 150, 150), 1.5)
    plot(samples, (214, 39, 40), 1.5)
    return _atomic_save(image, path)
