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

import numpy as np

from ._validation import DEFAULT_MAX_BYTES, check_budget, check_int, check_max_bytes

__all__ = ["MAX_NUM_CLASSES", "default_labels", "sample_latents"]

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
