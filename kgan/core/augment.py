"""DiffAugment (Zhao et al., 2020): differentiable augmentations for data-efficient GANs.

The same random augmentation family is applied to real and fake images
before every discriminator call (in both phases), and gradients flow through
it to the generator, so D cannot overfit a small dataset such as `digits`
(1,797 images) without G learning the augmented distribution.

Policies (comma-separated, applied in this order):

- `color`: random brightness (+U[-0.5, 0.5]), saturation (x U[0, 2]) and
  contrast (x U[0.5, 1.5]) per image;
- `translation`: a random shift of up to 1/8 of the image size per axis, zero padded;
- `cutout`: a zeroed square of half the image size at a random position.

Images are NHWC in [-1, 1], as everywhere in kgan (the paper's code works in
the same range: brightness is added in that scale).

Example:
    >>> import keras, numpy as np
    >>> seed = keras.random.SeedGenerator(0)
    >>> augment = DiffAugment("color,translation,cutout")
    >>> augment(np.zeros((4, 8, 8, 1), "float32"), seed).shape
    TensorShape([4, 8, 8, 1])
"""

from __future__ import annotations

from typing import Any

import keras
import tensorflow as tf

from kgan.core import rng

POLICIES = ("color", "translation", "cutout")


def _uniform(shape, seed_generator, low: float, high: float):
    return low + (high - low) * rng.uniform(shape, seed_generator)


def color(x, seed_generator: keras.random.SeedGenerator):
    """Random brightness, saturation and contrast, per image."""
    batch = tf.shape(x)[0]
    x = x + _uniform((batch, 1, 1, 1), seed_generator, -0.5, 0.5)
    mean = tf.reduce_mean(x, axis=3, keepdims=True)
    x = (x - mean) * _uniform((batch, 1, 1, 1), seed_generator, 0.0, 2.0) + mean
    mean = tf.reduce_mean(x, axis=[1, 2, 3], keepdims=True)
    return (x - mean) * _uniform((batch, 1, 1, 1), seed_generator, 0.5, 1.5) + mean


def _shift_masks(size: int, shift, batch):
    """One-hot (batch, size, size) matrices that move rows by `shift` with zero fill."""
    idx = tf.range(size)
    source = idx[None, :] - shift[:, None]  # output position i reads input i - shift
    valid = (source >= 0) & (source < size)
    onehot = tf.one_hot(tf.clip_by_value(source, 0, size - 1), size)
    return onehot * tf.cast(valid, onehot.dtype)[..., None]


def translation(x, seed_generator: keras.random.SeedGenerator, ratio: float = 0.125):
    """Shifts each image by up to `ratio` of its size per axis, zero padded.

    Written as two batched one-hot matrix products so it is differentiable,
    XLA-friendly and free of gathers.
    """
    batch = tf.shape(x)[0]
    height, width = x.shape[1], x.shape[2]
    max_dy, max_dx = int(height * ratio + 0.5), int(width * ratio + 0.5)
    dy = tf.cast(tf.floor(_uniform((batch,), seed_generator, -max_dy, max_dy + 1)), tf.int32)
    dx = tf.cast(tf.floor(_uniform((batch,), seed_generator, -max_dx, max_dx + 1)), tf.int32)
    dy = tf.clip_by_value(dy, -max_dy, max_dy)
    dx = tf.clip_by_value(dx, -max_dx, max_dx)
    rows = tf.cast(_shift_masks(height, dy, batch), x.dtype)  # (B, H, H)
    cols = tf.cast(_shift_masks(width, dx, batch), x.dtype)  # (B, W, W)
    x = tf.einsum("bij,bjwc->biwc", rows, x)
    return tf.einsum("bij,bhjc->bhic", cols, x)


def cutout(x, seed_generator: keras.random.SeedGenerator, ratio: float = 0.5):
    """Zeroes a square of `ratio` x the image size at a random position per image."""
    batch = tf.shape(x)[0]
    height, width = x.shape[1], x.shape[2]
    cut_h, cut_w = int(height * ratio + 0.5), int(width * ratio + 0.5)
    top = tf.floor(_uniform((batch, 1), seed_generator, 0.0, height + (1 - cut_h % 2)))
    left = tf.floor(_uniform((batch, 1), seed_generator, 0.0, width + (1 - cut_w % 2)))
    rows = tf.cast(tf.range(height), tf.float32)[None, :] - (top - cut_h // 2)
    cols = tf.cast(tf.range(width), tf.float32)[None, :] - (left - cut_w // 2)
    inside_rows = (rows >= 0) & (rows < cut_h)
    inside_cols = (cols >= 0) & (cols < cut_w)
    inside = inside_rows[:, :, None] & inside_cols[:, None, :]
    mask = 1.0 - tf.cast(inside, x.dtype)[..., None]
    return x * mask


_FUNCTIONS = {"color": color, "translation": translation, "cutout": cutout}


@keras.saving.register_keras_serializable(package="kgan")
class DiffAugment:
    """A DiffAugment policy: `DiffAugment("color,translation,cutout")(x, seed_generator)`.

    Args:
        policy: comma-separated names from `POLICIES`.

    Raises:
        ValueError: for an unknown name.
    """

    def __init__(self, policy: str = "color,translation,cutout"):
        names = [p.strip() for p in policy.split(",") if p.strip()]
        unknown = [n for n in names if n not in _FUNCTIONS]
        if unknown or not names:
            raise ValueError(
                f"Unknown DiffAugment policy={policy!r}. Expected a comma-separated subset "
                f"of {list(POLICIES)}."
            )
        self.policy = ",".join(names)
        self.names = names

    def __call__(self, x, seed_generator: keras.random.SeedGenerator):
        if len(x.shape) != 4:
            raise ValueError(f"DiffAugment needs NHWC images; got shape {x.shape}.")
        x = tf.cast(x, tf.float32)
        for name in self.names:
            x = _FUNCTIONS[name](x, seed_generator)
        return x

    def get_config(self) -> dict[str, Any]:
        return {"policy": self.policy}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> DiffAugment:
        return cls(**config)
