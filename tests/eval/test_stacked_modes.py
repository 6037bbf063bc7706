"""`stacked_mnist_modes` on constructed inputs, and the per-channel classifier on fake digits."""

from __future__ import annotations

import math

import numpy as np
import pytest
from mnist_testing import fake_digits

from kgan.data import stacked
from kgan.eval import metrics
from kgan.eval import stacked as stacked_eval


def _one_hot(modes):
    return np.eye(1000)[np.asarray(modes)]


def test_every_mode_once_is_1000_modes_and_zero_kl():
    assert metrics.stacked_mnist_modes(_one_hot(np.arange(1000))) == {
        "modes": 1000, "num_modes": 1000, "kl": 0.0,
    }  # fmt: skip


def test_one_mode_is_log_1000_and_uneven_modes_give_the_exact_kl():
    result = metrics.stacked_mnist_modes(_one_hot([7] * 50))
    assert (result["modes"], result["kl"]) == (1, pytest.approx(math.log(1000)))
    # 3/4 on mode 0, 1/4 on mode 1: 0.75 log(750) + 0.25 log(250).
    result = metrics.stacked_mnist_modes(_one_hot([0, 0, 0, 1]))
    expected = 0.75 * math.log(750) + 0.25 * math.log(250)
    assert (result["modes"], result["kl"]) == (2, pytest.approx(expected, rel=1e-12))
    # The argmax picks the mode, whatever the other columns hold.
    soft = np.full((2, 1000), 1e-4)
    soft[0, 3], soft[1, 999] = 0.5, 0.9
    assert metrics.stacked_mnist_modes(soft)["modes"] == 2


def test_it_is_registered_as_a_classifier_probabilities_metric():
    spec = metrics.get_spec("stacked_mnist_modes")
    assert (spec.source, spec.input, spec.args, spec.needs_real) == (
        "classifier", "probabilities", ("fake",), False,
    )  # fmt: skip
    with pytest.raises(ValueError, match="2-D array"):
        metrics.stacked_mnist_modes(np.zeros(1000))


def test_triple_probabilities_multiply_the_channels():
    p = np.random.default_rng(0).dirichlet(np.ones(10), size=(3, 4)).astype("float32")
    joint = np.asarray(stacked_eval.TripleProbabilities()([p[0], p[1], p[2]]))
    assert joint.shape == (4, 1000)
    np.testing.assert_allclose(joint[:, 123], p[0][:, 1] * p[1][:, 2] * p[2][:, 3], rtol=1e-6)
    np.testing.assert_allclose(joint.sum(axis=1), 1.0, rtol=1e-5)


@pytest.fixture(scope="module")
def digit_classifier():
    x, y = fake_digits(400, seed=0)
    return stacked_eval.train_digit_classifier(x, y, holdout=100, epochs=3, seed=0)


def test_the_digit_classifier_reports_its_held_out_accuracy(digit_classifier):
    _, accuracy = digit_classifier
    assert accuracy == 1.0  # the fake digits are easy, and 100 of them were held out


def test_the_metric_reads_the_triples_of_stacked_samples(digit_classifier):
    clf, _ = digit_classifier
    digits, labels = fake_digits(200, seed=9)  # digits the classifier never saw
    x, modes = stacked.stacked_mnist_arrays(digits, labels, num_examples=300, seed=1)
    samples = x.astype("float32") / 127.5 - 1.0
    result = stacked_eval.stacked_mnist_scores(clf, samples, batch_size=64)
    assert result == metrics.stacked_mnist_modes(_one_hot(modes))
    assert result["modes"] == len(np.unique(modes))
    # Collapsed samples: one stacked image repeated.
    collapsed = stacked_eval.stacked_mnist_scores(clf, np.repeat(samples[:1], 50, axis=0))
    assert (collapsed["modes"], collapsed["kl"]) == (1, pytest.approx(math.log(1000)))
    with pytest.raises(ValueError, match="10 outputs"):
        stacked_eval.triple_classifier(stacked_eval.triple_classifier(clf))
