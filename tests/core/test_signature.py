"""kgan.core.signature: a generator's latent size and class count, read once for all readers."""

from __future__ import annotations

import keras
import pytest

import kgan
from kgan.core.signature import GeneratorSignature, generator_signature


def test_reads_plain_and_conditional_generators():
    plain, _ = kgan.networks.mlp(5, (2,))
    conditional, _ = kgan.networks.dcgan(7, (16, 16, 1), num_classes=4, width=8)
    assert generator_signature(plain) == GeneratorSignature(5, None)
    assert generator_signature(conditional) == GeneratorSignature(7, 4)


def _two_embeddings() -> keras.Model:
    z, labels = keras.Input((3,), name="z"), keras.Input((), dtype="int32", name="labels")
    first = keras.layers.Flatten()(keras.layers.Embedding(6, 2)(labels))
    second = keras.layers.Flatten()(keras.layers.Embedding(9, 2)(labels))
    return keras.Model([z, labels], keras.layers.Concatenate()([z, first, second]))


def test_the_class_count_is_the_first_embeddings_everywhere():
    """GAN, the exporter and the Keras sample source read the same count (the first Embedding)."""
    from kgan.eval.sources import _keras_sampler
    from kgan.export.exporter import generator_contract

    generator = _two_embeddings()
    assert generator_signature(generator).num_classes == 6
    assert generator_contract(generator).num_classes == 6
    draw = _keras_sampler(generator, None, lambda: 0)
    assert draw(12).shape == (12, 7)  # labels 0..11 % 6: in range for the first Embedding


def _rank3_latents() -> keras.Model:
    inputs = keras.Input((2, 3))
    return keras.Model(inputs, keras.layers.Dense(1)(inputs))


def _labels_without_embedding() -> keras.Model:
    z, labels = keras.Input((3,)), keras.Input((1,))
    return keras.Model([z, labels], keras.layers.Concatenate()([z, labels]))


@pytest.mark.parametrize(
    "build,message",
    [
        (_rank3_latents, r"z input must be \(batch, latent_dim\)"),
        (_labels_without_embedding, "A conditional generator needs an Embedding layer"),
    ],
)
def test_every_reader_gives_the_same_message(build, message):
    from kgan.eval.sources import _keras_sampler
    from kgan.export.exporter import generator_contract

    model = build()
    readers = [generator_signature, generator_contract, lambda m: _keras_sampler(m, None, int)]
    for read in readers:
        with pytest.raises(ValueError, match=message):
            read(model)
    with pytest.raises(ValueError, match=message):
        kgan.GAN(model, kgan.networks.mlp(3, (2,))[1])
