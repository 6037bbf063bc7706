"""PacGAN packing: a discriminator that judges `num_packed` samples at once.

Lin et al., 2018, "PacGAN: The power of two samples in generative adversarial
networks". The discriminator sees groups of `m` samples, all real or all
generated, concatenated into one input; a generator that drops modes makes
groups that look less like real groups than single samples look like real
samples, so D penalizes mode collapse more strongly.

`Pack(m)` turns a batch of `B` samples into `B / m` packed inputs:
feature vectors `(B, d) -> (B / m, m * d)` and images
`(B, H, W, C) -> (B / m, H, W, m * C)` (concatenated along channels, as in the
paper). `pack_discriminator` wraps a discriminator built for packed inputs so
that it takes ordinary batches, and `packed_mlp` builds the paper's pair. The
batch each discriminator step sees (`batch_size / d_steps` in `kgan.GAN`) must
be divisible by `m`.

Example:
    >>> g, d = packed_mlp(latent_dim=8, sample_shape=(2,), num_packed=4)
    >>> d.output_shape, d(np.zeros((8, 2), "float32")).shape
    ((None, 1), TensorShape([2, 1]))
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import keras
import numpy as np  # noqa: F401  (used by the doctest)
from keras import ops

from kgan.networks import builders as networks

__all__ = ["Pack", "pack_discriminator", "packed_mlp", "packed_pair", "packed_shape"]


def _check_num_packed(num_packed: Any) -> int:
    if isinstance(num_packed, bool) or not isinstance(num_packed, int) or num_packed < 1:
        raise ValueError(f"num_packed must be a positive integer; got num_packed={num_packed!r}.")
    return int(num_packed)


def packed_shape(sample_shape: Sequence[int], num_packed: int) -> tuple[int, ...]:
    """The shape of one packed input for samples of `sample_shape`.

    Args:
        sample_shape: shape of one sample: `(d,)` or `(H, W, C)`.
        num_packed: samples per packed input (m).

    Returns:
        `(m * d,)` for vectors, `(H, W, m * C)` for images.

    Raises:
        ValueError: for a rank other than 1 or 3, or a bad `num_packed`.

    Example:
        >>> packed_shape((2,), 4), packed_shape((8, 8, 1), 2)
        ((8,), (8, 8, 2))
    """
    num_packed = _check_num_packed(num_packed)
    shape = tuple(int(s) for s in sample_shape)
    if len(shape) == 1:
        return (num_packed * shape[0],)
    if len(shape) == 3:
        return (*shape[:2], num_packed * shape[2])
    raise ValueError(
        f"Packing needs samples of shape (d,) or (H, W, C); got sample_shape={shape!r}."
    )


@keras.saving.register_keras_serializable(package="kgan")
class Pack(keras.layers.Layer):
    """Concatenates groups of `num_packed` consecutive samples into one input.

    `(B, d) -> (B / m, m * d)`; `(B, H, W, C) -> (B / m, H, W, m * C)`.
    The batch size must be divisible by `m`.

    Args:
        num_packed: samples per group (m); 1 leaves the batch unchanged.

    Example:
        >>> Pack(2)(np.arange(8.0, dtype="float32").reshape(4, 2)).numpy().tolist()
        [[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]]
    """

    def __init__(self, num_packed: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.num_packed = _check_num_packed(num_packed)

    def _check_batch(self, batch: Any) -> None:
        if isinstance(batch, int) and batch % self.num_packed:
            raise ValueError(
                f"Pack(num_packed={self.num_packed}) needs a batch divisible by "
                f"{self.num_packed}; got a batch of {batch}. With kgan.GAN, make "
                "batch_size / d_steps a multiple of num_packed."
            )

    def call(self, inputs: Any) -> Any:
        m = self.num_packed
        if m == 1:
            return inputs
        self._check_batch(inputs.shape[0])
        if len(inputs.shape) == 2:
            return ops.reshape(inputs, (-1, m * inputs.shape[1]))
        if len(inputs.shape) == 4:
            _, h, w, c = inputs.shape
            x = ops.reshape(inputs, (-1, m, h, w, c))
            x = ops.transpose(x, (0, 2, 3, 1, 4))  # (B/m, H, W, m, C)
            return ops.reshape(x, (-1, h, w, m * c))
        raise ValueError(
            f"Pack needs inputs of shape (B, d) or (B, H, W, C); got shape {tuple(inputs.shape)}."
        )

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple[int | None, ...]:
        batch = input_shape[0]
        out_batch = None if batch is None else batch // self.num_packed
        return (out_batch, *packed_shape(input_shape[1:], self.num_packed))

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(num_packed=self.num_packed)
        return config


def pack_discriminator(
    discriminator: keras.Model, sample_shape: Sequence[int], num_packed: int
) -> keras.Model:
    """Wraps a discriminator of packed inputs so that it takes ordinary batches.

    Args:
        discriminator: a model whose input has `packed_shape(sample_shape,
            num_packed)` and whose output is one logit per packed input.
        sample_shape: shape of one (unpacked) sample.
        num_packed: samples per packed input (m).

    Returns:
        A functional model `samples (B, *sample_shape) -> logits (B / m, 1)`.

    Raises:
        ValueError: if the discriminator's input does not match the packed
            shape, or if it is conditional (two inputs).

    Example:
        >>> _, inner = kgan.networks.mlp(4, (8,))  # doctest: +SKIP
        >>> d = pack_discriminator(inner, (2,), 4)  # doctest: +SKIP
    """
    num_packed = _check_num_packed(num_packed)
    sample_shape = tuple(int(s) for s in sample_shape)
    if isinstance(discriminator.input_shape, list):
        raise ValueError(
            "pack_discriminator supports unconditional discriminators only; got one with "
            f"inputs {discriminator.input_shape}."
        )
    expected = packed_shape(sample_shape, num_packed)
    got = tuple(discriminator.input_shape[1:])
    if got != expected:
        raise ValueError(
            f"The discriminator takes inputs of shape {got}, but packing {num_packed} samples "
            f"of shape {sample_shape} gives {expected}."
        )
    x = keras.Input(sample_shape, name="samples")
    packed = Pack(num_packed, name=f"pack_{num_packed}")(x)
    logits = discriminator(packed)
    return keras.Model(x, logits, name=f"pac{num_packed}_{discriminator.name}")


def packed_pair(
    builder: Callable[..., tuple[keras.Model, keras.Model]],
    latent_dim: int,
    sample_shape: Sequence[int],
    num_packed: int,
    **kwargs: Any,
) -> tuple[keras.Model, keras.Model]:
    """Any unconditional pair of `kgan.networks` with a PacGAN discriminator.

    The generator is `builder`'s for `sample_shape`; the discriminator is
    `builder`'s for `packed_shape(sample_shape, num_packed)` (images: `m * C`
    channels, as in PacGAN's Stacked MNIST code) wrapped by `pack_discriminator`.

    Args:
        builder: e.g. `kgan.networks.dcgan` or `kgan.networks.small_dcgan`.
        latent_dim, sample_shape: as the builder takes them.
        num_packed: samples per packed input (m).
        **kwargs: passed to the builder; `num_classes` is not supported.

    Example:
        >>> from kgan.networks import small_dcgan
        >>> g, d = packed_pair(small_dcgan, 8, (28, 28, 3), 2)
        >>> d(np.zeros((4, 28, 28, 3), "float32")).shape
        TensorShape([2, 1])
    """
    num_packed = _check_num_packed(num_packed)
    if kwargs.get("num_classes") is not None:
        raise ValueError("PacGAN packing does not support conditional networks (num_classes).")
    kwargs.pop("num_classes", None)
    sample_shape = tuple(int(s) for s in sample_shape)
    generator, _ = builder(latent_dim, sample_shape, **kwargs)
    _, inner = builder(latent_dim, packed_shape(sample_shape, num_packed), **kwargs)
    return generator, pack_discriminator(inner, sample_shape, num_packed)


def packed_mlp(
    latent_dim: int,
    sample_shape: Sequence[int],
    num_packed: int,
    **mlp_kwargs: Any,
) -> tuple[keras.Model, keras.Model]:
    """The MLP pair of `kgan.networks.mlp` with a PacGAN discriminator.

    The discriminator is `networks.mlp`'s, built for inputs of
    `packed_shape(sample_shape, num_packed)` and wrapped by
    `pack_discriminator`, so its first layer has `num_packed` times the inputs
    (as in Lin et al., 2018) and the rest of the network is unchanged.

    Args:
        latent_dim: size of z.
        sample_shape: shape of one sample, e.g. `(2,)`.
        num_packed: samples per packed input (m; PacGAN2/3/4 use 2, 3, 4).
        **mlp_kwargs: passed to `kgan.networks.mlp` (units, maxout pieces,
            dropout, ...); `num_classes` is not supported.

    Returns:
        `(generator, discriminator)`; the discriminator maps `(B, *sample_shape)`
        to `(B / num_packed, 1)` logits.

    Example:
        >>> g, d = packed_mlp(latent_dim=8, sample_shape=(2,), num_packed=2)
        >>> d.name
        'pac2_mlp_discriminator'
    """
    num_packed = _check_num_packed(num_packed)
    if mlp_kwargs.get("num_classes") is not None:
        raise ValueError("packed_mlp does not support conditional networks (num_classes).")
    sample_shape = tuple(int(s) for s in sample_shape)
    generator, _ = networks.mlp(latent_dim, sample_shape, **mlp_kwargs)
    # networks.mlp flattens its input, so channel-packed images work as they are.
    _, inner = networks.mlp(latent_dim, packed_shape(sample_shape, num_packed), **mlp_kwargs)
    return generator, pack_discriminator(inner, sample_shape, num_packed)
