"""Latent vectors and default labels, identical to the TensorFlow side of kgan.

The contract fixes how latents are drawn, so a seed gives the same images with
this runtime and with kgan itself::

    z = numpy.random.default_rng(seed).standard_normal((n, latent_dim)).astype(numpy.float32)

The draw is done in float64 and then cast to float32. All ``n`` latents are drawn
at once, so the result never depends on how sampling is later split into batches.
"""

from __future__ import annotations

import numpy as np

from ._validation import check_int

__all__ = ["default_labels", "sample_latents"]


def sample_latents(n: int, latent_dim: int, seed: int | None = None) -> np.ndarray:
    """Draw ``n`` standard-normal latent vectors exactly as kgan does.

    Args:
        n: Number of latent vectors (>= 1).
        latent_dim: Size of each latent vector (>= 1).
        seed: Non-negative integer seed for :func:`numpy.random.default_rng`, or
            ``None`` for fresh OS entropy (not reproducible).

    Returns:
        A float32 array of shape ``(n, latent_dim)``.

    Raises:
        InvalidInputError: If ``n``, ``latent_dim`` or ``seed`` is invalid.

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
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, latent_dim)).astype(np.float32)


def default_labels(n: int, num_classes: int) -> np.ndarray:
    """Labels used when a conditional generator is sampled without labels.

    The classes are cycled in order: ``numpy.arange(n) % num_classes``.

    Args:
        n: Number of labels (>= 1).
        num_classes: Number of classes of the generator (>= 2).

    Returns:
        An int32 array of shape ``(n,)``.

    Raises:
        InvalidInputError: If ``n`` or ``num_classes`` is invalid.

    Example:
        >>> default_labels(5, 3)
        array([0, 1, 2, 0, 1], dtype=int32)
    """
    n = check_int(n, "n")
    num_classes = check_int(num_classes, "num_classes", minimum=2)
    return (np.arange(n, dtype=np.int64) % num_classes).astype(np.int32)
