"""Losses against closed forms on fixed logits (hand-checkable values)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kgan.core import losses


def softplus(x):
    return math.log1p(math.exp(x))


LOGITS_R = np.array([2.0, -1.0], np.float32)
LOGITS_F = np.array([0.5, -3.0], np.float32)


def _mean(values):
    return sum(values) / len(values)


CASES = [
    # (name, expected D loss, expected G loss) computed by hand from the formulas.
    (
        "minimax",
        _mean([softplus(-2.0), softplus(1.0)]) + _mean([softplus(0.5), softplus(-3.0)]),
        -_mean([softplus(0.5), softplus(-3.0)]),
    ),
    (
        "non_saturating",
        _mean([softplus(-2.0), softplus(1.0)]) + _mean([softplus(0.5), softplus(-3.0)]),
        _mean([softplus(-0.5), softplus(3.0)]),
    ),
    ("wasserstein", _mean([0.5, -3.0]) - _mean([2.0, -1.0]), -_mean([0.5, -3.0])),
    ("hinge", _mean([0.0, 2.0]) + _mean([1.5, 0.0]), -_mean([0.5, -3.0])),
    (
        "least_squares",
        0.5 * _mean([1.0, 4.0]) + 0.5 * _mean([0.25, 9.0]),
        0.5 * _mean([0.25, 16.0]),
    ),
    (
        "relativistic",
        # mean(real) = 0.5, mean(fake) = -1.25
        _mean([softplus(-(2.0 + 1.25)), softplus(-(-1.0 + 1.25))])
        + _mean([softplus(0.5 - 0.5), softplus(-3.0 - 0.5)]),
        _mean([softplus(-(0.5 - 0.5)), softplus(-(-3.0 - 0.5))])
        + _mean([softplus(2.0 + 1.25), softplus(-1.0 + 1.25)]),
    ),
]


@pytest.mark.parametrize("name,d_expected,g_expected", CASES, ids=[c[0] for c in CASES])
def test_loss_values(name, d_expected, g_expected):
    pair = losses.get(name)
    d = float(pair.discriminator(LOGITS_R, LOGITS_F))
    g = float(pair.generator(LOGITS_F, LOGITS_R))
    assert d == pytest.approx(d_expected, rel=1e-5)
    assert g == pytest.approx(g_expected, rel=1e-5)


def test_value_of_the_game_at_equilibrium():
    # D(x) = 1/2 everywhere: the D loss is 2 log 2 (the paper's -log 4 value of V).
    zeros = np.zeros((3, 1), np.float32)
    assert float(losses.minimax_discriminator_loss(zeros, zeros)) == pytest.approx(math.log(4))
    assert float(losses.minimax_generator_loss(zeros)) == pytest.approx(-math.log(2))


def test_logits_of_any_rank_reduce_to_a_scalar():
    logits = np.linspace(-2, 2, 24, dtype=np.float32).reshape(2, 3, 4)
    value = losses.non_saturating_discriminator_loss(logits, logits)
    assert np.shape(value) == ()
    flat = losses.non_saturating_discriminator_loss(logits.ravel(), logits.ravel())
    assert float(value) == pytest.approx(float(flat))


def test_label_smoothing_moves_the_real_target():
    real = np.array([3.0], np.float32)
    fake = np.array([-50.0], np.float32)  # softplus(-50) ~ 0
    smoothed = float(losses.minimax_discriminator_loss(real, fake, label_smoothing=0.1))
    assert smoothed == pytest.approx(0.9 * softplus(-3.0) + 0.1 * softplus(3.0), rel=1e-5)


def test_non_saturating_gradient_does_not_vanish_where_minimax_saturates():
    import tensorflow as tf

    fake = tf.constant([-8.0])  # D confidently rejects the sample
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(fake)
        mm = losses.minimax_generator_loss(fake)
        ns = losses.non_saturating_generator_loss(fake)
    assert abs(float(tape.gradient(mm, fake)[0])) < 1e-3
    assert abs(float(tape.gradient(ns, fake)[0])) > 0.99


def test_unknown_name_lists_the_choices():
    with pytest.raises(ValueError, match=r"Unknown loss='nope'. Expected one of \[.*minimax"):
        losses.get("nope")


def test_duplicate_registration_is_refused():
    with pytest.raises(ValueError, match="already registered"):
        losses.register("minimax", losses.get("minimax"))
