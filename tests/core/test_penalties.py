"""Gradient penalties against closed forms: for a linear critic D(x) = w.x the gradient is w."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from kgan.core import penalties


def _linear_critic(w: np.ndarray, shape: tuple[int, ...]) -> keras.Model:
    x = keras.Input(shape)
    flat = keras.layers.Flatten()(x)
    dense = keras.layers.Dense(1, use_bias=True)
    model = keras.Model(x, dense(flat))
    dense.set_weights([w.reshape(-1, 1).astype(np.float32), np.array([0.7], np.float32)])
    return model


@pytest.mark.parametrize("shape", [(2,), (3, 3, 1)])
@pytest.mark.parametrize("norm", [0.25, 1.0, 3.0])
def test_gradient_penalty_of_a_linear_critic(shape, norm):
    rng = np.random.default_rng(0)
    w = rng.normal(size=int(np.prod(shape)))
    w *= norm / np.linalg.norm(w)
    critic = _linear_critic(w, shape)
    real = rng.normal(size=(16, *shape)).astype(np.float32)
    fake = rng.normal(size=(16, *shape)).astype(np.float32) * 5
    gp = float(penalties.gradient_penalty(critic, real, fake, seed=keras.random.SeedGenerator(1)))
    assert gp == pytest.approx((norm - 1.0) ** 2, abs=1e-5)


@pytest.mark.parametrize("gamma", [0.1, 1.0, 10.0])
def test_r1_penalty_of_a_linear_critic(gamma):
    rng = np.random.default_rng(1)
    w = rng.normal(size=4)
    critic = _linear_critic(w, (4,))
    real = rng.normal(size=(8, 4)).astype(np.float32)
    r1 = float(penalties.r1_penalty(critic, real, gamma=gamma))
    assert r1 == pytest.approx(gamma / 2 * float(w @ w), rel=1e-5)


def test_gradient_penalty_interpolates_with_uniform_weights():
    """With D(x) = ||x||^2 / 2, grad D(x_hat) = x_hat, so the penalty reveals where x_hat lies."""
    x = keras.Input((1,))
    critic = keras.Model(x, keras.layers.Lambda(lambda t: 0.5 * t * t)(x))
    real = np.full((4000, 1), 1.0, np.float32)
    fake = np.full((4000, 1), 3.0, np.float32)
    # x_hat = a + 3 (1 - a) = 3 - 2a, a ~ U[0, 1]: E[(x_hat - 1)^2] = E[(2 - 2a)^2] = 4/3
    gp = float(penalties.gradient_penalty(critic, real, fake, seed=keras.random.SeedGenerator(3)))
    assert gp == pytest.approx(4.0 / 3.0, rel=0.03)


def test_gradient_norm_is_finite_where_the_gradient_vanishes():
    import tensorflow as tf

    critic = _linear_critic(np.zeros(2), (2,))
    real = tf.constant(np.ones((4, 2), np.float32))
    fake = tf.constant(np.zeros((4, 2), np.float32))
    with tf.GradientTape() as tape:
        gp = penalties.gradient_penalty(critic, real, fake, seed=keras.random.SeedGenerator(0))
    grads = tape.gradient(gp, critic.trainable_variables)
    assert float(gp) == pytest.approx(1.0, abs=1e-5)  # sqrt(0 + eps) = 1e-6
    assert all(np.all(np.isfinite(np.asarray(g))) for g in grads if g is not None)
