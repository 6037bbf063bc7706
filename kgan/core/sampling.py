"""Sampling a trained generator from NumPy: latents, labels, batches.

Latents, default labels and the label rule (`check_labels`) come from
`kgan_runtime.latents`, the one source shared with the exported generator:
`generate(generator, n, seed=s)` and `kgan_runtime.OnnxGenerator.sample(n, seed=s)`
feed the same latents and accept and refuse the same labels.

Example:
    >>> import kgan
    >>> g, _ = kgan.networks.mlp(latent_dim=4, sample_shape=(2,))
    >>> generate(g, 3, latent_dim=4, num_classes=None, seed=0).shape
    (3, 2)
"""

from __future__ import annotations

from typing import Any

import keras
import numpy as np
from keras import ops

from kgan.rules import POSITIVE_INT
from kgan_runtime.latents import check_labels, sample_latents

__all__ = ["check_labels", "generate", "latents"]


def latents(n: int, latent_dim: int, seed: int | None = None) -> np.ndarray:
    """`n` float32 latents of size `latent_dim`, as the runtime draws them for `seed`."""
    return sample_latents(n, latent_dim, seed)


def generate(
    generator: keras.Model,
    n: int,
    *,
    latent_dim: int,
    num_classes: int | None,
    seed: int | None = None,
    labels: Any = None,
    batch_size: int = 256,
) -> np.ndarray:
    """`n` float32 samples of `generator`, for the latents of `seed`, `batch_size` at a time.

    See `kgan.GAN.generate`, which calls this with its inference generator.
    """
    z = latents(n, latent_dim, seed)
    labels = check_labels(labels, n, num_classes)
    POSITIVE_INT.check("batch_size", batch_size)
    outputs = []
    for start in range(0, n, batch_size):
        inputs = z[start : start + batch_size]
        if labels is not None:
            inputs = [inputs, labels[start : start + batch_size]]
        outputs.append(ops.convert_to_numpy(generator(inputs, training=False)))
    return np.concatenate(outputs).astype(np.float32)
