"""Sample arrays: validation, the uint8 -> [-1, 1] mapping, labels and memory bounds.

NumPy only (no TensorFlow), so that evaluation and the command lines can use
the same checks and the same mapping as the training pipelines.

kgan stores images as uint8 in [0, 255] or float in [-1, 1]; the one mapping
between them is `uint8_to_float` (x / 127.5 - 1: 0 -> -1, 255 -> 1). The
other direction, for pictures, is `kgan_runtime.images.to_uint8`.

Example:
    >>> uint8_to_float(np.array([0, 255], np.uint8)).tolist()
    [-1.0, 1.0]
    >>> sample_shape(np.zeros((5, 8, 8), np.uint8))
    (8, 8, 1)
"""

from __future__ import annotations

import os

import numpy as np
from numpy.typing import ArrayLike

MAX_LABEL = int(np.iinfo(np.int32).max)
"""Largest class label: labels travel as int32."""

MEMORY_FRACTION = 0.5
"""Share of the machine's available memory one dataset may take when `max_bytes` is None."""


def uint8_to_float(x: ArrayLike) -> np.ndarray:
    """uint8 values in [0, 255] -> float32 in [-1, 1], as `x / 127.5 - 1`.

    Args:
        x: a uint8 array of any shape.

    Returns:
        A float32 array of the same shape (0 -> -1.0, 255 -> 1.0).

    Raises:
        ValueError: if `x` is not uint8.

    Example:
        >>> uint8_to_float(np.array([0, 255], np.uint8)).tolist()
        [-1.0, 1.0]
    """
    x = np.asarray(x)
    if x.dtype != np.uint8:
        raise ValueError(f"uint8_to_float takes uint8 values; got dtype {x.dtype}.")
    return (x.astype(np.float32) / 127.5 - 1.0).astype(np.float32)


def check_sample_layout(shape: tuple[int, ...], dtype: np.dtype, what: str = "x") -> None:
    """The checks of `check_samples` that need only the shape and dtype (e.g. from a header).

    Raises:
        ValueError: for a non-numeric, boolean, complex or integer (not
            uint8) dtype, a rank other than 2, 3 or 4, or no samples.

    Example:
        >>> check_sample_layout((0, 2), np.dtype("float32"))
        Traceback (most recent call last):
        ValueError: x is empty: got shape (0, 2).
    """
    dtype = np.dtype(dtype)
    if dtype.hasobject or not (np.issubdtype(dtype, np.number) or dtype.kind == "b"):
        raise ValueError(f"{what} must be a numeric array; got dtype {dtype}.")
    if dtype.kind == "b" or np.issubdtype(dtype, np.complexfloating):
        raise ValueError(f"{what} must be uint8 or floating point; got dtype {dtype}.")
    if len(shape) not in (2, 3, 4):
        raise ValueError(
            f"{what} must have rank 2 (N, features), 3 (N, H, W) or 4 (N, H, W, C); "
            f"got shape {tuple(shape)}."
        )
    if shape[0] == 0:
        raise ValueError(f"{what} is empty: got shape {tuple(shape)}.")
    if dtype != np.uint8 and not np.issubdtype(dtype, np.floating):
        raise ValueError(
            f"{what} must be uint8 in [0, 255] or float; got dtype {dtype}. "
            "Convert integer images with x.astype('uint8')."
        )


def check_samples(x: ArrayLike, what: str = "x") -> np.ndarray:
    """Validates training samples without converting them.

    Args:
        x: uint8 images in [0, 255] (N, H, W[, C]), float images in [-1, 1],
            or float feature vectors (N, F).
        what: the name the error messages use.

    Returns:
        uint8 samples as they are, or floats as float32; (N, H, W) images
        get a channel axis.

    Raises:
        ValueError: for an empty array, a wrong rank or dtype, NaN/Inf, or
            float images outside [-1, 1].

    Example:
        >>> check_samples(np.zeros((2, 4, 4), np.uint8)).shape
        (2, 4, 4, 1)
    """
    x = np.asarray(x)
    check_sample_layout(x.shape, x.dtype, what)
    if x.ndim == 3:
        x = x[..., None]
    if x.dtype == np.uint8:
        return x
    x = x.astype(np.float32)
    if not np.all(np.isfinite(x)):
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise ValueError(f"{what} has {bad} NaN or infinite values.")
    if x.ndim == 4 and (x.min() < -1.0 - 1e-6 or x.max() > 1.0 + 1e-6):
        raise ValueError(
            f"Float images must lie in [-1, 1]; got values in [{x.min():.4g}, {x.max():.4g}]. "
            "Pass uint8 images in [0, 255], or rescale with x / 127.5 - 1."
        )
    return x


