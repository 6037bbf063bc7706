"""Gradient penalties on the discriminator. They need autodiff, so they live apart from losses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import keras
import tensorflow as tf
from keras import ops

from kgan.core import rng

_EPS = 1e-12


def _d_inputs(samples, labels):
    return samples if labels is None else [samples, labels]


def _squared_grad_norm(discriminator: Callable[..., Any], x, labels):
    x = ops.cast(x, "float32")
    with tf.GradientTape() as tape:
        tape.watch(x)
        logits = ops.cast(discriminator(_d_inputs(x, labels), training=True), "float32")
        total = ops.sum(logits)
    grads = tape.gradient(total, x)
    return ops.sum(ops.reshape(ops.square(grads), (ops.shape(grads)[0], -1)), axis=1)


def gradient_penalty(
    discriminator: Callable[..., Any],
    real: Any,
    fake: Any,
    labels: Any = None,
    *,
    seed: keras.random.SeedGenerator,
) -> Any:
    """The WGAN-GP penalty `E[(||grad D(x_hat)||_2 - 1)^2]` (Gulrajani et al., 2017).

    `x_hat = a x + (1 - a) G(z)` with `a ~ U[0, 1]` per sample, and the norm
    computed as `sqrt(sum g^2 + 1e-12)` so its gradient is finite at 0.

    Example:
        >>> # For a linear critic D(x) = w.x the penalty is (||w|| - 1)^2.
    """
    real = ops.cast(real, "float32")
    fake = ops.cast(fake, "float32")
    shape = (ops.shape(real)[0],) + (1,) * (len(real.shape) - 1)
    alpha = rng.uniform(shape, seed)
    x_hat = alpha * real + (1.0 - alpha) * fake
    norm = ops.sqrt(_squared_grad_norm(discriminator, x_hat, labels) + _EPS)
    return ops.mean(ops.square(norm - 1.0))


def r1_penalty(
    discriminator: Callable[..., Any], real: Any, labels: Any = None, *, gamma: float
) -> Any:
    """The R1 penalty `gamma / 2 * E[||grad D(x)||^2]` on real data (Mescheder et al., 2018).

    Example:
        >>> # For a linear critic D(x) = w.x the penalty is gamma / 2 * ||w||^2.
    """
    return 0.5 * gamma * ops.mean(_squared_grad_norm(discriminator, real, labels))
