"""What a generator takes: its latent size and class count, read in one place.

A kgan generator is a Keras model with input `z` of shape `(batch, latent_dim)`
and, when conditional, a second input of integer labels that an `Embedding`
layer reads; its class count is that Embedding's `input_dim` (the first
Embedding of the model, in topological order: the one nearest the labels).
`kgan.GAN`, the exporter and evaluation's sample sources all read it here.

Example:
    >>> import kgan
    >>> g, _ = kgan.networks.mlp(latent_dim=8, sample_shape=(2,), num_classes=3)
    >>> generator_signature(g)
    GeneratorSignature(latent_dim=8, num_classes=3)
"""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["GeneratorSignature", "generator_signature"]


class GeneratorSignature(NamedTuple):
    """A generator's latent size, and its class count (None: not conditional)."""

    latent_dim: int
    num_classes: int | None


def generator_signature(generator: Any) -> GeneratorSignature:
    """Reads `(latent_dim, num_classes)` from a generator `keras.Model`.

    Raises:
        ValueError: the model does not take `z` (and labels) as a kgan
            generator does, or a conditional one has no Embedding layer.
    """
    import keras

    inputs = list(generator.inputs or [])
    if len(inputs) not in (1, 2):
        raise ValueError(
            f"A generator takes z (and labels); this one has {len(inputs)} inputs: "
            f"{[getattr(i, 'name', i) for i in inputs]}."
        )
    z_shape = tuple(inputs[0].shape)
    if len(z_shape) != 2 or z_shape[-1] is None:
        raise ValueError(f"The generator's z input must be (batch, latent_dim); got {z_shape}.")
    if len(inputs) == 1:
        return GeneratorSignature(int(z_shape[-1]), None)
    for layer in generator.layers:
        if isinstance(layer, keras.layers.Embedding):
            return GeneratorSignature(int(z_shape[-1]), int(layer.input_dim))
    raise ValueError("A conditional generator needs an Embedding layer for its labels.")
