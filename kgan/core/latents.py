"""The latent distribution shared by kgan and kgan-runtime.

Latents are drawn with NumPy, not TensorFlow, so that any runtime reproduces
them from a seed: `kgan.GAN.generate(n, seed)` and
`kgan_runtime.OnnxGenerator.sample(n, seed=seed)` feed identical latents.
"""

from __future__ import annotations

import numpy as np


def sample_latents(n: int, latent_dim: int, seed: int | None = None) -> np.ndarray:
    """Draws `n` standard-normal latents as float32.

    The contract (also written into every exported ONNX file) is
    `numpy.random.default_rng(seed).standard_normal((n, latent_dim))` in
    float64, then cast to float32.

    Args:
        n: number of latents, at least 1.
        latent_dim: size of each latent vector.
        seed: seed of `numpy.random.default_rng`; None draws fresh entropy.

    Returns:
        A float32 array of shape `(n, latent_dim)`.

    Example:
        >>> sample_latents(2, 3, seed=0).shape
        (2, 3)
    """
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise ValueError(f"n must be a positive integer; got n={n!r}.")
    return np.random.default_rng(seed).standard_normal((int(n), int(latent_dim))).astype(np.float32)


def default_labels(n: int, num_classes: int) -> np.ndarray:
    """Labels used when a conditional generator is sampled without labels.

    `numpy.arange(n) % num_classes` as int32, so a grid with `num_classes`
    columns shows one class per column.
    """
    return (np.arange(int(n)) % int(num_classes)).astype(np.int32)
