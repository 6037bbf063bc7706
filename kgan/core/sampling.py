"""Sampling a trained generator from NumPy: latents, labels, batches.

Latents and default labels come from `kgan_runtime.latents`, the one source
shared with the exported generator: `generate(generator, n, seed=s)` and
`kgan_runtime.OnnxGenerator.sample(n, seed=s)` feed the same latents.

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
from kgan_runtime.latents import default_labels, sample_latents

__all__ = ["check_labels", "generate", "latents"]


def latents(n: int, latent_dim: int, seed: int | None = None) -> np.ndarray:
    """`n` float32 latents of size `latent_dim`, as the runtime draws them for `seed`."""
    return sample_latents(n, latent_dim, seed)


def check_labels(labels: Any, n: int, num_classes: int | None) -> np.ndarray | None:
    """The int32 labels of `n` samples: `labels` checked, or the default ones.

    Args:
        labels: one class per sample, or None for `arange(n) % num_classes`.
        n: number of samples.
        num_classes: the generator's class count; None when it is not conditional.

    Raises:
        ValueError: labels for an unconditional generator, or labels that are
            not `n` integers in `[0, num_classes)`.
    """
    if num_classes is None:
        if labels is not None:
            raise ValueError("labels were given, but this GAN is not conditional.")
        return None
    if labels is None:
        return default_labels(n, num_classes)
    labels = np.asarray(labels)
    if labels.shape != (n,) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"labels must be {n} integers; got shape {labels.shape} dtype {labels.dtype}."
        )
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(
            f"labels must lie in [0, {num_classes}); got values in "
            f"[{labels.min()}, {labels.max()}]."
        )
    return labels.astype(np.int32)


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
