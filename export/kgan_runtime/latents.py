"""Latent vectors and default labels, identical to the TensorFlow side of kgan.

The contract fixes how latents are drawn, so a seed gives the same images with
this runtime and with kgan itself::

    z = numpy.random.default_rng(seed).standard_normal((n, latent_dim)).astype(numpy.float32)

The draw is done in float64 and then cast to float32. All ``n`` latents are drawn
before any batch runs, so the result never depends on how sampling is later split into
batches. (The float64 draw is made in blocks of rows, which gives exactly the same numbers
as one ``standard_normal((n, latent_dim))`` call while keeping the float64 temporary small.)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._validation import DEFAULT_MAX_BYTES, check_budget, check_int, check_max_bytes, one_line
from .errors import InvalidInputError

__all__ = ["MAX_NUM_CLASSES", "check_labels", "default_labels", "sample_latents"]

MAX_NUM_CLASSES = 2**31
"""Largest supported ``num_classes``: class ids are fed to the model as int32."""


_BLOCK_VALUES = 1 << 20  # float64 values drawn per block (8 MiB).


def sample_latents(
    n: int,
    latent_dim: int,
    seed: int | None = None,
    *,
    max_bytes: int | None = DEFAULT_MAX_BYTES,
) -> np.ndarray:
    """Draw ``n`` standard-normal latent vectors exactly as kgan does.

    Args:
        n: Number of latent vectors (>= 1).
        latent_dim: Size of each latent vector (>= 1).
        seed: Non-negative integer seed for :func:`numpy.random.default_rng`, or
            ``None`` for fresh OS entropy (not reproducible).
        max_bytes: Refuse (with :class:`InvalidInputError`, before allocating) a result
            larger than this many bytes (``n * latent_dim * 4``); default 4 GiB,
            ``None`` for no limit.

    Returns:
        A float32 array of shape ``(n, latent_dim)``.

    Raises:
        InvalidInputError: If ``n``, ``latent_dim``, ``seed`` or ``max_bytes`` is
            invalid, or the result would exceed ``max_bytes``.

    Example:
        >>> z = sample_latents(4, 64, seed=0)
        >>> z.shape, z.dtype
        ((4, 64), dtype('float32'))
        >>> bool((z == np.random.default_rng(0).standard_normal((4, 64)).astype(np.float32)).all())
        True
    """
    n = check_int(n, "n")
    latent_dim = check_int(latent_dim, "latent_dim")
    if seed is not None:
        seed = check_int(seed, "seed", minimum=0)
    check_budget(
        n * latent_dim * 4, check_max_bytes(max_bytes), f"{n} latents of size {latent_dim}"
    )
    rng = np.random.default_rng(seed)
    if n * latent_dim <= _BLOCK_VALUES:
        return rng.standard_normal((n, latent_dim)).astype(np.float32)
    # Generator.standard_normal consumes the bit stream sequentially, so drawing the rows
    # block by block gives the same values as a single call, without an n x latent_dim
    # float64 temporary (which would be twice the size of the result).
    out = np.empty((n, latent_dim), dtype=np.float32)
    rows = max(1, _BLOCK_VALUES // latent_dim)
    for start in range(0, n, rows):
        stop = min(start + rows, n)
        out[start:stop] = rng.standard_normal((stop - start, latent_dim))
    return out


def default_labels(
    n: int, num_classes: int, *, max_bytes: int | None = DEFAULT_MAX_BYTES
) -> np.ndarray:
    """Labels used when a conditional generator is sampled without labels.

    The classes are cycled in order: ``numpy.arange(n) % num_classes``.

    Args:
        n: Number of labels (>= 1).
        num_classes: Number of classes of the generator (2 to 2**31: labels are int32).
        max_bytes: Refuse a result larger than this many bytes (``4 * n``); default
            4 GiB, ``None`` for no limit.

    Returns:
        An int32 array of shape ``(n,)``.

    Raises:
        InvalidInputError: If ``n``, ``num_classes`` or ``max_bytes`` is invalid, or the
            result would exceed ``max_bytes``.

    Example:
        >>> default_labels(5, 3)
        array([0, 1, 2, 0, 1], dtype=int32)
    """
    n = check_int(n, "n")
    num_classes = check_int(num_classes, "num_classes", minimum=2, maximum=MAX_NUM_CLASSES)
    check_budget(n * 4, check_max_bytes(max_bytes), f"{n} labels")
    return (np.arange(n, dtype=np.int64) % num_classes).astype(np.int32)


def check_labels(labels: Any, n: int, num_classes: int | None) -> np.ndarray | None:
    """The int32 labels of ``n`` samples: ``labels`` checked, or the default ones.

    The one label rule of every runtime (kgan-runtime, ``kgan.GAN.generate``; the
    JavaScript runtime follows the same cases): ``None`` gives `default_labels`; one
    integer serves all ``n`` samples; otherwise ``n`` integers in ``[0, num_classes)``.

    Args:
        labels: ``None``, one integer, or one integer per sample.
        n: Number of samples.
        num_classes: The generator's class count; ``None`` when it is unconditional.

    Returns:
        An int32 array of shape ``(n,)``, or ``None`` for an unconditional generator.

    Raises:
        InvalidInputError: (a ``ValueError``) labels for an unconditional generator,
            labels that are not integers, of another length, or out of range.

    Example:
        >>> check_labels(2, 3, 10)
        array([2, 2, 2], dtype=int32)
    """
    if num_classes is None:
        if labels is not None:
            raise InvalidInputError(
                "labels were given but this generator is unconditional "
                "(num_classes is null); expected labels=None."
            )
        return None
    if labels is None:
        return default_labels(n, num_classes, max_bytes=None)
    try:
        arr = np.asarray(labels)
    except Exception as err:  # Any failure of the caller's object to convert.
        raise InvalidInputError(
            f"labels must be integers of shape ({n},); cannot convert them: {one_line(err)}"
        ) from err
    if arr.dtype.kind not in "iu":
        raise InvalidInputError(
            f"labels must be integers in [0, {num_classes}); got dtype {arr.dtype}."
        )
    if arr.ndim == 0:
        arr = np.full(n, arr, dtype=arr.dtype)
    if arr.shape != (n,):
        raise InvalidInputError(
            f"labels must have shape ({n},) to match {n} samples, or be one integer; "
            f"got shape {arr.shape}."
        )
    out_of_range = (arr < 0) | (arr >= num_classes)
    if out_of_range.any():
        index = int(np.argmax(out_of_range))
        raise InvalidInputError(
            f"labels must lie in [0, {num_classes}); got {int(out_of_range.sum())} value(s) "
            f"out of range, first {int(arr[index])} at index {index}."
        )
    return arr.astype(np.int32)
