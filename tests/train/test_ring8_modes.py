"""A seeded short training on ring8 reaches most of the 8 modes (VEEGAN/PacGAN protocol)."""

from __future__ import annotations

import keras

import kgan
from kgan.eval import metrics


def test_short_training_on_ring8_captures_at_least_6_of_8_modes():
    keras.utils.set_random_seed(0)
    generator, discriminator = kgan.networks.mlp(16, (2,))
    gan = kgan.GAN(generator, discriminator, seed=0)
    gan.compile(keras.optimizers.Adam(3e-4, beta_1=0.5), keras.optimizers.Adam(3e-4, beta_1=0.5))
    gan.fit(kgan.data.load("ring8", batch_size=128), epochs=10, verbose=0)
    result = metrics.mode_coverage(gan.generate(2500, seed=1), "ring8")
    assert result["modes"] >= 6, result