def to_float_samples(x: ArrayLike, what: str = "x", max_bytes: int | None = None) -> np.ndarray:
    """`check_samples`, then uint8 images mapped to float32 [-1, 1] by `uint8_to_float`.

    The float32 copy must fit in `max_bytes` (see `check_memory`).

    Example:
        >>> to_float_samples(np.full((1, 2, 2), 255, np.uint8)).max()
        np.float32(1.0)
    """
    x = check_samples(x, what)
    if x.dtype != np.uint8:
        return x
    check_memory(x.size * 4, f"{what} as float32 ({x.shape})", max_bytes)
    return uint8_to_float(x)


def sample_shape(x: ArrayLike) -> tuple[int, ...]:
    """The shape of one sample of `x` as the networks see it (images get a channel axis).

    Checks the first sample only (`check_samples` checks all of them).

    Args:
        x: samples as `check_samples` takes them.

    Returns:
        `(H, W, C)` for images, `(F,)` for feature vectors.

    Example:
        >>> sample_shape(np.zeros((10, 2), np.float32))
        (2,)
    """
    return tuple(int(d) for d in check_samples(np.asarray(x)[:1]).shape[1:])


def check_labels(
    labels: ArrayLike, n: int, name: str = "labels", what: str = "integers, one per sample"
) -> np.ndarray:
    """`n` integer class labels in [0, MAX_LABEL] as int32; ValueError naming `name` otherwise.

    Example:
        >>> check_labels([0, 2, 1], 3).dtype
        dtype('int32')
    """
    labels = np.asarray(labels)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"{name} must be {n} {what}; got shape {labels.shape} dtype {labels.dtype}."
        )
    if n and labels.min() < 0:
        raise ValueError(f"{name} must be >= 0; got a minimum of {labels.min()}.")
    if n and labels.max() > MAX_LABEL:
        raise ValueError(
            f"{name} must be <= {MAX_LABEL} (labels are int32); got a maximum of {labels.max()}."
        )
    return labels.astype(np.int32)


def check_integer(value: object, name: str, *, minimum: int = 1, none: bool = False) -> None:
    """ValueError unless `value` is an integer >= `minimum` (or None when `none`); bools refused.

    Example:
        >>> check_integer(0, "start_step", minimum=0)
        >>> check_integer(2.5, "batch_size")
        Traceback (most recent call last):
        ValueError: batch_size must be a positive integer; got batch_size=2.5.
    """
    if none and value is None:
        return
    if (
        not isinstance(value, (int, np.integer))
        or isinstance(value, (bool, np.bool_))
        or value < minimum
    ):
        kind = {0: "a non-negative integer", 1: "a positive integer"}.get(
            minimum, f"an integer >= {minimum}"
        )
        raise ValueError(
            f"{name} must be {kind}{' or None' if none else ''}; got {name}={value!r}."
        )


def check_batch_size(batch_size: int) -> None:
    """ValueError unless `batch_size` is a positive integer."""
    check_integer(batch_size, "batch_size")


def available_memory() -> int:
    """Bytes of memory available to a new allocation (Linux `MemAvailable`, else physical)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):  # pragma: no cover - not POSIX
        return 2**63 - 1


def check_memory(nbytes: int, what: str, max_bytes: int | None = None) -> None:
    """Refuses to hold `nbytes` for `what` when it exceeds `max_bytes`.

    Args:
        nbytes: the bytes the data will take in memory.
        what: what they hold, for the message (e.g. "20000 images of 64x64x3").
        max_bytes: the bound; None means `MEMORY_FRACTION` of `available_memory()`.

    Raises:
        ValueError: naming the size, the bound and how to change it.

    Example:
        >>> check_memory(10, "ten bytes", max_bytes=100)
    """
    if max_bytes is None:
        limit, source = int(available_memory() * MEMORY_FRACTION), "half the available memory"
    else:
        check_integer(max_bytes, "max_bytes")
        limit, source = int(max_bytes), f"max_bytes={max_bytes}"
    if nbytes > limit:
        raise ValueError(
            f"{what} would take {_gib(nbytes)} in memory, more than {source} "
            f"({_gib(limit)}); use fewer or smaller images, or raise max_bytes."
        )


def _gib(nbytes: int) -> str:
    return f"{nbytes / 2**30:.2f} GiB"
