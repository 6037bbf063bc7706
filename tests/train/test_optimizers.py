"""kgan.optimizers.Adam: Keras's Adam through TensorFlow's fused kernel, same results."""

from __future__ import annotations

import doctest

import keras
import numpy as np
import pytest
import tensorflow as tf

from kgan.train import optimizers


def test_docstring_examples_run():
    result = doctest.testmod(optimizers)
    assert result.attempted >= 3 and result.failed == 0


def _gradients(step: int, shape) -> np.ndarray:
    return np.sin(np.arange(np.prod(shape)).reshape(shape) * (step + 1)).astype("float32")


def _train(cls, steps: int = 6, **kwargs) -> np.ndarray:
    start = np.random.default_rng(0).normal(size=(5, 3)).astype("float32")
    w = keras.Variable(start)
    opt = cls(**kwargs)
    for step in range(steps):
        opt.apply_gradients([(tf.constant(_gradients(step, start.shape)), w)])
    assert not np.allclose(w.numpy(), start)
    return w.numpy()


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"beta_1": 0.5, "beta_2": 0.9, "epsilon": 1e-3},
        {"weight_decay": 0.1},
        {"clipnorm": 0.5},
        {"use_ema": True, "ema_overwrite_frequency": 2},
        {"amsgrad": True},  # Keras's own update
    ],
    ids=["default", "betas_epsilon", "weight_decay", "clipnorm", "ema", "amsgrad"],
)
def test_adam_matches_keras(kwargs):
    schedule = keras.optimizers.schedules.ExponentialDecay(1e-2, 3, 0.5)
    want = _train(keras.optimizers.Adam, learning_rate=schedule, **kwargs)
    got = _train(optimizers.Adam, learning_rate=schedule, **kwargs)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)


def test_adam_under_loss_scaling_and_sparse_gradients_matches_keras():
    def train(cls):
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input((), dtype="int32"), keras.layers.Embedding(7, 3)])
        opt = keras.optimizers.LossScaleOptimizer(cls(1e-2))
        ids = tf.constant([1, 3, 3, 5])
        for _ in range(4):
            with tf.GradientTape() as tape:
                loss = opt.scale_loss(tf.reduce_sum(tf.square(model(ids) - 1.0)))
            grads = tape.gradient(loss, model.trainable_variables)
            assert isinstance(grads[0], tf.IndexedSlices)
            opt.apply_gradients(zip(grads, model.trainable_variables))
        return model.get_weights()[0]

    want, got = train(keras.optimizers.Adam), train(optimizers.Adam)
    np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
    assert not np.allclose(got[1], want[0])  # row 1 was trained, row 0 was not
    np.testing.assert_array_equal(got[0], want[0])


def test_adam_saves_as_kgan_adam():
    opt = optimizers.Adam(3e-4, beta_1=0.5)
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(opt))
    assert type(restored) is optimizers.Adam
    assert restored.get_config() == opt.get_config()
