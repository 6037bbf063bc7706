"""kgan.core.ema.GeneratorEMA: the average's arithmetic, on its own."""

from __future__ import annotations

import keras
import numpy as np

import kgan
from kgan.core.ema import GeneratorEMA


def _shifted(generator: keras.Model, by: float) -> list[np.ndarray]:
    return [np.asarray(w) + by for w in generator.get_weights()]


def test_one_update_moves_by_half_after_one_half_life():
    generator, _ = kgan.networks.mlp(3, (2,), generator_units=(4,))
    ema = GeneratorEMA(generator, half_life=64.0, rampup=None)
    start = [np.asarray(w) for w in ema.model.get_weights()]
    generator.set_weights(_shifted(generator, 1.0))
    ema.update(generator, 64, steps_done=1)  # 64 images = one half-life: beta = 0.5
    for s, e in zip(start, ema.model.get_weights()):
        # float32: (s + 1) / 2 + s / 2 rounds at the scale of 1, whatever the size of s.
        np.testing.assert_allclose(e, s + 0.5, rtol=1e-6, atol=1e-6)


def test_rampup_caps_the_half_life_early_and_buffers_are_copied():
    generator, _ = kgan.networks.dcgan(4, (8, 8, 1), width=4)
    ema = GeneratorEMA(generator, half_life=1e9, rampup=0.5)
    generator.set_weights(_shifted(generator, 2.0))
    # Seen 32 images: half-life min(1e9, 16) = 16, so beta = 0.5 ** (32 / 16) = 0.25.
    before = [np.asarray(w) for w in ema.model.weights]
    ema.update(generator, 32, steps_done=1)
    trainable = {id(w) for w in generator.trainable_weights}
    for w, b, e in zip(generator.weights, before, ema.model.weights):
        expected = np.asarray(w) + (b - np.asarray(w)) * 0.25 if id(w) in trainable else w
        np.testing.assert_allclose(np.asarray(e), np.asarray(expected), rtol=1e-5, atol=1e-6)
    assert not ema.model.trainable
